/**
 * The Windows answer disc: templates/windows/autounattend.xml.hbs rendered as the vm-template
 * role renders it, checked by independent readers — Python's XML parser for well-formedness,
 * xorriso for the ISO 9660/Joliet image (xorriso is an apt package: without it this file is
 * skipped, except under CI=true where that is a failure).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { answerFileVars, firstBootVars, hiddenPassword } from '../../roles/vm-template/answer-file.js';
import { Secret } from '../../lib/secret.js';
import { buildIso } from '../../lib/iso9660.js';
import { renderTemplate } from '../../tasks/files/template.js';

const hasXorriso = spawnSync('xorriso', ['-version'], { stdio: 'ignore' }).status === 0;
if (!hasXorriso && process.env.CI === 'true')
  throw new Error('xorriso is needed to check the answer ISO (apt-get install xorriso)');
if (!hasXorriso)
  console.warn('answer ISO checks skipped: xorriso is not installed (apt-get install xorriso)');

const PASSWORD = 'Tr0ub4dor&<3"quoted"';

function render(): string {
  return renderTemplate(
    'windows/autounattend.xml.hbs',
    answerFileVars('tpl-win11', {
      win_admin_user: 'admin',
      win_admin_password: new Secret(PASSWORD),
      win_image_name: 'Windows 11 Pro',
      win_locale: 'en-US',
      win_timezone: 'W. Europe Standard Time',
    }),
  );
}

/** The passes of an answer file, read by an independent parser (a stray & or < fails here). */
function parse(xml: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'ns-answer-'));
  writeFileSync(join(dir, 'a.xml'), xml);
  const py = spawnSync(
    'python3',
    [
      '-c',
      'import sys,xml.etree.ElementTree as E; r=E.parse(sys.argv[1]).getroot(); print(" ".join(c.get("pass") for c in r))',
      join(dir, 'a.xml'),
    ],
    { encoding: 'utf8' },
  );
  expect(py.status, py.stderr).toBe(0);
  return py.stdout.trim().split(' ');
}

describe('the Windows answer file', () => {
  it('is well-formed XML, ends in sysprep (generalise, power off) and holds no account', () => {
    const xml = render();
    expect(parse(xml)).toEqual(['windowsPE', 'specialize', 'oobeSystem', 'auditUser']);
    expect(xml).not.toContain(PASSWORD);
    expect(xml).not.toContain(hiddenPassword(PASSWORD, 'Password'));
    expect(xml).not.toMatch(/<LocalAccount|<AutoLogon/); // the template has no account of its own
    expect(xml).toMatch(/<Reseal>\s*<Mode>Audit<\/Mode>/);
    expect(xml).toContain('<fDenyTSConnections>false</fDenyTSConnections>');
    expect(xml).toContain('E:\\vioscsi\\w11\\amd64');
    expect(xml).toContain('virtio-win-guest-tools.exe');
    // Setup's cached copy is deleted before sysprep (it would come before each clone's own).
    expect(xml).toMatch(
      /del \/q \/f %WINDIR%\\Panther\\unattend\.xml[\s\S]*sysprep\.exe \/generalize \/oobe \/shutdown/,
    );
    expect(xml).not.toMatch(/<ProductKey>/); // none given: left out, not empty
  });

  it("a clone's first-boot answer file: its name, the administrator in Setup's hidden form, a shutdown", () => {
    const vars = {
      win_admin_user: 'admin',
      win_admin_password: new Secret(PASSWORD),
      win_locale: 'en-US',
      win_timezone: 'UTC',
    };
    const xml = renderTemplate('windows/first-boot.xml.hbs', firstBootVars('vm-dev-03', 'tpl-win11', vars));
    expect(parse(xml)).toEqual(['specialize', 'oobeSystem']);
    expect(xml).toContain('<ComputerName>vm-dev-03</ComputerName>');
    expect(xml).not.toContain(PASSWORD);
    expect(xml).toContain(`<Value>${hiddenPassword(PASSWORD, 'Password')}</Value>`);
    expect(Buffer.from(hiddenPassword(PASSWORD, 'Password'), 'base64').toString('utf16le')).toBe(
      `${PASSWORD}Password`,
    );
    expect(xml).toMatch(/<CommandLine>shutdown\.exe \/s /);
    expect(() => firstBootVars('vm-dev-with-a-long-name', 'tpl-win11', vars)).toThrow(
      /vm-dev-with-a-long-name: a Windows computer name is at most 15/,
    );
  });

  it.skipIf(!hasXorriso)(
    'travels on an ISO that xorriso reads back byte for byte, under its real name',
    () => {
      const xml = Buffer.from(render(), 'utf8');
      const big = Buffer.alloc(5000, 7); // more than one sector
      const iso = buildIso('AUTOUNATTEND', [
        { name: 'autounattend.xml', content: xml },
        { name: 'extra-data.bin', content: big },
      ]);
      expect(
        buildIso('AUTOUNATTEND', [
          { name: 'extra-data.bin', content: big },
          { name: 'autounattend.xml', content: xml },
        ]).equals(iso),
      ).toBe(true);
      const dir = mkdtempSync(join(tmpdir(), 'ns-iso-'));
      writeFileSync(join(dir, 'a.iso'), iso);
      const ls = spawnSync('xorriso', ['-indev', join(dir, 'a.iso'), '-pvd_info', '-ls', '/'], {
        encoding: 'utf8',
      });
      expect(ls.status, ls.stderr).toBe(0);
      expect(ls.stdout).toContain("'autounattend.xml'");
      expect(ls.stdout + ls.stderr).toMatch(/Volume id\s*: 'AUTOUNATTEND'/);
      const out = join(dir, 'x');
      const ex = spawnSync(
        'xorriso',
        ['-osirrox', 'on', '-indev', join(dir, 'a.iso'), '-extract', '/', out],
        { encoding: 'utf8' },
      );
      expect(ex.status, ex.stderr).toBe(0);
      expect(readFileSync(join(out, 'autounattend.xml')).equals(xml)).toBe(true);
      expect(readFileSync(join(out, 'extra-data.bin')).equals(big)).toBe(true);
      // The primary (non-Joliet) tree too: ISO level 2 upper-case names.
      expect(iso.includes(Buffer.from('AUTOUNATTEND.XML;1'))).toBe(true);
    },
  );
});
