/**
 * `kernelModules`: kernel modules loaded at boot — `/etc/modules-load.d/<name>.conf`, one module
 * per line, read by systemd-modules-load — with their parameters and blacklist in
 * `/etc/modprobe.d/<name>.conf` (`options vfio_pci ids=10de:1b80`, `blacklist nouveau`). That
 * file exists exactly when options or a blacklist are given: a previous one is removed when they
 * are dropped. Both folders are made when missing (a minimal system may have no modprobe.d).
 *
 * One read round trip (both folders, both files, and — with `loadNow` — which modules are loaded,
 * from `/sys/module/<name>`), then one write per file that differs and one `modprobe` script for
 * the modules not loaded yet. Loading now is opt-in: the boot files are what lasts, and there is
 * no modprobe in a container (our test hosts prove `loadNow` with a stand-in modprobe and a
 * stand-in `sysModuleRoot`).
 */
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import { converge, type Change, type Resource } from '../../lib/resource.js';
import { quotePosix } from '../../lib/shell/quote.js';
import { absentResource } from '../files/absent.js';
import { directoryResource } from '../files/directory.js';
import {
  applyParts,
  bindPart,
  diffParts,
  fileState,
  fixedContentProbe,
  planParts,
  probeFiles,
  type Part,
} from '../files/file-parts.js';
import { managedFileResource } from '../files/file.js';
import { AbsolutePath, checkOptions, fail, Flag, Options, ReadonlyArrayOf } from '../options.js';

const ModuleName = () =>
  Type.String({ pattern: '^[A-Za-z0-9_-]+$', expected: 'must be a module name (letters, digits, _ and -)' });

export const KernelModulesOptions = Options({
  /** Names the files: `/etc/modules-load.d/<name>.conf` and `/etc/modprobe.d/<name>.conf`. */
  name: Type.String({
    pattern: '^(?!.*\\.conf$)[A-Za-z0-9_][A-Za-z0-9_.-]*$',
    expected: 'must be a file name without ".conf" (letters, digits, _ . -), like "vfio"',
  }),
  /** Modules to load at boot, in order. */
  modules: ReadonlyArrayOf(ModuleName(), {
    minItems: 1,
    expected: 'must be a non-empty array of module names',
  }),
  /** Module parameters: `{ vfio_pci: { ids: '10de:1b80,10de:10f0', disable_vga: 1 } }`. */
  options: Type.Optional(
    Type.Record(
      Type.String(),
      Type.Record(
        Type.String(),
        // One word: modprobe splits at spaces unless quoted; keep it simple and safe.
        Type.Union([Type.Number(), Type.String({ pattern: '^[^\\s"\'\\\\#]+$' })], {
          expected: 'must be a number or a string without spaces, quotes, \\ or #',
        }),
        { minProperties: 1, expected: 'must be a non-empty object of parameter → value' },
      ),
      { expected: 'must be an object of module → { parameter: value }' },
    ),
  ),
  /** Modules never loaded automatically (`blacklist nouveau`). */
  blacklist: Type.Optional(ReadonlyArrayOf(ModuleName(), { expected: 'must be an array of module names' })),
  /** Also load the modules that are not loaded yet (`modprobe`). Default false. */
  loadNow: Type.Optional(Flag()),
  /** Where loaded modules are listed; default `/sys/module`. Tests point it at a stand-in folder. */
  sysModuleRoot: Type.Optional(AbsolutePath()),
});
export type KernelModulesOptions = Static<typeof KernelModulesOptions>;

/** A module to load now, as data: apply loads `module`; the line shows it. */
export type LoadChange = Change<`module ${string}`, 'loaded'> & { kind: 'load'; module: string };

export const MODULES_LOAD_DIR = '/etc/modules-load.d';
export const MODPROBE_DIR = '/etc/modprobe.d';

export interface KernelModulesState {
  parts: Part[];
}

const MODULE = /^[A-Za-z0-9_-]+$/;
const PARAM = /^[A-Za-z0-9_]+$/;

/** The options' shapes are KernelModulesOptions'; names within them, and overlaps, are checked here. */
function checkKernelModulesOptions(o: KernelModulesOptions): void {
  const p = 'kernelModules';
  checkOptions(p, KernelModulesOptions, o);
  for (const [module, params] of Object.entries(o.options ?? {})) {
    if (!MODULE.test(module))
      fail(p, 'options', 'must be keyed by module names (letters, digits, _ and -)', module);
    for (const param of Object.keys(params))
      if (!PARAM.test(param))
        fail(p, `options.${module}`, 'must have parameter names of letters, digits and _', param);
  }
  const both = o.blacklist?.find((m) => o.modules.includes(m));
  if (both) fail(p, 'blacklist', 'must not name a module that is also in modules', both);
}

const HEADER = (name: string) =>
  `# Managed by NovaStation (kernelModules ${name}); changes here are overwritten.\n`;

export function modulesLoadContent(name: string, modules: readonly string[]): string {
  return HEADER(name) + modules.map((m) => `${m}\n`).join('');
}

/** The modprobe.d content, or null when there is nothing to say (the file should not exist). */
export function modprobeContent(
  name: string,
  o: Pick<KernelModulesOptions, 'options' | 'blacklist'>,
): string | null {
  const lines = [
    ...Object.entries(o.options ?? {}).map(
      ([m, params]) =>
        `options ${m} ${Object.entries(params)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
    ),
    ...(o.blacklist ?? []).map((m) => `blacklist ${m}`),
  ];
  return lines.length ? HEADER(name) + lines.map((l) => `${l}\n`).join('') : null;
}

/** The kernel lists a loaded module under its name with `-` written as `_`. */
const sysName = (module: string) => module.replace(/-/g, '_');

export function loadedProbeScript(root: string, modules: readonly string[]): string {
  return modules
    .map(
      (m, i) =>
        `if [ -d ${quotePosix(`${root}/${sysName(m)}`)} ]; then echo 'loaded ${i}'; else echo 'unloaded ${i}'; fi`,
    )
    .join('\n');
}

/** The modules not loaded, from the probe's tail (pure). */
export function parseUnloaded(modules: readonly string[], lines: readonly string[]): string[] {
  const unloaded = new Set<number>();
  for (const line of lines) {
    const m = /^unloaded (\d+)$/.exec(line);
    if (m) unloaded.add(Number(m[1]));
  }
  return modules.filter((_, i) => unloaded.has(i));
}

export function kernelModulesResource(o: KernelModulesOptions): Resource<KernelModulesState> {
  checkKernelModulesOptions(o);
  const loadPath = `${MODULES_LOAD_DIR}/${o.name}.conf`;
  const modprobePath = `${MODPROBE_DIR}/${o.name}.conf`;
  const load = Buffer.from(modulesLoadContent(o.name, o.modules), 'utf8');
  const modprobeText = modprobeContent(o.name, o);
  const modprobe = modprobeText === null ? null : Buffer.from(modprobeText, 'utf8');
  const attributes = { mode: '0644', owner: 'root', group: 'root' };
  const root = o.sysModuleRoot ?? '/sys/module';
  const paths = [MODULES_LOAD_DIR, loadPath, MODPROBE_DIR, modprobePath];
  const probed = [
    { path: MODULES_LOAD_DIR },
    { path: loadPath, options: fixedContentProbe(load) },
    { path: MODPROBE_DIR },
    { path: modprobePath, ...(modprobe ? { options: fixedContentProbe(modprobe) } : {}) },
  ];
  return {
    id: `kernelModules ${o.name}`,
    async read(host) {
      const probe = await probeFiles(
        host,
        { parts: probed, ...(o.loadNow ? { tail: loadedProbeScript(root, o.modules) } : {}) },
        paths,
      );
      const [loadDir, loadFile, modprobeDir, modprobeFile] = probe.probes;
      if (!loadDir || !loadFile || !modprobeDir || !modprobeFile)
        throw new Error(`kernelModules ${o.name}: the probe returned too few parts`);
      const fileId = (path: string) => `kernelModules ${path}`;
      const parts: Part[] = [
        bindPart(MODULES_LOAD_DIR, directoryResource({ path: MODULES_LOAD_DIR }), { probe: loadDir }),
        bindPart(
          loadPath,
          managedFileResource({
            id: fileId(loadPath),
            path: loadPath,
            attributes,
            sensitive: false,
            content: load,
          }),
          fileState(fileId(loadPath), loadFile, load),
        ),
      ];
      if (modprobe) {
        parts.push(
          bindPart(MODPROBE_DIR, directoryResource({ path: MODPROBE_DIR }), { probe: modprobeDir }),
          bindPart(
            modprobePath,
            managedFileResource({
              id: fileId(modprobePath),
              path: modprobePath,
              attributes,
              sensitive: false,
              content: modprobe,
            }),
            fileState(fileId(modprobePath), modprobeFile, modprobe),
          ),
        );
      } else {
        parts.push(bindPart(modprobePath, absentResource({ path: modprobePath }), modprobeFile));
      }
      if (o.loadNow) {
        // After the files: modprobe reads the options just written.
        const unloaded = parseUnloaded(o.modules, probe.tail);
        parts.push({
          label: '',
          plan: (): LoadChange[] =>
            unloaded.map((m) => ({
              kind: 'load',
              module: m,
              field: `module ${m}`,
              from: 'not loaded',
              to: 'loaded',
            })),
          async apply(host) {
            await host.$`eval ${['set -e', ...unloaded.map((m) => `modprobe -- ${quotePosix(m)}`)].join('\n')}`;
          },
        });
      }
      return { parts };
    },
    plan: (s) => planParts(s.parts),
    apply: (host, s) => applyParts(host, s.parts),
    diff: (s) => diffParts(s.parts),
  };
}

/**
 * Kernel modules loaded at boot, with their parameters and blacklist; `loadNow` also loads them.
 *
 * @example
 * await kernelModules(host, { name: 'vfio', modules: ['vfio', 'vfio_iommu_type1', 'vfio_pci'], options: { vfio_pci: { ids: '10de:1b80' } }, blacklist: ['nouveau'] });
 */
export function kernelModules(host: Host, options: KernelModulesOptions): Promise<TaskOutcome> {
  return converge(host, kernelModulesResource(options));
}
