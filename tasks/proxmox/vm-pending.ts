/**
 * A running VM's pending configuration, for the VM primitive (tasks/proxmox/vm.ts). Proxmox
 * applies a config change to a running VM at once only where it can hot-plug it (by default
 * NICs, disks, USB; memory or CPUs only with the VM's `hotplug` option saying so) and keeps the
 * rest in the config's [PENDING] section until the VM stops or starts. `GET …/config` shows
 * those values as if applied, which is what the plan is made against, so a rerun does not send
 * them again; but the VM runs with the old ones, so this says so, on every run, until a restart
 * (allowed by the role) or the user's own restart applies them.
 *
 * Planning against pending: a declared value equal to the one the VM runs with, while another
 * is pending, is a `revert` of the pending one (re-sending the running value would leave a
 * pending "change" to the same value).
 */
import type { PendingChange, VmPending } from '../../lib/proxmox/index.js';
import { planVmConfig, type ConfigPlan, type VmConfigSpec } from './vm-config.js';

export const PENDING_NOTE = 'pending until the VM restarts';

/** Keys whose pending values are not shown (secrets, or URL-encoded key lists). */
const HIDDEN = new Set(['cipassword', 'sshkeys']);

function show(c: PendingChange): string {
  if (HIDDEN.has(c.key)) return `${c.key} (changed)`;
  if (c.to === undefined) return `${c.key} (removed)`;
  return c.from === undefined ? `${c.key} → ${c.to}` : `${c.key} ${c.from} → ${c.to}`;
}

/** `cores 4 → 2, memory 8192 → 4096` */
export function describePending(changes: PendingChange[]): string {
  return changes.map(show).join(', ');
}

/**
 * Turns planned changes of pending keys back to the running value into reverts. `plan` was
 * made against the config with pending values applied; a key it would send that a plan against
 * the running config would not touch is declared as the VM runs it: revert the pending value.
 */
export function withReverts(
  vm: string,
  desired: VmConfigSpec,
  plan: ConfigPlan,
  pending: VmPending | undefined,
  allowUnsafe: boolean,
): ConfigPlan {
  const keys = new Set(pending?.changes.map((c) => c.key));
  const touched = [...Object.keys(plan.params), ...plan.delete].filter((k) => keys.has(k));
  if (!pending || !touched.length) return plan;
  let running: ConfigPlan;
  try {
    running = planVmConfig(vm, desired, pending.running, allowUnsafe);
  } catch {
    return plan; // the running config is further off than the pending one: send the plan as it is
  }
  const revert = touched.filter((k) => running.params[k] === undefined && !running.delete.includes(k));
  if (!revert.length) return plan;
  const params = Object.fromEntries(Object.entries(plan.params).filter(([k]) => !revert.includes(k)));
  return {
    ...plan,
    params,
    delete: plan.delete.filter((k) => !revert.includes(k)),
    revert: [...(plan.revert ?? []), ...revert],
    changes: plan.changes.map((c) =>
      revert.includes(c.field) ? { ...c, to: `${c.to} (pending change reverted)` } : c,
    ),
  };
}

/** The change lines of a plan whose keys Proxmox kept pending, marked as such. */
export function markPending(
  lines: string[],
  fields: string[],
  pendingKeys: Set<string>,
  note: string,
): string[] {
  return lines.map((line, i) => (pendingKeys.has(fields[i] ?? '') ? `${line} (${note})` : line));
}
