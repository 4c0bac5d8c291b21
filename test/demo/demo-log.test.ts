/**
 * The demo end to end, from the log of CI's one fresh-clone run of `npm run demo` (.ci/run:
 * $CI_ARTIFACTS/demo.log, default /tmp/novastation-ci/demo.log): every play of site.ts ran, the
 * second run changed nothing, check mode changed nothing, the RDP login reached a desktop (the
 * screenshot exists and its pixels are not a blank screen nor xrdp's login screen), and no secret
 * appeared in the output — the vault's values, the simulators' credentials (the demo prints only
 * their hashes), no Guacamole auth token. The demo is not run again here: one demo run, not two.
 * Without the log: skipped outside CI, a failure under CI=true.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { readVaultFile } from '../../lib/vault/index.js';
import { Secret } from '../../lib/secret.js';
import { colours, differingPixels } from '../ubuntu-dev/rdp-client.js';
import { DEMO_VAULT_PASSPHRASE, REPO } from './site-copy.js';
import { parseSummaries, type RdpSummary, type RunSummary, type SetupSummary } from './summary.js';
import site from '../../site.js';

const LOG = join(process.env.CI_ARTIFACTS || '/tmp/novastation-ci', 'demo.log');
const present = existsSync(LOG);
const inCi = process.env.CI === 'true';
if (!present && !inCi)
  console.warn(
    `demo log test skipped: no ${LOG} (CI's fresh-clone step writes it: .ci/run; or run npm run demo >${LOG} 2>&1)`,
  );

describe.skipIf(!present && !inCi)('the demo, from its log', () => {
  it('the log exists (CI runs the demo in its fresh-clone step first)', () => {
    expect(present, `${LOG} is missing: .ci/run's fresh-clone step writes it`).toBe(true);
  });
  if (!present) return;
  const log = readFileSync(LOG, 'utf8');
  const summaries = parseSummaries(log);
  const setup = summaries.find((s) => s.phase === 'setup') as SetupSummary | undefined;
  const run = (phase: RunSummary['phase']) =>
    summaries.find((s) => s.phase === phase) as RunSummary | undefined;
  const rdp = summaries.find((s) => s.phase === 'rdp login') as RdpSummary | undefined;

  it('ran to the end, and said what was simulated', () => {
    expect(summaries.map((s) => s.phase)).toEqual([
      'setup',
      'first run',
      'second run',
      'check mode',
      'rdp login',
      'done',
    ]);
    expect(summaries.at(-1)).toMatchObject({ exit: 0 });
    expect(log).toContain('SIMULATED');
    expect(log).toMatch(/Guacamole webapp and guacd cannot run here/);
    expect(log).toMatch(/Proxmox VE: the API simulator/);
    expect(log).toMatch(
      setup?.guacamole === 'stack'
        ? /users sync: to the deployed stack/
        : /users sync: to the Guacamole simulator/,
    );
    // CI is root with the packages .ci/run installs: the real hosts, not only the simulated parts.
    if (inCi) expect(setup?.mode).toBe('hosts');
  });

  it('the first run ran every play of site.ts on its hosts, without a failure', () => {
    const first = run('first run')!;
    expect(first.exit).toBe(0);
    expect(first.plays.map((p) => p.name)).toEqual(site.plays.map((p) => p.name));
    const empty = first.plays.filter((p) => p.hosts.length === 0).map((p) => p.name);
    if (setup?.mode === 'hosts') expect(empty).toEqual([]);
    else
      // Simulated only: the plays that need SSH to a Linux host do not run.
      expect(empty.sort()).toEqual(
        [
          'Proxmox VE host: IOMMU, vfio and the API token',
          'baseline on every Linux host',
          'Ubuntu VMs: XFCE desktop over RDP for their users',
          'HTTPS front door of Guacamole',
        ].sort(),
      );
    expect(first).toMatchObject({ failed: 0, unreachable: 0 });
    expect(first.changed).toBeGreaterThan(0);
  });

  it('the second run changed nothing, and neither did check mode', () => {
    for (const phase of ['second run', 'check mode'] as const) {
      const r = run(phase)!;
      expect(r.exit, phase).toBe(0);
      expect(r.changedTasks, phase).toEqual([]);
      expect(r, phase).toMatchObject({ changed: 0, failed: 0, unreachable: 0 });
      expect(r.plays, phase).toEqual(run('first run')!.plays);
    }
  });

  it('the RDP login as a site user reached that user’s desktop (screenshot pixels checked)', async () => {
    if (setup?.mode !== 'hosts') {
      expect(rdp?.skipped).toBeTruthy();
      console.warn(`demo ran the simulated parts only: no RDP login (${rdp?.skipped})`);
      return;
    }
    expect(rdp, JSON.stringify(rdp)).toMatchObject({
      ok: true,
      sessionCreated: true,
      vm: 'vm-dev-01',
      source: setup.guacamole,
    });
    // The parameters the guacamole role wrote: RDP to the dev VM over TLS, the user's own login.
    expect(rdp!.parameters).toMatchObject({
      protocol: 'rdp',
      port: '3389',
      security: 'tls',
      username: '${GUAC_USERNAME}',
    });
    expect(log).toContain(`screenshot ${rdp!.screenshot}`);
    expect(existsSync(rdp!.screenshot!), rdp!.screenshot).toBe(true);
    // Not blank or black: many colours; and unlike xrdp's login screen over a fifth of the display.
    expect(await colours(rdp!.screenshot!)).toBeGreaterThan(8);
    expect(await differingPixels(rdp!.loginScreen!, rdp!.screenshot!)).toBeGreaterThan(1024 * 768 * 0.2);
  });

  it('no secret appears in the output', async () => {
    const opened = await readVaultFile(join(REPO, 'inventory', 'secrets.vault'), [
      { secret: new Secret(DEMO_VAULT_PASSPHRASE), source: 'the demo passphrase' },
    ]);
    const vault = parse(opened.plaintext.toString('utf8')) as Record<string, string>;
    expect(Object.keys(vault).length).toBeGreaterThan(3);
    for (const [name, value] of Object.entries(vault))
      expect(log.includes(value), `vault entry ${name}`).toBe(false);
    // (The vault's passphrase is public, in the README: not checked; the demo's folder names hold it.)
    // The simulators' credentials, by hash: no word of the log is one of them.
    const hashes = new Set(setup!.credentialHashes);
    expect(hashes.size).toBeGreaterThan(0);
    const leaked = [...new Set(log.split(/[^A-Za-z0-9_-]+/))].filter(
      (w) => w.length >= 8 && hashes.has(createHash('sha256').update(w).digest('hex').slice(0, 16)),
    );
    expect(leaked).toEqual([]);
    // A Guacamole auth token (64 upper-case hex digits) anywhere.
    expect(log).not.toMatch(/\b[0-9A-F]{64}\b/);
  });
});
