/**
 * The kernel command line: which parameters passthrough needs, and how to add them to the boot
 * configuration while keeping every parameter the administrator put there. GRUB keeps them in
 * `GRUB_CMDLINE_LINUX_DEFAULT` of /etc/default/grub (update-grub writes them into grub.cfg);
 * systemd-boot in the one line of /etc/kernel/cmdline (proxmox-boot-tool refresh copies it to
 * the ESPs). Pure functions: the role reads the files in its facts and writes them with `file`.
 */
import { kernelBefore, type HostFacts } from './facts.js';

/** A parameter NovaStation may write: no quotes, spaces, `$` or backquotes (never evaluated). */
export const PARAM = /^[A-Za-z0-9_.,:=\-/+@]+$/;

export interface CmdlineWish {
  iommuPassthrough: boolean;
  extra: readonly string[];
}

/** What the kernel needs: `intel_iommu=on` on Intel before 6.8 (on by default from 6.8 and on AMD). */
export function wantedParams(facts: Pick<HostFacts, 'cpuVendor' | 'kernel'>, wish: CmdlineWish): string[] {
  const out: string[] = [];
  if (facts.cpuVendor === 'intel' && kernelBefore(facts.kernel, 6, 8)) out.push('intel_iommu=on');
  if (wish.iommuPassthrough) out.push('iommu=pt');
  for (const p of wish.extra) if (!out.includes(p)) out.push(p);
  return out;
}

const key = (param: string) => param.split('=')[0]!;

/**
 * `existing` with every wanted parameter present: one already there is kept where it is; one
 * whose key is there with another value (`iommu=soft`) is replaced in place (the inventory asks
 * for it); the others are appended. Every other parameter stays as and where it was.
 */
export function mergeParams(existing: readonly string[], wanted: readonly string[]): string[] {
  const out = [...existing];
  for (const want of wanted) {
    if (out.includes(want)) continue;
    const i = want.includes('=') ? out.findIndex((p) => p.includes('=') && key(p) === key(want)) : -1;
    if (i >= 0) out[i] = want;
    else out.push(want);
  }
  return out;
}

/** The wanted parameters the running kernel was not booted with. */
export function missingFromRunning(running: readonly string[], wanted: readonly string[]): string[] {
  return wanted.filter((w) => !running.includes(w));
}

const ASSIGN = (name: string) => new RegExp(`^\\s*(?:export\\s+)?${name}=(.*)$`);

/** The value of a shell assignment as GRUB's scripts would read it; refuses what needs evaluation. */
function shellValue(raw: string, where: string): string {
  const text = raw.trim().replace(/\s+#.*$/, '');
  let value: string;
  if (/^"[^"]*"$/.test(text)) value = text.slice(1, -1);
  else if (/^'[^']*'$/.test(text)) return text.slice(1, -1);
  else if (/^[^\s"'`$\\;|&<>()]*$/.test(text)) value = text;
  else throw new Error(`${where}: cannot read ${text} without running the shell: edit it by hand`);
  if (/[`$\\]/.test(value))
    throw new Error(`${where}: ${text} uses shell expansion; NovaStation will not edit it: edit it by hand`);
  return value;
}

/** The parameters of GRUB_CMDLINE_LINUX_DEFAULT as the file has them now. */
export function grubDefaultParams(content: string, file: string): string[] {
  const lines = content.split('\n').filter((l) => ASSIGN('GRUB_CMDLINE_LINUX_DEFAULT').test(l));
  const last = lines.at(-1);
  return last
    ? shellValue(ASSIGN('GRUB_CMDLINE_LINUX_DEFAULT').exec(last)![1]!, file).split(/\s+/).filter(Boolean)
    : [];
}

export interface GrubEdit {
  content: string;
  params: string[];
}

/**
 * /etc/default/grub with the wanted parameters in GRUB_CMDLINE_LINUX_DEFAULT (the last
 * assignment, the one that counts; appended when there is none). Parameters already in
 * GRUB_CMDLINE_LINUX count as present.
 */
export function editGrubDefault(content: string, wanted: readonly string[], file: string): GrubEdit {
  const lines = content.split('\n');
  const lastIndex = (name: string) => {
    let found = -1;
    lines.forEach((l, i) => {
      if (ASSIGN(name).test(l)) found = i;
    });
    return found;
  };
  const linuxAt = lastIndex('GRUB_CMDLINE_LINUX');
  const linux =
    linuxAt >= 0
      ? shellValue(ASSIGN('GRUB_CMDLINE_LINUX').exec(lines[linuxAt]!)![1]!, file).split(/\s+/)
      : [];
  const at = lastIndex('GRUB_CMDLINE_LINUX_DEFAULT');
  const current =
    at >= 0
      ? shellValue(ASSIGN('GRUB_CMDLINE_LINUX_DEFAULT').exec(lines[at]!)![1]!, file)
          .split(/\s+/)
          .filter(Boolean)
      : [];
  const params = mergeParams(
    current,
    wanted.filter((w) => !linux.includes(w)),
  );
  if (params.join(' ') === current.join(' ')) return { content, params };
  const line = `GRUB_CMDLINE_LINUX_DEFAULT="${params.join(' ')}"`;
  if (at >= 0) lines[at] = line;
  else {
    const end = lines.length && lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
    lines.splice(end, 0, line);
  }
  return { content: lines.join('\n'), params };
}

/** /etc/kernel/cmdline (one line) with the wanted parameters. */
export function editKernelCmdline(content: string, wanted: readonly string[]): GrubEdit {
  const current = content.trim().split(/\s+/).filter(Boolean);
  const params = mergeParams(current, wanted);
  if (params.join(' ') === current.join(' ')) return { content, params };
  return { content: `${params.join(' ')}\n`, params };
}
