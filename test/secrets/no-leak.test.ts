/**
 * No secret leaks, on a real Debian test host over SSH: a role using secrets from the vault
 * (`!secret`), the environment (`!env`), an Ansible `!vault` value and a generated one, run with
 * `-v --diff --json`, while the test samples every command line on the remote host
 * (/proc/<pid>/cmdline, every ~10 ms, from inside it) and on this machine. No secret — nor the
 * vault passphrase — appears in the output (stdout and stderr, whole, so also across chunk
 * boundaries), the run record, or any sampled command line, in plain, base64, URL-encoded or
 * JSON-escaped form. The files holding them are 0600, and the secrets did reach the host.
 *
 * Needs test hosts (root, systemd-nspawn; see test/harness/README.md), ansible-vault for the
 * `!vault` value, and the CLI wiring (vault options, !secret/!env tags, the run record).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { repoRoot, runCli, taskEvents } from '../support/cli.js';
import { encryptNovastation, MIN_SCRYPT_N } from '../../lib/vault/novastation-format.js';
import { findLeaks } from './leak.js';

const PLAYBOOK = 'test/secrets/fixtures/playbook.ts';
const wired = readFileSync(join(repoRoot, 'lib/cli/playbook-command.ts'), 'utf8').includes('prepareSecrets');
const haveAnsible = spawnSync('ansible-vault', ['--version']).status === 0;
const why = skipHosts
  ? 'no test hosts'
  : !wired
    ? 'secrets are not wired into lib/cli/playbook-command.ts yet'
    : !haveAnsible
      ? 'ansible-vault is not installed'
      : '';
if (why) console.warn(`no-leak test skipped: ${why}`);

const suffix = () => Math.random().toString(36).slice(2, 10);
const SECRETS = {
  db_password: `Db-${suffix()} "q" /+ä&=%`,
  api_token: `tok_${suffix()}_${suffix()}`,
  legacy_password: `Leg ${suffix()}! <x>`,
  vault_passphrase: `vault-pass-${suffix()}`,
};

/** Records each distinct command line of every process on the host, every 10 ms, until stopped. */
const SAMPLER = String.raw`
use strict;
my %seen; my $n = 0;
open(my $out, '>>', '/root/cmdlines.txt') or die "open: $!";
select((select($out), $| = 1)[0]);
while (! -e '/root/sampler.stop') {
  $n++;
  opendir(my $d, '/proc') or die;
  for my $p (readdir $d) {
    next unless $p =~ /^\d+$/;
    next if $p == $$;
    if (open(my $f, '<', "/proc/$p/cmdline")) {
      local $/; my $c = <$f>; close $f;
      next unless defined $c && length $c;
      $c =~ s/\0/ /g;
      print $out "$c\n" unless $seen{$c}++;
    }
  }
  closedir $d;
  select(undef, undef, undef, 0.01);
}
open(my $s, '>', '/root/sampler.count') or die; print $s "$n\n"; close $s;
`;

/** The same on this machine (the controller: the CLI, ssh, and the container's processes too). */
function sampleLocally(into: Set<string>): () => number {
  let samples = 0;
  const timer = setInterval(() => {
    samples++;
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
      try {
        const c = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0/g, ' ');
        if (c) into.add(Buffer.from(c, 'latin1').toString('utf8'));
      } catch {
        /* gone */
      }
    }
  }, 10);
  return () => {
    clearInterval(timer);
    return samples;
  };
}

describe.skipIf(Boolean(why) && process.env.CI !== 'true')(
  'no secret leaks (real host, sampled command lines)',
  () => {
    let f: HostFixture;
    let host: string;

    beforeAll(async () => {
      f = await bootFixture(1, 'leak');
      host = f.hosts.hosts[0]!.name;
    });
    afterAll(async () => {
      await f?.hosts.teardown();
    });

    it('keeps every secret out of output, run record and every command line, and writes 0600 files', async () => {
      // The vault (beside the inventory, the default place), its password file, an Ansible !vault value.
      const pass = join(f.dir, 'vault-pass');
      writeFileSync(pass, `${SECRETS.vault_passphrase}\n`, { mode: 0o600 });
      writeFileSync(
        join(f.dir, 'secrets.vault'),
        await encryptNovastation(
          `db_password: ${JSON.stringify(SECRETS.db_password)}\n`,
          SECRETS.vault_passphrase,
          { scrypt: { N: MIN_SCRYPT_N, r: 8, p: 1 } },
        ),
        { mode: 0o600 },
      );
      const vaulted = execFileSync(
        'ansible-vault',
        [
          'encrypt_string',
          '--vault-password-file',
          pass,
          SECRETS.legacy_password,
          '--name',
          'legacy_password',
        ],
        { encoding: 'utf8' },
      );
      mkdirSync(join(f.dir, 'group_vars'), { recursive: true });
      writeFileSync(
        join(f.dir, 'group_vars', 'all.yml'),
        ['db_password: !secret db_password', 'api_token: !env NS_LEAK_TOKEN', vaulted.trim(), ''].join('\n'),
      );

      // Start the sampler inside the host, and prove it sees a short-lived command line.
      await f.hosts.exec(
        host,
        `rm -f /root/cmdlines.txt /root/sampler.stop /root/sampler.count; cat > /root/sampler.pl <<'EOF'\n${SAMPLER}\nEOF`,
      );
      await f.hosts.exec(host, 'setsid perl /root/sampler.pl </dev/null >/dev/null 2>&1 &');
      const canary = `NS_CANARY_${suffix()}`;
      await f.hosts.exec(host, `sh -c 'sleep 0.3; : ${canary}'`);
      const local = new Set<string>();
      const stopLocal = sampleLocally(local);

      let run;
      try {
        run = await runCli(
          [PLAYBOOK, ...f.sshArgs, '--vault-password-file', pass, '-v', '--diff', '--json'],
          { env: { NS_LEAK_TOKEN: SECRETS.api_token } },
        );
      } finally {
        const localSamples = stopLocal();
        await f.hosts.exec(host, 'touch /root/sampler.stop');
        await new Promise((r) => setTimeout(r, 300));
        expect(localSamples).toBeGreaterThan(50);
      }
      expect(
        run.code,
        run.stderr
          .split('\n')
          .map((l) => l.slice(0, 400))
          .join('\n')
          .slice(-6000),
      ).toBe(0);
      const remote = (await f.hosts.exec(host, 'cat /root/cmdlines.txt')).stdout;
      const samples = Number((await f.hosts.exec(host, 'cat /root/sampler.count')).stdout.trim());
      expect(remote).toContain(canary); // the sampler does see command lines…
      expect(samples).toBeGreaterThan(100); // …often (the run takes several seconds)
      expect(remote).toContain('chpasswd'); // and it saw the role's commands

      // The secrets were really used: they reached the host, in 0600 files.
      const generated = (await f.hosts.exec(host, 'cat /root/ns-leak/generated')).stdout;
      expect(generated).toMatch(/^[A-Za-z0-9]{28}$/);
      expect((await f.hosts.exec(host, 'cat /root/ns-leak/app.conf')).stdout).toBe(
        `db=${SECRETS.db_password}\ntoken=${SECRETS.api_token}\nlegacy=${SECRETS.legacy_password}\n`,
      );
      const modes = (
        await f.hosts.exec(
          host,
          'stat -c "%n %a" /root/ns-leak /root/ns-leak/app.conf /root/ns-leak/plain.conf /root/ns-leak/generated /root/ns-leak/long.txt',
        )
      ).stdout;
      expect(modes.trim().split('\n')).toEqual([
        '/root/ns-leak 700',
        '/root/ns-leak/app.conf 600',
        '/root/ns-leak/plain.conf 600',
        '/root/ns-leak/generated 600',
        '/root/ns-leak/long.txt 600',
      ]);
      expect((await f.hosts.exec(host, 'getent shadow nsleak | cut -d: -f2')).stdout).toMatch(/^\$/);

      // The output did carry the places secrets would have been: masked.
      expect(run.stderr).toMatch(/raw \*{8} \| base64 \*{8} \| url \*{8} \| json "\*{8}"/);
      expect(
        taskEvents(run, { task: 'long output with a secret across chunk boundaries' })[0]!.message,
      ).toMatch(/^read 135\d{3} bytes: x+\*{8}y+\*{8}/);
      expect(taskEvents(run, { task: 'an error holding a secret', status: 'failed' })[0]!.error).toBe(
        'could not log in with ******** (token ********)',
      );
      expect(
        taskEvents(run, { task: 'plain-typed content holding a secret (0600, shown by --diff)' })[0]!.diff,
      ).toContain('+token=********');

      const all = { ...SECRETS, generated };
      const records = readdirSync(join(f.dir, '.novastation', 'runs')).map((n) =>
        readFileSync(join(f.dir, '.novastation', 'runs', n), 'utf8'),
      );
      expect(records).toHaveLength(1);
      expect(findLeaks(run.stdout, all), 'stdout (--json)').toEqual([]);
      expect(findLeaks(run.stderr, all), 'stderr (-v --diff)').toEqual([]);
      expect(findLeaks(records[0]!, all), 'run record').toEqual([]);
      expect(findLeaks(remote, all), 'remote command lines').toEqual([]);
      expect(findLeaks([...local].join('\n'), all), 'command lines on this machine').toEqual([]);
    });
  },
);
