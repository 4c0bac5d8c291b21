// The in-shell getent (lib/shell/nss-lookup.ts), run by the local bash on files of a temp folder.
// A stub `getent` function stands for the real one, so a test sees exactly when the lookup falls
// back to it (a process on a host). The real-getent comparison at the end uses this machine's own
// files; the host tests (user, group, authorized_key) run it on Debian 12.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NSS_LOOKUP_FUNCTIONS, nssLookupFunctions } from '../../lib/shell/nss-lookup.js';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'nova:x:990:990:NovaStation agent:/var/lib/novastation:/usr/sbin/nologin',
  'deploy:x:1002:1001:Deploy user:/home/deploy:/bin/bash',
].join('\n');
const GROUP = [
  'root:x:0:',
  '# a comment line',
  '',
  // A commented-out entry is no entry, by name or by id.
  '#ops:x:999:',
  'sudo:x:27:deploy,alice',
  'ops:x:1001:',
  // The last line has no newline.
  'nova:x:990:',
].join('\n');
const SHADOW = 'root:*:20000:0:99999:7:::\ndeploy:$y$j9T$salt$hash:20000:0:99999:7:::\n';

let root: string;

function files(f: { nsswitch?: string | null; passwd?: string; group?: string; shadow?: string }): void {
  const etc = join(root, 'etc');
  rmSync(etc, { recursive: true, force: true });
  mkdirSync(etc, { recursive: true });
  if (f.nsswitch !== null)
    writeFileSync(join(etc, 'nsswitch.conf'), f.nsswitch ?? 'passwd: files\ngroup: files\nshadow: files\n');
  writeFileSync(join(etc, 'passwd'), f.passwd ?? `${PASSWD}\n`);
  writeFileSync(join(etc, 'group'), f.group ?? GROUP);
  writeFileSync(join(etc, 'shadow'), f.shadow ?? SHADOW);
}

/** Runs `commands` after the functions; the stub getent prints `getent ARGS` and says "not found". */
function sh(commands: string): { out: string; code: number } {
  const script = `${nssLookupFunctions(root)}\ngetent() { echo "getent $*"; return 2; }\n${commands}`;
  const r = spawnSync('bash', ['-c', script], { encoding: 'utf8' });
  if (r.stderr) throw new Error(r.stderr);
  return { out: r.stdout, code: r.status ?? -1 };
}

const lookup = (args: string) => sh(`__ns_getent ${args}; echo "rc=$?"`).out;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'ns-nss-'));
  files({});
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('__ns_getent from the files', () => {
  it('answers keyed lookups like getent: key order, numeric keys as ids, a key twice twice', () => {
    files({ nsswitch: 'passwd: files systemd\ngroup: files systemd\n' });
    expect(lookup('group ops 990 ops')).toBe('ops:x:1001:\nnova:x:990:\nops:x:1001:\nrc=0\n');
    expect(lookup('passwd 1002 root')).toBe(
      'deploy:x:1002:1001:Deploy user:/home/deploy:/bin/bash\nroot:x:0:0:root:/root:/bin/bash\nrc=0\n',
    );
  });

  it('skips comment and empty lines and reads a last line without a newline', () => {
    expect(lookup('group nova sudo')).toBe('nova:x:990:\nsudo:x:27:deploy,alice\nrc=0\n');
    expect(lookup('group ops')).toBe('ops:x:1001:\nrc=0\n');
    expect(lookup('group 999')).toBe('getent group 999\nrc=2\n');
  });

  it('lists the whole database when only files (and systemd) are its sources', () => {
    files({ nsswitch: 'group: files systemd\n' });
    expect(lookup('group')).toBe('root:x:0:\nsudo:x:27:deploy,alice\nops:x:1001:\nnova:x:990:\nrc=0\n');
  });

  it('stores one entry in a variable, without printing it', () => {
    const r = sh(`__ns_getent_to e shadow deploy; echo "rc=$? [$e]"`);
    expect(r.out).toBe('rc=0 [deploy:$y$j9T$salt$hash:20000:0:99999:7:::]\n');
  });

  it('reads a missing nsswitch.conf as glibc does: files', () => {
    files({ nsswitch: null });
    expect(lookup('passwd nova')).toContain('nova:x:990:990:');
  });

  it('reads nsswitch.conf with comments, blanks, case and compat', () => {
    files({ nsswitch: '# group: sss\n  GROUP :\tcompat   # local\npasswd: files\n' });
    expect(lookup('group ops')).toBe('ops:x:1001:\nrc=0\n');
  });
});

describe('__ns_getent falls back to getent (a process) when the file may not be the answer', () => {
  it('for a key not in the file: a later source may have it, or getent says it is missing', () => {
    expect(lookup('group ops nosuch')).toBe('getent group ops nosuch\nrc=2\n');
    const r = sh(`__ns_getent_to e passwd nosuch; echo "rc=$? [$e]"`);
    expect(r.out).toBe('rc=2 [getent passwd nosuch]\n');
  });

  it('when files is not the first source, or an action acts on its success', () => {
    for (const sources of [
      'sss files',
      'systemd files',
      'files [SUCCESS=merge] systemd',
      'files [ !success = return ] sss',
      'Files',
    ]) {
      files({ nsswitch: `group: ${sources}\n` });
      expect(lookup('group ops'), sources).toBe('getent group ops\nrc=2\n');
    }
  });

  it('for a listing when another source than files/systemd may add entries', () => {
    files({ nsswitch: 'group: files [NOTFOUND=return] sss\n' });
    expect(lookup('group ops')).toBe('ops:x:1001:\nrc=0\n'); // found in files: that is the answer
    expect(lookup('group')).toBe('getent group\nrc=2\n');
  });

  it('when nsswitch.conf names the database twice, or cannot be parsed', () => {
    files({ nsswitch: 'group: sss\ngroup: files\n' });
    expect(lookup('group ops')).toBe('getent group ops\nrc=2\n');
    files({ nsswitch: 'group: files [NOTFOUND=return sss\n' });
    expect(lookup('group ops')).toBe('getent group ops\nrc=2\n');
  });

  it('for keys getent would read otherwise: odd numbers, odd names, shadow by number', () => {
    expect(lookup('group 0990')).toBe('getent group 0990\nrc=2\n');
    expect(lookup("group 'o ps'")).toBe('getent group o ps\nrc=2\n');
    expect(lookup('shadow 0')).toBe('getent shadow 0\nrc=2\n');
  });

  it('when a line of the file is not plain (compat entries, blanks, odd numbers, CRs)', () => {
    for (const odd of [
      '+@admins:::',
      ' ops:x:1001:',
      'web:x:01002:',
      'web:x:1002:a,,b',
      'web:x:1002:\r',
      'web:x',
    ]) {
      files({ group: `root:x:0:\n${odd}\nops:x:1001:\n` });
      expect(lookup('group ops'), odd).toBe('getent group ops\nrc=2\n');
    }
    // After the answer too: the file is checked whole, in one regex.
    files({ group: 'ops:x:1001:\n+:::\n' });
    expect(lookup('group ops')).toBe('getent group ops\nrc=2\n');
    expect(lookup('group')).toBe('getent group\nrc=2\n');
    expect(lookup('group 1001')).toBe('getent group 1001\nrc=2\n');
    // A NUL byte would end bash's read of the file: what follows it is not seen, so getent.
    files({ group: 'ops:x:1001:\n\0+:::\n' });
    expect(lookup('group ops')).toBe('getent group ops\nrc=2\n');
  });
});

it('leaves the shell as it found it (it runs in a batch shell, inShell)', () => {
  const state = `{ set -o; shopt; trap -p; declare -p | grep -v -e '^declare -[a-zA-Z-]* \\(BASH_\\|_=\\|__ns_\\|PIPESTATUS\\|FUNCNAME\\)'; pwd; }`;
  const r = sh(
    `${state} > ${root}/before; __ns_getent group ops >/dev/null; __ns_getent group >/dev/null; __ns_getent_to e passwd root; unset e; ${state} > ${root}/after; cmp ${root}/before ${root}/after && echo same`,
  );
  expect(r.out).toBe('same\n');
});

it("answers as this machine's getent does for its own files", () => {
  const real = (args: string) =>
    spawnSync('bash', ['-c', `getent ${args}; echo "rc=$?"`], { encoding: 'utf8' }).stdout;
  const ours = (args: string) =>
    spawnSync('bash', ['-c', `${NSS_LOOKUP_FUNCTIONS}\n__ns_getent ${args}; echo "rc=$?"`], {
      encoding: 'utf8',
    }).stdout;
  for (const args of ['passwd root 0', 'group 0 root', 'group', 'passwd', 'group root nosuch-group-ns'])
    expect(ours(args), args).toBe(real(args));
});
