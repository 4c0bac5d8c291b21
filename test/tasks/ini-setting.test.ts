import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  editIniSetting,
  iniSetting,
  type IniEdit,
  type IniSettingOptions,
} from '../../tasks/files/ini-setting.js';
import { secret } from '../../lib/secret.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { proveIdempotent } from '../support/prove.js';

function edit(text: string | null, o: Partial<IniEdit> & { key: string }): string | null {
  const options: IniEdit = {
    state: 'present',
    separator: o.section !== undefined ? ' = ' : '=',
    create: true,
    replaceCommented: true,
    ...o,
  };
  const once = editIniSetting(text, options);
  expect(editIniSetting(once, options), 'idempotent').toBe(once);
  return once;
}

const PHP = '[PHP]\n; comment\nmemory_limit = 128M\nmax = 1\n\n[Date]\n;date.timezone =\n';

describe('editIniSetting', () => {
  it('changes a key in its section only', () => {
    const text = '[a]\nk = 1\n[b]\nk = 1\n';
    expect(edit(text, { section: 'b', key: 'k', value: '2' })).toBe('[a]\nk = 1\n[b]\nk = 2\n');
  });

  it('keeps a line whose value is already right as written (its spacing too)', () => {
    expect(edit('[s]\nk=v\n', { section: 's', key: 'k', value: 'v' })).toBe('[s]\nk=v\n');
  });

  it('adds a missing key after the last non-blank line of its section, before the blank line', () => {
    expect(edit(PHP, { section: 'PHP', key: 'upload', value: '8M' })).toBe(
      '[PHP]\n; comment\nmemory_limit = 128M\nmax = 1\nupload = 8M\n\n[Date]\n;date.timezone =\n',
    );
  });

  it('replaces a commented-out key in its section (unless told not to)', () => {
    expect(edit(PHP, { section: 'Date', key: 'date.timezone', value: 'UTC' })).toBe(
      '[PHP]\n; comment\nmemory_limit = 128M\nmax = 1\n\n[Date]\ndate.timezone = UTC\n',
    );
    expect(edit(PHP, { section: 'Date', key: 'date.timezone', value: 'UTC', replaceCommented: false })).toBe(
      `${PHP}date.timezone = UTC\n`,
    );
  });

  it('appends a missing section after a blank line', () => {
    expect(edit('[a]\nx = 1', { section: 'b', key: 'y', value: '2' })).toBe('[a]\nx = 1\n\n[b]\ny = 2\n');
    expect(edit('', { section: 'b', key: 'y', value: '2' })).toBe('[b]\ny = 2\n');
  });

  it('removes duplicates of the key in the section so its value is unambiguous', () => {
    expect(edit('[s]\nk = 1\nother = 0\nk = 2\n', { section: 's', key: 'k', value: '3' })).toBe(
      '[s]\nk = 3\nother = 0\n',
    );
  });

  it('absent removes every active line of the key in the section, keeping comments', () => {
    expect(
      edit('[s]\n# k = old\nk = 1\nk=2\n[t]\nk = 3\n', { section: 's', key: 'k', state: 'absent' }),
    ).toBe('[s]\n# k = old\n[t]\nk = 3\n');
    expect(edit('[s]\n', { section: 'x', key: 'k', state: 'absent' })).toBe('[s]\n');
  });

  it('without a section, manages a plain KEY=value file (the part before any header)', () => {
    const grub = '# If you change this file, run update-grub\nGRUB_DEFAULT=0\nGRUB_TIMEOUT=5\n';
    expect(edit(grub, { key: 'GRUB_TIMEOUT', value: '2' })).toBe(
      '# If you change this file, run update-grub\nGRUB_DEFAULT=0\nGRUB_TIMEOUT=2\n',
    );
    expect(edit(grub, { key: 'GRUB_NEW', value: '"x y"' })).toBe(`${grub}GRUB_NEW="x y"\n`);
    expect(edit('[s]\nk = 1\n', { key: 'top', value: '1' })).toBe('top=1\n[s]\nk = 1\n');
    expect(edit('a=1\n[s]\nk = 1\n', { key: 'k', value: '2' })).toBe('a=1\nk=2\n[s]\nk = 1\n');
  });

  it('looks in every occurrence of a repeated section', () => {
    expect(edit('[s]\na = 1\n[t]\n[s]\nk = 1\n', { section: 's', key: 'k', value: '2' })).toBe(
      '[s]\na = 1\n[t]\n[s]\nk = 2\n',
    );
  });

  it('a missing file: created by default, not with create: false; absent leaves it absent', () => {
    expect(edit(null, { section: 's', key: 'k', value: 'v' })).toBe('[s]\nk = v\n');
    expect(edit(null, { key: 'K', value: 'v' })).toBe('K=v\n');
    expect(() =>
      editIniSetting(
        null,
        { key: 'k', value: 'v', state: 'present', separator: '=', create: false, replaceCommented: true },
        '/f',
      ),
    ).toThrow(/\/f: the file does not exist/);
    expect(edit(null, { key: 'k', state: 'absent' })).toBeNull();
  });
});

describe('iniSetting options', () => {
  it('are refused before anything runs', () => {
    const bad: [Partial<IniSettingOptions>, RegExp][] = [
      [{ path: '/f', key: 'k' }, /ini-setting: value is required with state present/],
      [{ path: '/f', key: 'a=b', value: 1 }, /key must be a name without =/],
      [{ path: '/f', key: ' k', value: 1 }, /key must be a name without =/],
      [{ path: '/f', section: 'a]b', key: 'k', value: 1 }, /section must be a one-line name/],
      [{ path: '/f', key: 'k', value: 'a\nb' }, /value must be one line/],
      [
        { path: '/f', key: 'k', value: {} as never },
        /value must be a string, number, boolean or Secret, got an object/,
      ],
      [{ path: '/f', key: 'k', value: 1, separator: ':' }, /separator must be "="/],
      [{ path: '/f', key: 'k', value: 1, create: 'yes' as never }, /create must be true or false, got "yes"/],
    ];
    for (const [options, message] of bad)
      expect(() => iniSetting(null as never, options as IniSettingOptions)).toThrow(message);
  });
});

describe.skipIf(skipHosts)('iniSetting on a host', () => {
  let f: HostFixture;
  let name: string;
  beforeAll(async () => {
    f = await bootFixture(1, 'tini');
    name = f.hosts.hosts[0]!.name;
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  it('sets an INI value idempotently; check mode after drift changes nothing; diff shows it', async () => {
    await f.hosts.exec(name, `printf '[main]\\nname = lab\\n\\n[db]\\n;port =\\n' > /etc/ns-app.ini`);
    await proveIdempotent(
      f,
      name,
      (host) => iniSetting(host, { path: '/etc/ns-app.ini', section: 'db', key: 'port', value: 5432 }),
      {
        drift: `sed -i 's/^port = 5432/port = 6543/' /etc/ns-app.ini`,
        diffContains: ['-port = 6543', '+port = 5432', 'setting [db] port in /etc/ns-app.ini: content'],
      },
    );
    expect((await f.hosts.exec(name, 'cat /etc/ns-app.ini')).stdout).toBe(
      '[main]\nname = lab\n\n[db]\nport = 6543\n',
    );
  });

  it('masks a secret value: no diff, no value in the outcome', async () => {
    const value = 'ini-Secret-Value-91';
    await proveIdempotent(
      f,
      name,
      (host) =>
        iniSetting(host, { path: '/etc/ns-env', key: 'DB_PASSWORD', value: secret(value), mode: '0600' }),
      {
        drift: `sed -i 's/^DB_PASSWORD=.*/DB_PASSWORD=old/' /etc/ns-env`,
        secret: value,
        diffContains: ['content changed (sensitive, not shown)'],
      },
    );
    expect((await f.hosts.exec(name, 'stat -c %a /etc/ns-env')).stdout).toBe('600\n');
  });
});
