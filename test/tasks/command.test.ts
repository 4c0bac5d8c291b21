import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Host } from '../../lib/host/host.js';
import { secret } from '../../lib/secret.js';
import type { Connection } from '../../lib/transport/types.js';
import { command, type CommandOptions } from '../../tasks/system/command.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle, proveIdempotent } from '../support/prove.js';
import { untouchable } from './fixtures/command/untouchable.js';

describe('command options', () => {
  const refused = (options: unknown, message: RegExp) => {
    expect(() => command(untouchable, options as CommandOptions)).toThrow(TypeError);
    expect(() => command(untouchable, options as CommandOptions)).toThrow(message);
  };

  it('refuses bad options before touching the host, naming the option and what it expects', () => {
    refused({}, /command: give exactly one of argv \(an array of words\) or shell .*, got "neither"/);
    refused({ argv: ['true'], shell: 'true' }, /exactly one of argv .*, got "both"/);
    refused({ argv: [] }, /command: argv must be a non-empty argv array/);
    refused(
      { argv: ['echo', secret('hunter2-pass')] },
      /command: argv must be argv without secrets.*stdin or in env/,
    );
    refused({ argv: ['echo', 3] }, /command: argv must be an array of strings, word #2 is number/);
    refused(
      { argv: 'ls -l' },
      /command: argv must be an argv array of words, like \["systemctl", .*, got "ls -l"/,
    );
    refused({ shell: '  ' }, /command: shell must be a non-empty script, got " {2}"/);
    refused(
      { shell: secret('echo hunter2-pass') },
      /command: shell must be a plain string: a Secret script would show in logs/,
    );
    refused(
      { argv: ['touch', 'x'], creates: 'relative/x' },
      /command: creates must be an absolute path, got "relative\/x"/,
    );
    refused({ argv: ['rm', 'x'], removes: '' }, /command: removes must be an absolute path/);
    refused({ argv: ['ls'], cwd: 'tmp' }, /command: cwd must be an absolute path/);
    refused({ argv: ['ls'], unless: [] }, /command: unless must be a non-empty argv array/);
    refused(
      { argv: ['ls'], onlyIf: 'test -f /x' },
      /command: onlyIf must be an argv array .* or \{ shell: "a \| b" \}/,
    );
    refused(
      { argv: ['ls'], env: { 'BAD-NAME': 'x' } },
      /command: env must have shell variable names as keys, got "BAD-NAME"/,
    );
    refused({ argv: ['ls'], env: { N: 1 } }, /command: env\.N must be a string or a Secret, got 1/);
    refused({ argv: ['ls'], stdin: 42 }, /command: stdin must be a string, a Buffer or a Secret/);
    refused(
      { argv: ['ls'], changedWhen: true },
      /command: changedWhen must be a function of \{ stdout, stderr, exitCode \}/,
    );
    refused(
      { argv: ['ls'], readOnly: true, changedWhen: () => true },
      /command: changedWhen must not be given with readOnly: true/,
    );
    refused(
      { argv: ['ls'], unless: { shell: '' } },
      /command: unless must be a non-empty script \(in \{ shell \}\)/,
    );
    refused({ argv: ['ls'], timeoutMs: 0 }, /command: timeoutMs must be a positive number of milliseconds/);
  });
});

describe.skipIf(skipHosts)('command on a real host', () => {
  let f: HostFixture;
  let name: string;
  let host: Host;
  let checkHost: Host;
  beforeAll(async () => {
    f = await bootFixture(1, 'tcmd');
    name = f.hosts.hosts[0]!.name;
    host = hostHandle(f, name);
    checkHost = hostHandle(f, name, true);
  });
  afterAll(async () => {
    await host?.close();
    await checkHost?.close();
    await f?.hosts.teardown();
  });

  /** Check mode reports the command skipped with "would run", and the host's overlay is unchanged. */
  async function checkModeSkips(options: CommandOptions, shown: string): Promise<void> {
    const before = await f.hosts.snapshotUpper(name);
    const outcome = await command(checkHost, options);
    expect(outcome).toEqual({ changed: false, skipped: true, message: `check mode: would run ${shown}` });
    expect(await f.hosts.snapshotUpper(name), 'check mode changed nothing on the host').toBe(before);
  }

  it('creates: runs once, then reports ok; after a drift check mode skips it and changes nothing', async () => {
    const options: CommandOptions = {
      argv: ['sh', '-c', 'date +%s%N > /etc/cmd-created'],
      creates: '/etc/cmd-created',
    };
    const proof = await proveIdempotent(f, name, (h) => command(h, options));
    expect(proof.first.changes).toEqual([`command sh -c 'date +%s%N > /etc/cmd-created': ran`]);
    expect(proof.second).toEqual({ changed: false, message: 'creates: /etc/cmd-created exists' });
    expect((await f.hosts.exec(name, 'rm /etc/cmd-created')).exitCode).toBe(0);
    await checkModeSkips(options, `sh -c 'date +%s%N > /etc/cmd-created'`);
    expect((await f.hosts.exec(name, 'test -e /etc/cmd-created')).exitCode, 'check mode did not run it').toBe(
      1,
    );
  });

  it('checks all four guards in one round trip, and runs only when every guard allows', async () => {
    expect((await f.hosts.exec(name, 'touch /etc/cmd-flag')).exitCode).toBe(0);
    const options: CommandOptions = {
      argv: ['rm', '/etc/cmd-flag'],
      creates: '/etc/cmd-never',
      removes: '/etc/cmd-flag',
      unless: ['test', '-e', '/etc/cmd-never'],
      onlyIf: { shell: 'test -e /etc/cmd-flag && test -d /etc' },
    };
    let trips = host.roundTrips;
    const first = await command(host, options);
    expect(first.changed).toBe(true);
    expect(host.roundTrips - trips, 'one probe for the guards + the command').toBe(2);
    trips = host.roundTrips;
    const second = await command(host, options);
    expect(second).toEqual({ changed: false, message: 'removes: /etc/cmd-flag is absent' });
    expect(host.roundTrips - trips, 'the guard probe only').toBe(1);
  });

  it('unless and onlyIf hold a command back with the reason', async () => {
    const append: CommandOptions = {
      shell: `echo 'managed line' >> /etc/cmd-lines`,
      unless: ['grep', '-qxF', 'managed line', '/etc/cmd-lines'],
    };
    const proof = await proveIdempotent(f, name, (h) => command(h, append));
    expect(proof.second.message).toBe(`unless: grep -qxF 'managed line' /etc/cmd-lines succeeded`);
    expect((await f.hosts.exec(name, 'cat /etc/cmd-lines')).stdout).toBe('managed line\n');

    const gated: CommandOptions = {
      argv: ['touch', '/etc/cmd-gated'],
      onlyIf: ['test', '-e', '/etc/cmd-go'],
    };
    expect(await command(host, gated)).toEqual({
      changed: false,
      message: 'onlyIf: test -e /etc/cmd-go failed',
    });
    expect((await f.hosts.exec(name, 'test -e /etc/cmd-gated')).exitCode).toBe(1);
    await f.hosts.exec(name, 'touch /etc/cmd-go');
    expect((await command(host, gated)).changed).toBe(true);
    expect((await f.hosts.exec(name, 'test -e /etc/cmd-gated')).exitCode).toBe(0);
  });

  it('changedWhen and failedWhen judge the result; by default a non-zero exit fails', async () => {
    const judged = (stdout: string): CommandOptions => ({
      argv: ['sh', '-c', `echo '${stdout}'; exit 3`],
      failedWhen: (r) => r.exitCode !== 0 && r.exitCode !== 3,
      changedWhen: (r) => !r.stdout.includes('nothing to do'),
    });
    const unchanged = await command(host, judged('nothing to do'));
    expect(unchanged).toMatchObject({ changed: false, run: { stdout: 'nothing to do\n', exitCode: 3 } });
    expect(unchanged.changes).toBeUndefined();
    expect(await command(host, judged('updated 2 files'))).toMatchObject({
      changed: true,
      run: { exitCode: 3 },
    });

    await expect(command(host, { argv: ['false'] })).rejects.toThrow(
      /command failed \(exit 1\) on \S+: false/,
    );
    await expect(
      command(host, { shell: 'echo "ERROR: broken" >&2', failedWhen: (r) => r.stderr.includes('ERROR') }),
    ).rejects.toThrow(/\(exit 0\).*\(failedWhen\)\nERROR: broken/);
    const started = Date.now();
    await expect(command(host, { argv: ['sleep', '30'], timeoutMs: 300 })).rejects.toThrow(
      /timed out after 300 ms/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('passes argv words verbatim: no word becomes shell syntax, an assignment or a keyword', async () => {
    const words = ['a b', `it's`, '$HOME', '`id`', ';', '*', '', 'new\nline', '"q"', '\\'];
    const printed = await command(host, { argv: ['printf', '[%s]', ...words], readOnly: true });
    expect(printed.run?.stdout).toBe(words.map((w) => `[${w}]`).join(''));
    const assignment = await command(host, { argv: ['X=1'], readOnly: true, failedWhen: () => false });
    expect(assignment.run?.exitCode, 'X=1 was looked up as a program, not assigned').toBe(127);
    const keyword = await command(host, { argv: ['if'], readOnly: true, failedWhen: () => false });
    expect(keyword.run?.exitCode).toBe(127);
  });

  it('runs shell scripts explicitly marked, in cwd; a syntax error fails that command alone', async () => {
    expect((await command(host, { shell: 'echo a b c | wc -w', readOnly: true })).run?.stdout).toBe('3\n');
    await expect(command(host, { shell: 'set -e; false; echo after' })).rejects.toThrow(/exit 1/);
    await expect(command(host, { shell: 'echo "unbalanced' })).rejects.toThrow(/exit 2/);
    expect((await command(host, { argv: ['pwd'], cwd: '/etc/ssh', readOnly: true })).run?.stdout).toBe(
      '/etc/ssh\n',
    );
    expect(
      (await command(host, { argv: ['true'], readOnly: true })).changed,
      'the host handle still works',
    ).toBe(false);
  });

  it('sends stdin and secret env values without putting them on a command line or in the outcome', async () => {
    const token = 'tok-7f3a\'"$x\nline2\n';
    const password = 'pw-Q9z!hunter';
    const sent: string[] = [];
    const inner = hostHandle(f, name);
    const recording = new Host({
      name,
      check: false,
      shellType: 'sh',
      connect: async () => {
        const c = await inner.connection();
        return {
          description: c.description,
          shellType: c.shellType,
          close: () => c.close(),
          run: (cmd, o) => (sent.push(cmd), c.run(cmd, o)),
        } satisfies Connection;
      },
    });
    try {
      const outcome = await command(recording, {
        shell: 'ps -eo args > /root/cmd-ps; printf "%s|%s|%s" "$TOKEN" "$PLAIN" "$(cat)" > /root/cmd-env',
        env: { TOKEN: secret(token), PLAIN: `it's "q" $HOME` },
        stdin: secret(password),
        creates: '/root/cmd-env',
      });
      expect(outcome.changed).toBe(true);
      expect((await f.hosts.exec(name, 'cat /root/cmd-env')).stdout).toBe(
        `${token}|it's "q" $HOME|${password}`,
      );
      const ps = (await f.hosts.exec(name, 'cat /root/cmd-ps')).stdout;
      expect(ps).toContain('ps -eo args');
      expect(sent).toHaveLength(2); // guard probe + command
      for (const text of [sent.join('\n'), ps, JSON.stringify(outcome)]) {
        for (const value of [token, password, 'tok-7f3a', Buffer.from(token).toString('base64')])
          expect(text).not.toContain(value);
      }
    } finally {
      await recording.close();
      await inner.close();
    }
  });

  it('readOnly commands run in check mode and report ok; others are skipped there', async () => {
    const before = await f.hosts.snapshotUpper(name);
    const query = await command(checkHost, { argv: ['cat', '/etc/hostname'], readOnly: true });
    expect(query).toEqual({ changed: false, run: { stdout: `${name}\n`, stderr: '', exitCode: 0 } });
    expect(await f.hosts.snapshotUpper(name)).toBe(before);
    await checkModeSkips({ argv: ['touch', '/etc/cmd-check'] }, 'touch /etc/cmd-check');
    expect((await f.hosts.exec(name, 'test -e /etc/cmd-check')).exitCode).toBe(1);
  });
});
