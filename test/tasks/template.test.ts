import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  renderTemplate,
  template,
  templateResource,
  type TemplateOptions,
} from '../../tasks/files/template.js';
import { templateHelpers } from '../../tasks/files/template-helpers.js';
import { secret } from '../../lib/secret.js';
import { bootFixture, skipHosts, type HostFixture } from '../support/hosts.js';
import { hostHandle, proveIdempotent } from '../support/prove.js';

const TRICKY = `He said "hi" to $HOME, \`id\`, back\\slash, it's; #not a comment`;

/** A template file in a private temp folder (absolute src). */
function tmpTemplate(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'ns-tpl-')), 't.hbs');
  writeFileSync(path, text);
  return path;
}

describe('template helpers', () => {
  it('quote values so that the reader gets them back exactly', () => {
    const out = renderTemplate('test/formats.hbs', { value: TRICKY, items: ['a', 'b c'] });
    const line = (prefix: string) =>
      out
        .split('\n')
        .find((l) => l.startsWith(prefix))!
        .slice(prefix.length);
    expect(JSON.parse(line('json: '))).toBe(TRICKY);
    expect(parseYaml(line('yaml: '))).toBe(TRICKY);
    // The env line, sourced by a real shell, gives the value back; so does the shell word.
    const envFile = tmpTemplate(`${line('env: ')}\n`);
    expect(execFileSync('sh', ['-c', `. "${envFile}"; printf %s "$NAME"`]).toString()).toBe(TRICKY);
    expect(execFileSync('sh', ['-c', `printf %s ${line('shell: echo ')}`]).toString()).toBe(TRICKY);
    expect(line('list: ')).toBe('a, b c');
    expect(out).toContain(`    nested:\n      a: ${JSON.stringify(TRICKY)}\n`);
  });

  it('ini leaves safe values bare and double-quotes the rest', () => {
    const ini = (v: unknown) => (templateHelpers.ini as (...a: unknown[]) => string)(v, {});
    expect(ini('256M')).toBe('256M');
    expect(ini('a b')).toBe('a b');
    expect(ini(' padded')).toBe('" padded"');
    expect(ini('x;y "q"')).toBe('"x;y \\"q\\""');
    expect(ini('')).toBe('""');
    expect(() => ini('a\nb')).toThrow('helper ini: an INI value cannot hold a newline');
  });

  it('a helper given an undefined value throws instead of writing nothing', () => {
    expect(() => renderTemplate(tmpTemplate('{{json x}}'), { x: undefined })).toThrow(
      /helper json: argument 1 is undefined/,
    );
  });
});

describe('template strictness', () => {
  it('a missing variable is an error naming the template, the variable and where', () => {
    expect(() =>
      renderTemplate('test/app.ini.hbs', { site: { name: 'lab' }, debug: false, hosts: [] }),
    ).toThrow('template test/app.ini.hbs: variable "motd" is not defined (line 4, column 14)');
    expect(() => renderTemplate('test/app.ini.hbs', { motd: 'hi', debug: false, hosts: [] })).toThrow(
      'variable "site.name" is not defined',
    );
  });

  it('also in helper arguments and conditions, which plain Handlebars strict mode lets through', () => {
    expect(() =>
      renderTemplate('test/app.ini.hbs', { site: { name: 'lab' }, motd: 'hi', hosts: [] }),
    ).toThrow('variable "debug" is not defined (line 5');
    expect(() => renderTemplate(tmpTemplate('{{#each list}}{{this}}{{/each}}'), {})).toThrow(
      'variable "list" is not defined',
    );
    expect(() => renderTemplate(tmpTemplate('x {{join items ", "}}'), {})).toThrow(
      'variable "items" is not defined',
    );
  });

  it('is refused when made, before any host is touched (templateResource is synchronous)', () => {
    expect(() => template(null as never, { path: '/etc/x', src: 'test/app.ini.hbs', vars: {} })).toThrow(
      /variable "site.name" is not defined/,
    );
    expect(() => template(null as never, { path: '/etc/x', src: 'test/nope.hbs', vars: {} })).toThrow(
      /template test\/nope.hbs: not found/,
    );
    expect(() => template(null as never, { path: '/etc/x', src: '', vars: {} })).toThrow(
      /template: src must be a template path/,
    );
    expect(() =>
      template(null as never, { path: '/etc/x', src: 'test/app.ini.hbs', vars: [] as never }),
    ).toThrow(/template: vars must be an object, got an array/);
    expect(() => template(null as never, { path: 'x', src: 'test/app.ini.hbs', vars: {} })).toThrow(
      /template: path must be absolute/,
    );
    expect(() =>
      template(
        null as never,
        { path: '/x', src: 'test/app.ini.hbs', vars: {}, validate: 'check "%s"' } as TemplateOptions,
      ),
    ).toThrow(/validate must not quote %s/);
  });

  it('renders Secrets in vars with their value and makes the file sensitive', () => {
    const r = templateResource({
      path: '/etc/db.env',
      src: 'test/secret.env.hbs',
      vars: { user: 'app', password: secret('pw-Template-77') },
    });
    expect(r.sensitive).toBe(true);
    expect(
      templateResource({
        path: '/etc/db.env',
        src: 'test/secret.env.hbs',
        vars: { user: 'app', password: 'plain' },
      }).sensitive,
    ).toBe(false);
  });
});

describe.skipIf(skipHosts)('template on a host', () => {
  let f: HostFixture;
  let name: string;
  beforeAll(async () => {
    f = await bootFixture(1, 'ttpl');
    name = f.hosts.hosts[0]!.name;
  });
  afterAll(async () => {
    await f?.hosts.teardown();
  });

  const vars = { site: { name: 'lab one' }, motd: 'Hello; world', debug: true, hosts: ['pve1', 'pve2'] };

  it('renders idempotently; check mode after drift changes nothing; diff shows it', async () => {
    const proof = await proveIdempotent(
      f,
      name,
      (host) => template(host, { path: '/etc/ns-app.ini', src: 'test/app.ini.hbs', vars, mode: '0640' }),
      {
        drift: `sed -i 's/^host1 = pve2/host1 = pve3/' /etc/ns-app.ini`,
        diffContains: ['-host1 = pve3', '+host1 = pve2', 'template /etc/ns-app.ini: content'],
      },
    );
    expect(proof.first.changes).toEqual(['template /etc/ns-app.ini: state → created']);
    const onHost = (await f.hosts.exec(name, 'cat /etc/ns-app.ini')).stdout;
    expect(onHost).toContain('name = lab one\nmotd = "Hello; world"\ndebug = true\n');
  });

  it('writes a Secret var to the host but never into the outcome', async () => {
    const password = 'pw-Template-77';
    await proveIdempotent(
      f,
      name,
      (host) =>
        template(host, {
          path: '/etc/ns-db.env',
          src: 'test/secret.env.hbs',
          vars: { user: 'app', password: secret(password) },
          mode: '0600',
        }),
      {
        drift: `sed -i 's/^DB_PASSWORD=.*/DB_PASSWORD=old/' /etc/ns-db.env`,
        secret: password,
        diffContains: ['content changed (sensitive, not shown)'],
      },
    );
    expect(
      (await f.hosts.exec(name, '. /etc/ns-db.env; printf %s "$DB_PASSWORD"')).stdout,
      'check mode left the drift',
    ).toBe('old');
    const host = hostHandle(f, name);
    try {
      await template(host, {
        path: '/etc/ns-db.env',
        src: 'test/secret.env.hbs',
        vars: { user: 'app', password: secret(password) },
        mode: '0600',
      });
    } finally {
      await host.close();
    }
    expect((await f.hosts.exec(name, '. /etc/ns-db.env; printf %s "$DB_PASSWORD"')).stdout).toBe(password);
  });
});
