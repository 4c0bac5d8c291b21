/**
 * Issue 21 on a real Debian 12 host: the reads of group, user, authorized_key, a `creates` guard
 * and a systemd unit, batched as a rerun prefetches them (lib/host/prefetch.ts), all run in the
 * batch's own shell (inShell), start no process but `stat` (the batch's one stat-ahead),
 * `systemctl show` and `readlink -m`, give exactly the live answers, and leave the shell as they
 * found it (no variable, option, trap or folder changed).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchScript } from '../../lib/host/prefetch.js';
import type { CommandResult } from '../../lib/transport/types.js';
import { authorizedKey } from '../../tasks/accounts/authorized-key.js';
import { group } from '../../tasks/accounts/group.js';
import { user } from '../../tasks/accounts/user.js';
import { script } from '../../tasks/files/file-probe.js';
import { systemd } from '../../tasks/services/systemd.js';
import { command } from '../../tasks/system/command.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle } from '../support/prove.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';

/** What the batch shell holds, less what the batch itself sets (its own `__ns_*`, bash's own). */
const SHELL_STATE = `{ pwd; set -o; shopt; trap -p; declare -p | grep -v -e '^declare -[a-zA-Z-]* \\(BASH_\\|_=\\|__ns_\\|PIPESTATUS=\\|FUNCNAME=\\)'; }`;

describe.skipIf(skipHosts)('account, guard and unit reads in a prefetched batch', () => {
  let f: HostFixture;
  let name: string;

  beforeAll(async () => {
    f = await bootFixture(1, 'pa');
    name = f.hosts.hosts[0]!.name;
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  it('start no process of their own, answer as live, and leave the shell as it was', async () => {
    const sh = async (cmd: string) => {
      const r = await f.hosts.exec(name, cmd);
      expect(r.exitCode, r.stderr).toBe(0);
    };
    await sh('groupadd -g 2001 ops && useradd -m -g ops -G sudo -s /bin/bash deploy && touch /root/made');
    const h = hostHandle(f, name);
    try {
      const reads = async () => [
        await group(h, { name: 'ops', gid: 2001 }),
        await user(h, { name: 'deploy', group: 'ops', groups: ['sudo'], shell: '/bin/bash' }),
        await authorizedKey(h, { user: 'deploy', keys: [KEY] }),
        await authorizedKey(h, { user: 'root', keys: [KEY] }),
        await command(h, { argv: ['touch', '/root/made'], creates: '/root/made' }),
        await systemd(h, { unit: 'ssh', enabled: true, state: 'started' }),
      ];
      await reads(); // the keys get written
      h.takeProbeLog();
      expect((await reads()).map((o) => o.changed)).toEqual([false, false, false, false, false, false]);
      const probes = h.takeProbeLog();
      expect(probes).toHaveLength(6);
      expect(probes.filter((p) => !p.inShell)).toEqual([]);

      const live: CommandResult[] = [];
      for (const p of probes) live.push(await h.probe({ nothrow: true })(script(p.command)));
      const batch = batchScript(probes);
      const pid = 'read -r __ns_pid < /proc/sys/kernel/ns_last_pid; echo "$__ns_pid"';
      const r = await h.probe({ nothrow: true })(
        script(
          `cd /tmp; ${SHELL_STATE} > /tmp/before; ${pid} > /tmp/pids\n${batch.script}\n${pid} >> /tmp/pids; ${SHELL_STATE} > /tmp/after`,
        ),
      );
      const answers = batch.parse(r);
      expect(answers).toHaveLength(6);
      answers.forEach((a, i) => {
        expect(a?.stdout, `probe ${i}`).toBe(live[i]!.stdout);
        expect(a?.exitCode, `probe ${i}`).toBe(live[i]!.exitCode);
      });
      const [before = 0, after = 0] = (await f.hosts.exec(name, 'cat /tmp/pids')).stdout
        .split('\n')
        .map(Number);
      // stat (ahead, for ~/.ssh and authorized_keys of both users), systemctl show, readlink -m.
      expect(after - before).toBe(3);
      const diff = await f.hosts.exec(name, 'diff /tmp/before /tmp/after');
      expect(diff.stdout, 'the shell as it was').toBe('');
      expect(diff.exitCode).toBe(0);
    } finally {
      await h.close();
    }
  });
});
