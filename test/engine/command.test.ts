import { describe, expect, it } from 'vitest';
import { buildCommand } from '../../lib/host/command.js';
import { quotePosix, quotePowerShell } from '../../lib/shell/quote.js';
import { secret } from '../../lib/secret.js';
import { execFileSync } from 'node:child_process';

const cmd = (strings: TemplateStringsArray, ...values: unknown[]) => buildCommand('sh', strings, values);

describe('command quoting', () => {
  it('quotes every interpolation so dash and bash see one word each', () => {
    const nasty = [`it's`, 'a b', '$(touch /tmp/pwned)', '`id`', 'x;y', '', '*', 'new\nline', '\\', '"q"'];
    for (const value of nasty) {
      const line = cmd`printf %s ${value}`;
      for (const shell of ['dash', 'bash']) {
        expect(execFileSync(shell, ['-c', line]).toString()).toBe(value);
      }
    }
  });
  it('leaves safe words bare and joins arrays as separate words', () => {
    expect(quotePosix('/etc/nginx/nginx.conf')).toBe('/etc/nginx/nginx.conf');
    expect(cmd`ls ${['a b', 'c']}`).toBe(`ls 'a b' c`);
  });
  it('refuses secrets and null on a command line', () => {
    expect(() => cmd`echo ${secret('hunter2-password')}`).toThrow(/secret.*stdin/);
    expect(() => cmd`echo ${null}`).toThrow(/null/);
  });
  it('quotes for PowerShell by doubling single quotes', () => {
    expect(quotePowerShell(`it's`)).toBe(`'it''s'`);
  });
});
