/**
 * The proof every task primitive owes (issue 3), on a real test host, driven directly (no CLI):
 *  1. first run: changed;
 *  2. second run: not changed (idempotent);
 *  3. after a drift, check mode reports the change and changes nothing: the host's overlay upper
 *     directory is identical before and after;
 *  4. (optional) the diff shows the change, with sensitive values masked.
 */
import { expect } from 'vitest';
import type { TaskOutcome } from '../../lib/define.js';
import { Host } from '../../lib/host/host.js';
import { processMasker } from '../../lib/secret.js';
import { openConnection } from '../../lib/transport/index.js';
import type { HostFixture } from './hosts.js';

/** A Host handle on a test host, as the runner makes one (close it after use). */
export function hostHandle(f: HostFixture, name: string, check = false): Host {
  const h = f.hosts.host(name);
  return new Host({
    name,
    check,
    shellType: 'sh',
    connect: () =>
      openConnection(
        {
          name,
          kind: 'ssh',
          address: h.address,
          port: h.port,
          user: h.user,
          privateKeyFile: f.hosts.privateKeyFile,
          shellType: 'sh',
        },
        {
          knownHostsFile: f.knownHosts,
          acceptNewHostKeys: false,
          hostKeyChecking: true,
          connectTimeoutMs: 10_000,
        },
      ),
  });
}

export interface ProofOptions {
  /** Change the host behind the primitive's back (a shell command run inside the host). */
  drift?: string;
  /** Text the check-mode diff must contain (after masking). */
  diffContains?: string[];
  /** Text that must not appear in any outcome (a secret's raw value). */
  secret?: string;
}

export interface Proof {
  first: TaskOutcome;
  second: TaskOutcome;
  check?: TaskOutcome;
}

export async function proveIdempotent(
  f: HostFixture,
  name: string,
  task: (host: Host) => Promise<TaskOutcome>,
  options: ProofOptions = {},
): Promise<Proof> {
  const host = hostHandle(f, name);
  const checkHost = hostHandle(f, name, true);
  try {
    const first = await task(host);
    expect(first.changed, 'first run changes').toBe(true);
    const second = await task(host);
    expect(second.changed, `second run changes nothing, got: ${JSON.stringify(second.changes)}`).toBe(false);
    const proof: Proof = { first, second };
    if (options.drift !== undefined) {
      const drift = await f.hosts.exec(name, options.drift);
      expect(drift.exitCode, drift.stderr).toBe(0);
      const before = await f.hosts.snapshotUpper(name);
      const check = await task(checkHost);
      expect(check.changed, 'check mode reports the drift').toBe(true);
      expect(await f.hosts.snapshotUpper(name), 'check mode changed nothing on the host').toBe(before);
      const shown = processMasker.mask(JSON.stringify(check));
      for (const text of options.diffContains ?? []) expect(shown).toContain(text);
      proof.check = check;
    }
    if (options.secret) {
      // Unmasked: the primitive itself must not put the secret in its outcome; masking is a second net.
      for (const outcome of Object.values(proof))
        expect(JSON.stringify(outcome)).not.toContain(options.secret);
    }
    return proof;
  } finally {
    await host.close();
    await checkHost.close();
  }
}
