/**
 * `group_vars/` and `host_vars/` beside an inventory source: ansible-core 2.14's host_group_vars
 * vars plugin with DataLoader.find_vars_files:
 * - for an entity NAME the first of `NAME`, `NAME.yml`, `NAME.yaml`, `NAME.json` that exists is
 *   used (only one of them!); if it is a directory, every file in it (recursively, sorted by name,
 *   skipping hidden files and `~` backups, only files without extension or with
 *   .yml/.yaml/.json; sub-directories with an extension are skipped) is read in order;
 * - files are merged in that order, top-level keys replaced (hash_behaviour=replace);
 * - an empty file counts as nothing; a file that is not a mapping is an error;
 * - names starting with `/` are skipped (Ansible avoids chroot-style host names).
 * Values are read with the same loader as inventories (JSON first, then YAML 1.1).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap } from '../vendor/yaml.js';
import type { Node as YamlNode } from 'yaml';
import { InvalidInputError } from '../errors.js';
import type { VariableSource } from './types.js';
import {
  describeType,
  deref,
  keyText,
  lineOf,
  mapPairs,
  parseYaml,
  pyKindOfNode,
  toValue,
} from './yaml-load.js';
import { setWithMark } from './python-types.js';

export interface VarsLayer {
  vars: Record<string, unknown>;
  sources: Record<string, VariableSource>;
}

const EXTENSIONS = ['.yml', '.yaml', '.json'];

export type Decrypt = (ciphertext: string, file: string) => string;

export class VarsFolders {
  private readonly fileCache = new Map<string, VarsLayer | null>();
  private readonly findCache = new Map<string, string[]>();
  readonly warnings: string[] = [];

  constructor(private readonly decrypt?: Decrypt) {}

  /**
   * The files for `name` in `<basedir>/<subdir>`, in the order they apply. `display` is how
   * basedir is shown in messages (relative as the user gave it).
   */
  find(basedir: string, subdir: 'group_vars' | 'host_vars', name: string): string[] {
    if (name.startsWith('/')) return [];
    const dir = path.join(basedir, subdir);
    const key = `${name}\0${dir}`;
    const cached = this.findCache.get(key);
    if (cached) return cached;
    let found: string[] = [];
    const st = statOrNull(dir);
    if (st && !st.isDirectory()) {
      const msg = `Found ${subdir} that is not a directory, skipping: ${dir}`;
      if (!this.warnings.includes(msg)) this.warnings.push(msg);
    } else if (st) {
      const base = path.join(dir, name);
      for (const ext of ['', ...EXTENSIONS]) {
        const full = base + ext;
        const fst = statOrNull(full);
        if (!fst) continue;
        found = fst.isDirectory() ? dirVarsFiles(full) : [full];
        break;
      }
    }
    this.findCache.set(key, found);
    return found;
  }

  /** One layer per file, in order; empty files are left out. */
  layers(basedir: string, subdir: 'group_vars' | 'host_vars', name: string): VarsLayer[] {
    const out: VarsLayer[] = [];
    for (const f of this.find(basedir, subdir, name)) {
      const layer = this.load(f);
      if (layer) out.push(layer);
    }
    return out;
  }

  load(file: string): VarsLayer | null {
    if (this.fileCache.has(file)) return this.fileCache.get(file) ?? null;
    const shown = file;
    let text = fs.readFileSync(file, 'utf8');
    if (text.startsWith('$ANSIBLE_VAULT;')) {
      if (!this.decrypt) {
        throw new InvalidInputError(
          'this variables file is vault-encrypted and no vault password was given',
          { file: shown, line: 1 },
        );
      }
      text = this.decrypt(text, shown);
    }
    const y = parseYaml(text, shown);
    const root = deref(y, y.doc.contents as YamlNode | null);
    const whole = toValue(y, root);
    let layer: VarsLayer | null = null;
    if (
      whole !== null &&
      !(typeof whole === 'object' && !Array.isArray(whole) && Object.keys(whole).length === 0)
    ) {
      if (!isMap(root)) {
        throw new InvalidInputError(
          `a variables file must be a mapping of variable names to values, got ${describeType(whole)}`,
          {
            file: shown,
            line: lineOf(y, root) ?? 1,
          },
        );
      }
      layer = { vars: {}, sources: {} };
      for (const { key, value } of mapPairs(y, root)) {
        const name = keyText(toValue(y, key));
        setWithMark(layer.vars, name, toValue(y, value), pyKindOfNode(y, value));
        layer.sources[name] = { file: shown, line: lineOf(y, key), path: name };
      }
    }
    this.fileCache.set(file, layer);
    return layer;
  }
}

function statOrNull(p: string): fs.Stats | null {
  try {
    return fs.statSync(p);
  } catch {
    return null;
  }
}

/** DataLoader._get_dir_vars_files. */
function dirVarsFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync(dir).sort()) {
    if (entry.startsWith('.') || entry.endsWith('~')) continue;
    const ext = pyExt(entry);
    const full = path.join(dir, entry);
    const st = statOrNull(full);
    if (!st) continue;
    if (st.isDirectory() && !ext) found.push(...dirVarsFiles(full));
    else if (st.isFile() && (!ext || EXTENSIONS.includes(ext))) found.push(full);
  }
  return found;
}

/** os.path.splitext's extension (leading dots do not start one). */
export function pyExt(name: string): string {
  const base = name.replace(/^\.+/, '');
  const i = base.lastIndexOf('.');
  return i <= 0 ? '' : base.slice(i);
}
