// npm links the bins of dependencies into node_modules/.bin, but never the package's own bin.
// Link ours so `npx playbook` and `node_modules/.bin/playbook` work inside this repository, and
// link the package itself so playbooks anywhere under the repo can `import 'novastation/roles'`.
import { chmodSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function link(target, at) {
  mkdirSync(dirname(at), { recursive: true });
  try {
    lstatSync(at);
    rmSync(at, { force: true, recursive: false });
  } catch {
    /* absent */
  }
  symlinkSync(relative(dirname(at), target), at);
}

for (const [name, file] of Object.entries(pkg.bin)) {
  const target = join(root, file);
  if (!existsSync(target)) throw new Error(`link-self: ${file} is missing; did the build run?`);
  chmodSync(target, 0o755);
  link(target, join(root, 'node_modules', '.bin', name));
}
link(root, join(root, 'node_modules', pkg.name));
