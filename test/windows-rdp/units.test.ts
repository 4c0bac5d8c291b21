/**
 * The pieces under the role, without a simulator: the one PowerShell command line, stdin's JSON,
 * CLIXML error text, address comparison, and the simulator's own command check (so a malformed
 * command would really be caught).
 */
import { describe, expect, it } from 'vitest';
import { secret } from '../../lib/secret.js';
import { encodeInput, powershellArgv, psScript, readableStderr } from '../../lib/windows/powershell.js';
import { canonicalAddress, computerNameProblem } from '../../roles/windows-rdp/plan.js';
import { applyScript, readScript } from '../../roles/windows-rdp/scripts.js';
import { decodeCommand, windowsAddress } from '../pve-sim/state/windows.js';

describe('the PowerShell command line', () => {
  it('is powershell.exe with the script as base64 UTF-16LE, and nothing else', () => {
    const argv = powershellArgv(readScript);
    expect(argv.slice(0, -1)).toEqual([
      'powershell.exe',
      '-NoLogo',
      '-NoProfile',
      '-NonInteractive',
      '-EncodedCommand',
    ]);
    expect(Buffer.from(argv.at(-1)!, 'base64').toString('utf16le')).toBe(readScript.text);
    expect(decodeCommand(argv)).toMatchObject({ name: 'windows-rdp read' });
    expect(decodeCommand(powershellArgv(applyScript))).toMatchObject({ name: 'windows-rdp apply' });
  });

  it('scripts read their data from stdin and answer one marked line', () => {
    const s = psScript('x', '$out = $data.a');
    expect(s.text.split('\n')[0]).toBe('# novastation: x');
    expect(s.text).toContain('[Console]::In.ReadToEnd() | ConvertFrom-Json');
    expect(s.text).toContain("[Console]::Out.WriteLine('NOVASTATION-RESULT ' + $json)");
    expect(s.text).toContain('exit 1');
  });

  it('stdin is JSON with secrets revealed (and flagged) and non-ASCII escaped', () => {
    const { text, secret: flagged } = encodeInput({ login: 'zoë', password: secret('pässwörd-1') });
    expect(flagged).toBe(true);
    expect(text).toBe('{"login":"zo\\u00eb","password":"p\\u00e4ssw\\u00f6rd-1"}');
    expect(JSON.parse(text)).toEqual({ login: 'zoë', password: 'pässwörd-1' });
    expect(encodeInput({ a: 1 }).secret).toBe(false);
  });

  it('CLIXML error records become their text', () => {
    const clixml =
      '#< CLIXML\r\n<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"><S S="Error">Access is denied._x000D__x000A_</S><S S="Error">at line 3_x000D__x000A_</S></Objs>';
    expect(readableStderr(clixml)).toBe('Access is denied.\r\nat line 3');
    expect(readableStderr('plain\r\n')).toBe('plain');
  });
});

describe("the simulator's command check refuses", () => {
  const b64 = (s: string) => Buffer.from(s, 'utf16le').toString('base64');
  it.each([
    [['cmd.exe', '/c', 'dir'], /not powershell\.exe/],
    [['powershell.exe', '-Command', 'Get-Date'], /unexpected arguments/],
    [
      ['powershell.exe', '-NoLogo', '-NoProfile', '-NonInteractive', '-EncodedCommand', 'not base64!'],
      /not base64/,
    ],
    [
      ['powershell.exe', '-NoLogo', '-NoProfile', '-NonInteractive', '-EncodedCommand', b64('Get-Date')],
      /header/,
    ],
  ])('%j', (argv, why) => {
    expect(decodeCommand(argv)).toEqual({ problem: expect.stringMatching(why) });
  });
});

describe('addresses', () => {
  it('compare equal in CIDR and in the mask form Windows shows', () => {
    for (const a of ['192.168.1.0/24', '10.0.0.0/8', '192.168.10.5', '192.168.10.5/32', 'fd00::/64'])
      expect(canonicalAddress(windowsAddress(a))).toBe(canonicalAddress(a));
    expect(windowsAddress('192.168.1.0/24')).toBe('192.168.1.0/255.255.255.0');
    expect(canonicalAddress('192.168.1.0/255.255.255.0')).toBe('192.168.1.0/24');
    expect(canonicalAddress('192.168.1.0/255.255.0.0')).not.toBe(canonicalAddress('192.168.1.0/24'));
  });
});

describe('computer names', () => {
  it('follow the NetBIOS rules Rename-Computer enforces', () => {
    expect(computerNameProblem('vm-dev-03')).toBeUndefined();
    expect(computerNameProblem('a-very-long-vm-name')).toMatch(/1 to 15/);
    expect(computerNameProblem('vm_dev')).toMatch(/letters, digits or hyphens/);
    expect(computerNameProblem('12345')).toMatch(/digits only/);
  });
});
