/**
 * Turning `-i` arguments into parsed inventory, as ansible-core 2.14's InventoryManager does
 * (`parse_sources` / `parse_source`) with its default plugin list
 * (host_list, script, auto, yaml, ini, toml):
 * - `a,b,c` (a comma and no such path) is a host list: hosts go to `ungrouped`, no ranges;
 * - a directory is read entry by entry in sorted order, recursively, skipping hidden entries,
 *   `group_vars`, `host_vars`, `vars_plugins` and INVENTORY_IGNORE_EXTS — which includes `.ini`
 *   and `.cfg`, so `inv/hosts.ini` inside `-i inv/` is ignored, exactly as Ansible ignores it;
 * - a file with no extension or .yml/.yaml/.json is tried as YAML first; if that is not a
 *   mapping (or not YAML at all) it is tried as INI; any other file is INI only.
 * Differences, all refusals where Ansible would warn and carry on with less inventory: a missing
 * source, a file no parser accepts, inventory plugin configs (`plugin:`), TOML and executable
 * inventory scripts (we do not run them; an executable file is read as YAML/INI).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isMap, isScalar } from '../vendor/yaml.js';
import { InvalidInputError } from '../errors.js';
import type { InventoryBuilder } from './model.js';
import { parseIniInventory, type SourceFile } from './ini-source.js';
import { parseAddress } from './ranges.js';
import { pyExt, type Decrypt } from './vars-folders.js';
import { lineOf, parseYaml, type YamlFile } from './yaml-load.js';
import type { Node as YamlNode } from 'yaml';
import { parseYamlInventory, yamlInventoryRoot } from './yaml-source.js';

const IGNORED =
  /^\.|^host_vars$|^group_vars$|^vars_plugins$|\.pyc$|\.pyo$|\.swp$|\.bak$|~$|\.rpm$|\.md$|\.txt$|\.rst$|\.orig$|\.ini$|\.cfg$|\.retry$/;
const YAML_EXTENSIONS = ['.yml', '.yaml', '.json'];

/** `unfrackpath(follow=False)`: `~` expanded, absolute, normalised. */
export function absoluteSource(source: string): string {
  const expanded =
    source === '~' || source.startsWith('~/') ? path.join(os.homedir(), source.slice(1)) : source;
  return path.resolve(expanded);
}

export function isHostList(source: string): boolean {
  return source.includes(',') && !fs.existsSync(source);
}

export function parseSources(b: InventoryBuilder, sources: string[], decrypt?: Decrypt): void {
  for (const source of sources) {
    if (!source) continue;
    if (isHostList(source)) parseHostList(b, source);
    else parseSource(b, source, absoluteSource(source), decrypt);
  }
}

function parseHostList(b: InventoryBuilder, source: string): void {
  for (const raw of source.split(',')) {
    const h = raw.trim();
    if (!h) continue;
    const parsed = h.includes('[') ? undefined : parseAddress(h);
    const name = parsed ? parsed.host : h;
    if (!b.hosts.has(name)) {
      b.addHost(name, 'ungrouped', parsed?.port, { file: source, path: h }, source);
    }
  }
}

function parseSource(b: InventoryBuilder, display: string, absolute: string, decrypt?: Decrypt): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(absolute);
  } catch {
    throw new InvalidInputError(
      'inventory source not found (expected a file, a directory or a comma-separated host list)',
      {
        file: display,
      },
    );
  }
  if (st.isDirectory()) {
    for (const entry of fs.readdirSync(absolute).sort()) {
      if (IGNORED.test(entry)) {
        if (/\.(ini|cfg)$/.test(entry)) {
          b.warn(
            `Ignoring ${path.join(display, entry)}: Ansible skips .ini and .cfg files inside an inventory directory (INVENTORY_IGNORE_EXTS); pass it with -i to use it`,
          );
        }
        continue;
      }
      parseSource(b, path.join(display, entry), path.join(absolute, entry), decrypt);
    }
    return;
  }
  parseFile(b, { display, absolute }, decrypt);
}

/** Does the first meaningful line look like YAML (`---` or `name:`)? Used to pick which error to show. */
function looksLikeYaml(text: string): boolean {
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    return line.startsWith('---') || /:\s*(#.*)?$/.test(line) || /^[^=[\]]*:\s/.test(line);
  }
  return false;
}

function parseFile(b: InventoryBuilder, src: SourceFile, decrypt?: Decrypt): void {
  let text = fs.readFileSync(src.absolute, 'utf8');
  if (text.startsWith('$ANSIBLE_VAULT;')) {
    if (!decrypt)
      throw new InvalidInputError('this inventory file is vault-encrypted and no vault password was given', {
        file: src.display,
        line: 1,
      });
    text = decrypt(text, src.display);
  }
  const ext = pyExt(path.basename(src.absolute));
  if (ext === '.toml') {
    throw new InvalidInputError('TOML inventories are not supported: use YAML or INI', { file: src.display });
  }
  let yamlError: InvalidInputError | undefined;
  if (ext === '' || YAML_EXTENSIONS.includes(ext)) {
    let y: YamlFile | undefined;
    try {
      y = parseYaml(text, src.display);
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      yamlError = e;
    }
    if (y) {
      const root = yamlInventoryRoot(y);
      if (root && isMap(root)) {
        const plugin = root.items.find((p) => isScalar(p.key) && p.key.value === 'plugin');
        if (plugin && isScalar(plugin.value) && plugin.value.value) {
          throw new InvalidInputError(
            `this is an inventory plugin configuration (plugin: ${String(plugin.value.value)}); dynamic inventory plugins are not supported`,
            { file: src.display, line: lineOf(y, plugin.key as YamlNode | null) },
          );
        }
        parseYamlInventory(b, y, root, src);
        return;
      }
      const contents = y.doc.contents;
      const empty =
        contents === null ||
        (isScalar(contents) && contents.value === null) ||
        (isMap(contents) && contents.items.length === 0);
      // An empty YAML document is an empty inventory. (Ansible hands it to the INI parser, which
      // reads a lone `---` as a bad host and `{}` as a host named "{}".)
      if (empty) return;
      // Not a mapping: Ansible tries INI next; this is the error to show if that fails too.
      const kind = isScalar(contents) ? 'a single value' : 'a list';
      yamlError = new InvalidInputError(
        `a YAML inventory must be a mapping of group names (usually "all:"), got ${kind}`,
        {
          file: src.display,
          line: contents?.range ? y.lines.linePos(contents.range[0]).line : 1,
        },
      );
    }
  }
  try {
    parseIniInventory(b, text, src);
  } catch (e) {
    if (!(e instanceof InvalidInputError) || !yamlError) throw e;
    const preferYaml = YAML_EXTENSIONS.includes(ext) || looksLikeYaml(text);
    throw preferYaml ? yamlError : e;
  }
}
