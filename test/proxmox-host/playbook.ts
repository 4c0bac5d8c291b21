/**
 * The proxmox-host role on a fake Proxmox VE machine, then a role of a later play that uses the
 * token's secret through `!secret` (the inventory's pve_token_secret) — which does not exist
 * when the run starts: it proves the secret is resolved when that play starts, with the value
 * the first play saved. The second role writes the SHA-256 of what it got (sent on stdin) to
 * /root/token-seen.sha256, for the test to compare with the hash the pveum stand-in keeps.
 */
import { defineRole, definePlaybook, secretString, Type } from 'novastation';
import { proxmoxHost } from 'novastation/roles';

const tokenUser = defineRole({
  name: 'token-user',
  vars: Type.Object({ pve_token_secret: secretString() }),
  async apply({ host, vars, task }) {
    await task('use the token secret', async () => {
      await host.$({
        stdin: vars.pve_token_secret,
      })`sh -c ${'sha256sum | cut -d" " -f1 > /root/token-seen.sha256'}`;
      return { changed: false };
    });
  },
});

export default definePlaybook({
  name: 'proxmox-host test',
  plays: [
    { name: 'Proxmox VE host', hosts: 'pve', roles: [proxmoxHost] },
    { name: 'a later play using the token', hosts: 'token_users', roles: [tokenUser] },
  ],
});
