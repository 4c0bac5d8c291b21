/**
 * A project outside this package: its own role (TypeBox variables, templates beside it — one by a
 * role-relative path, one by URL) and playbook in a folder under the OS temp dir, with no
 * node_modules of its own, run by this package's CLI (dist/lib/cli/main.js) against
 * `ansible_connection=local`. Then the same project type-checks with `tsc --noEmit` once
 * novastation is installed beside it (a link, as `npm install <folder>` makes), and a wrong
 * variable type there is a compile error.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/cli.js';

const ROLE = `
import { defineRole, Type } from 'novastation';
import { template } from 'novastation/tasks';

export const greeter = defineRole({
  name: 'greeter',
  vars: Type.Object({
    out_dir: Type.String({ minLength: 1 }),
    greeting: Type.Optional(Type.String()),
  }),
  defaults: { greeting: 'Hello' },
  async apply({ host, vars, task, inventoryHost }) {
    await task('greeting', () =>
      template(host, {
        path: \`\${vars.out_dir}/greeting.txt\`,
        src: './templates/greeting.hbs',
        vars: { greeting: vars.greeting, who: inventoryHost },
      }),
    );
    await task('farewell', () =>
      template(host, {
        path: \`\${vars.out_dir}/farewell.txt\`,
        src: new URL('./templates/farewell.hbs', import.meta.url),
        vars: { who: inventoryHost },
      }),
    );
  },
});
`;

const PLAYBOOK = (dir: string) => `
import { definePlaybook } from 'novastation';
import { greeter } from './roles/greeter/index.js';

export default definePlaybook({
  name: 'outside',
  plays: [{ hosts: 'all', roles: [{ role: greeter, vars: { out_dir: ${JSON.stringify(dir)} } }] }],
});
`;

function project() {
  const dir = mkdtempSync(join(tmpdir(), 'ns-outside-'));
  const role = join(dir, 'roles', 'greeter');
  mkdirSync(join(role, 'templates'), { recursive: true });
  writeFileSync(join(role, 'index.ts'), ROLE);
  writeFileSync(join(role, 'templates', 'greeting.hbs'), '{{greeting}}, {{who}}.\n');
  writeFileSync(join(role, 'templates', 'farewell.hbs'), 'Goodbye, {{who}}.\n');
  const out = join(dir, 'out');
  mkdirSync(out);
  writeFileSync(join(dir, 'site.ts'), PLAYBOOK(out));
  writeFileSync(join(dir, 'hosts.ini'), 'box ansible_connection=local\n');
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'my-site', type: 'module', private: true }),
  );
  return { dir, out };
}

function cli(dir: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'dist/lib/cli/main.js'), ...args], {
      cwd: dir,
      env: { ...process.env, CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const changed = (stdout: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { type: string; status?: string })
    .filter((e) => e.type === 'task' && e.status === 'changed').length;

describe('a role and playbook outside the package', () => {
  it('runs with its own templates, imports novastation from the CLI, and is idempotent', async () => {
    const { dir, out } = project();
    const first = await cli(dir, ['site.ts', '-i', 'hosts.ini', '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(changed(first.stdout)).toBe(2);
    expect(readFileSync(join(out, 'greeting.txt'), 'utf8')).toBe('Hello, box.\n');
    expect(readFileSync(join(out, 'farewell.txt'), 'utf8')).toBe('Goodbye, box.\n');

    const second = await cli(dir, ['site.ts', '-i', 'hosts.ini', '--json']);
    expect(second.code, second.stderr).toBe(0);
    expect(changed(second.stdout)).toBe(0);

    // A play variable of the wrong type is refused before anything runs (exit 4), naming it.
    writeFileSync(join(dir, 'bad.ts'), PLAYBOOK(out).replace(/out_dir: "[^"]*"/, 'out_dir: 7'));
    const bad = await cli(dir, ['bad.ts', '-i', 'hosts.ini']);
    expect(bad.code).toBe(4);
    expect(bad.stderr).toMatch(/role greeter: variable out_dir .*must be string/);
  });

  it('type-checks with tsc once novastation is installed beside it', () => {
    const { dir } = project();
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(repoRoot, join(dir, 'node_modules', 'novastation'));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: true,
        },
        include: ['site.ts', 'roles'],
      }),
    );
    const tsc = join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    const ok = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);

    writeFileSync(join(dir, 'site.ts'), PLAYBOOK('/tmp').replace('out_dir: "/tmp"', 'out_dir: 7'));
    const wrong = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
    expect(wrong.status).not.toBe(0);
    expect(wrong.stdout).toMatch(/site\.ts.*Type 'number' is not assignable to type 'string'/);
  });
});
