// The framing script text and the marker scanner, without a long-lived shell.
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MarkerScanner } from '../../lib/transport/marker-scanner.js';
import { shellJoin, shellLaunch } from '../../lib/transport/shell-launch.js';
import {
  ansiCQuote,
  buildCommandPayload,
  buildCommandScript,
  frameMarkers,
  HEREDOC_STDIN_MAX,
} from '../../lib/transport/shell-script.js';

const markers = frameMarkers('0123456789abcdef0123456789abcdef', 7);
const options = { delimiter: 'NS_STDIN_test' };

describe('ansiCQuote', () => {
  it('round-trips any text through bash byte for byte', () => {
    const samples = [
      "it's",
      'back\\slash',
      '$HOME `id` $(id) "q"',
      'tab\tnew\nline\r',
      'é ü 日本 🙂',
      '\x01\x7f\x1b[0m',
      "'''\\\\'",
    ];
    for (const text of samples) {
      const out = execFileSync('bash', ['--noprofile', '--norc', '-c', `printf '%s' ${ansiCQuote(text)}`]);
      expect(out.toString('utf8')).toBe(text);
    }
  });

  it('keeps the quoted word to printable ASCII', () => {
    expect(ansiCQuote("a'b\n\u00e9")).toBe("$'a\\'b\\x0a\\xc3\\xa9'");
  });
});

describe('buildCommandScript', () => {
  it('runs the command by eval in a subshell with stdin from /dev/null, then prints both markers', () => {
    const script = buildCommandScript('echo hi', markers, options);
    expect(script).toBe(
      [
        "__ns_c=$'echo hi'",
        '{ ( eval "$__ns_c" ) 2>&3 3>&- </dev/null; } 3>&2 2>/dev/null; __ns_rc=$? __ns_t=0',
        'unset __ns_c __ns_d',
        `printf '%s%d %d\\n' '${markers.stdout}' "$__ns_rc" "$__ns_t"; printf '%s' '${markers.stderr}' >&2`,
        '',
      ].join('\n'),
    );
  });

  it('sends small stdin as a base64 heredoc: the data itself never appears', () => {
    const secret = 'hunter2-very-secret';
    const script = buildCommandScript('cat', markers, { ...options, stdin: Buffer.from(secret) });
    expect(script).not.toContain(secret);
    expect(script).toContain(`base64 -d <<'NS_STDIN_test' | ( eval "$__ns_c" )`);
    expect(script).toContain(`\n${Buffer.from(secret).toString('base64')}\nNS_STDIN_test\n`);
  });

  it('streams large stdin as raw bytes right after the line whose `head -c` reads exactly them', () => {
    const data = Buffer.alloc(HEREDOC_STDIN_MAX + 1, 7);
    const payload = buildCommandPayload('wc -c', markers, { ...options, stdin: data });
    expect(Buffer.isBuffer(payload)).toBe(true);
    const text = (payload as Buffer).toString('latin1');
    const line = `{ head -c ${data.length} | ( eval "$__ns_c" ) 2>&3 3>&-; } 3>&2 2>/dev/null; __ns_rc=$? __ns_t=0\n`;
    const start = text.indexOf(line) + line.length;
    expect(start).toBeGreaterThan(line.length);
    expect((payload as Buffer).subarray(start, start + data.length).equals(data)).toBe(true);
    expect(text.slice(start + data.length)).toMatch(/^unset __ns_c __ns_d\n/);
    expect(text).not.toContain('__ns_d=$(');
    // And bash really hands the command exactly those bytes, then goes on with the script.
    const r = spawnSync('bash', ['-c', 'exec 3>&2; bash'], { input: payload });
    expect(r.stdout.toString()).toBe(`${data.length}\n${markers.stdout}0 0\n`);
    expect(() => buildCommandScript('wc -c', markers, { ...options, stdin: data })).toThrow(/streamed raw/);
  });

  it('keeps a large stdin with a timeout in a variable (a background job would race bash for its input)', () => {
    const data = Buffer.alloc(HEREDOC_STDIN_MAX + 1, 7);
    const script = buildCommandScript('wc -c', markers, { ...options, stdin: data, timeoutMs: 5000 });
    const match = /__ns_d=\$\(head -c (\d+)\)\n/.exec(script);
    expect(match).not.toBeNull();
    const start = match!.index + match![0].length;
    const payload = script.slice(start, start + Number(match![1]));
    expect(Buffer.from(payload.replace(/\n/g, ''), 'base64').equals(data)).toBe(true);
  });

  it('races the job against a sleep when a timeout is given, killing its process group', () => {
    const script = buildCommandScript('sleep 9', markers, { ...options, timeoutMs: 1500 });
    expect(script).toContain('set -m; ( ( eval "$__ns_c" ) 2>&3 3>&- </dev/null ) & __ns_p=$!');
    expect(script).toContain('sleep 1.500 & __ns_s=$!; set +m');
    expect(script).toContain('kill -TERM -- -$__ns_p');
    expect(script).toContain('kill -KILL -- -$__ns_p');
  });

  it('refuses a command containing NUL', () => {
    expect(() => buildCommandScript('a\0b', markers, options)).toThrow(/NUL/);
  });
});

describe('MarkerScanner', () => {
  const marker = Buffer.from(markers.stdout);
  const stream = Buffer.concat([Buffer.from('out<<NS.put\0\xff'), marker, Buffer.from('42 0\n')]);

  it('finds a marker and its trailer split at every possible point', () => {
    for (let a = 0; a <= stream.length; a++) {
      for (const b of [a, Math.min(stream.length, a + 1), Math.min(stream.length, a + 13)]) {
        const scanner = new MarkerScanner(marker, true);
        for (const piece of [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)])
          scanner.push(piece);
        expect(scanner.done).toBe(true);
        expect(scanner.output()).toEqual(stream.subarray(0, stream.indexOf(marker)));
        expect(scanner.trailer).toBe('42 0');
      }
    }
  });

  it('waits for the trailer newline and drops anything after the frame', () => {
    const scanner = new MarkerScanner(marker, true);
    scanner.push(Buffer.concat([Buffer.from('x'), marker, Buffer.from('1 1')]));
    expect(scanner.done).toBe(false);
    scanner.push(Buffer.from('\nlate'));
    scanner.push(Buffer.from('more'));
    expect(scanner.done).toBe(true);
    expect(scanner.trailer).toBe('1 1');
    expect(scanner.output().toString()).toBe('x');
  });

  it('ends at a bare marker when no trailer is expected', () => {
    const scanner = new MarkerScanner(Buffer.from(markers.stderr), false);
    scanner.push(Buffer.from(`err${markers.stderr.slice(0, 5)}`));
    expect(scanner.done).toBe(false);
    scanner.push(Buffer.from(markers.stderr.slice(5)));
    expect(scanner.done).toBe(true);
    expect(scanner.output().toString()).toBe('err');
  });
});

describe('shellLaunch', () => {
  it('starts plain bash that announces itself before reading the script, through the lifeline relay', () => {
    const launch = shellLaunch();
    expect(launch.argv.slice(0, 4)).toEqual(['bash', '--noprofile', '--norc', '-c']);
    expect(launch.argv[4]).toMatch(
      /^exec 9< <\(exec 2>\/dev\/null; cat; .*kill -KILL 0\); printf '%s\\n' '<<NS\.ready\.[0-9a-f]+>>'; exec bash --noprofile --norc <&9 9<&-$/,
    );
    // In a session of its own (as sshd and the local connection start it): the relay's kill
    // reaches that process group only.
    expect(
      execFileSync('setsid', ['-w', launch.argv[0]!, ...launch.argv.slice(1)], {
        input: 'echo second\nexit 0\n',
      }).toString(),
    ).toBe(`${launch.readyMarker}\nsecond\n`);
  });

  it('wraps bash in sudo: -n without a password, a random prompt with one; the password is never in argv', () => {
    const noPassword = shellLaunch({ method: 'sudo', user: 'root' });
    expect(noPassword.argv.slice(0, 8)).toEqual(['sudo', '-H', '-S', '-n', '-u', 'root', '--', 'bash']);
    const withPassword = shellLaunch({ method: 'sudo', user: 'deploy', password: 'pa55' });
    expect(withPassword.argv.slice(0, 5)).toEqual(['sudo', '-H', '-S', '-p', withPassword.sudoPrompt]);
    expect(withPassword.argv.join(' ')).not.toContain('pa55');
    expect(() => shellLaunch({ method: 'sudo', user: 'x; rm -rf /' })).toThrow(/invalid become user/);
  });

  it('quotes argv for an SSH exec request', () => {
    expect(shellJoin(['sudo', '-p', "[a b] it's:", 'x'])).toBe("sudo -p '[a b] it'\\''s:' x");
  });
});
