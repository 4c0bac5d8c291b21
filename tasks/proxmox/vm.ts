/**
 * `pveVm`: a Proxmox VM present, created or cloned if missing, with its declared configuration.
 *
 * Identity: the VM's name (= its inventory host name) and, when declared, its VMID. Reading
 * finds the VM by VMID or else by name across the cluster, so a rerun after the CLI was killed
 * right after a create or clone was sent finds the VM that request made: it waits while
 * Proxmox still holds the VM's `create`/`clone` lock (the task is still running; until it ends
 * the new config is a nameless placeholder, see `unfinished`) and carries on — no second VM,
 * none lost. A declared VMID used by another name, or a name found under
 * another VMID, is an error, never a guess.
 *
 * Creating: a VMID is allocated (or the declared one checked) and the create/clone request
 * sent while holding the run-wide lock `vmid:<cluster>`, so two hosts of one run never get the
 * same VMID from `nextid`; clones of one template on one node are serialised with
 * `clone:<node>:<vmid>` (parallel clones make Proxmox time out on its storage and config locks).
 * Then the declared configuration is applied like drift: one config POST with the `digest` just
 * read (Proxmox refuses it if someone changed the VM in between), then disk resizes.
 */
import type { TaskOutcome } from '../../lib/define.js';
import type { Host } from '../../lib/host/host.js';
import {
  allocateVmid,
  listGuests,
  pickNode,
  ProxmoxApiError,
  ProxmoxTaskError,
  readPending,
  setPower,
  type ClusterGuest,
  type PendingChange,
  type ProxmoxClient,
  type VmPending,
} from '../../lib/proxmox/index.js';
import { converge, type Change, type Resource } from '../../lib/resource.js';
import { pollUntil, pveGet, pveWrite, sleep, vmPath, type Params } from '../../lib/proxmox/requests.js';
import { planVmConfig, type ConfigPlan, type VmConfigSpec } from './vm-config.js';
import { describePending, markPending, PENDING_NOTE, withReverts } from './vm-pending.js';

export type LockFn = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

export type VmSource =
  /** `POST /nodes/{node}/qemu` with these parameters (disks to allocate or import, CD-ROMs, `start`…). */
  | { create: Params }
  /** A clone of the template VM with this name (or VMID); `full` copies its disks, else a linked clone. */
  | { clone: { template: string; templateVmid?: number; full: boolean; storage?: string } };

export interface PveVmOptions {
  client: ProxmoxClient;
  /** The VM's name in Proxmox: its inventory host name. */
  name: string;
  vmid?: number;
  /** Node for a new VM (default: the least loaded online node). Clones go to their template's node. */
  node?: string;
  /** How to make the VM when it is missing; without it the VM must exist (a later step on it). */
  source?: VmSource;
  config: VmConfigSpec;
  allowUnsafe?: boolean;
  /** The run's named lock (ctx.lock). */
  lock: LockFn;
  /** Run-wide lock name for VMID allocation, one per cluster (default `vmid`). */
  vmidLock?: string;
  /** How long to wait for a create/clone still running on the VM (default 30 min). */
  lockWaitMs?: number;
  /**
   * Restart a running VM whose configuration has changes Proxmox keeps pending (it could not
   * hot-plug them): a clean shutdown, then a start. Default false: they are reported as pending
   * until the VM restarts, on every run, and never sent again.
   */
  restartForChanges?: boolean;
  /** The variable that allows the restart, named in the pending notice (`vm_restart_for_changes`). */
  restartVar?: string;
  /** A later step stops the VM, which applies pending changes: no restart and no notice then. */
  stopsAfter?: boolean;
  /** Seconds a restart's shutdown waits for the guest before forcing it off (default 180). */
  shutdownTimeoutS?: number;
  log?(line: string): void;
}

export interface VmState {
  guest?: ClusterGuest;
  /** `GET …/config`: pending values shown as applied. */
  config?: Record<string, unknown>;
  /** The running configuration and what waits for the next stop/start. */
  pending?: VmPending;
}

/**
 * A create or clone still running: Proxmox writes the new VM's config first as a placeholder
 * holding only `lock: create`/`lock: clone` and writes the name when the task ends
 * (qemu-server clone_vm: "qmclone temporary file"), so such a VM cannot be recognised by name
 * yet. Cluster resources show it without a name (or as "VM <vmid>").
 */
function unfinished(g: ClusterGuest): boolean {
  return (g.lock === 'clone' || g.lock === 'create') && (g.name === undefined || g.name === `VM ${g.vmid}`);
}

export interface LocateOptions {
  /** How long to wait for creates/clones in progress before concluding the VM is missing (default 30 min). */
  waitMs?: number;
  log?: (line: string) => void;
}

/**
 * The VM by VMID or name, checking that both agree. When it is not found while some create or
 * clone is still running somewhere in the cluster, that may be this VM from a run that was killed
 * after sending the request: wait for those to finish, then look again — else a rerun would
 * clone a second copy.
 */
export async function locateVm(
  client: ProxmoxClient,
  name: string,
  vmid?: number,
  options: LocateOptions = {},
): Promise<ClusterGuest | undefined> {
  const deadline = Date.now() + (options.waitMs ?? 30 * 60_000);
  let said = false;
  let delay = 50;
  for (;;) {
    const guests = await listGuests(client);
    const named = guests.filter((g) => g.name === name);
    if (named.length > 1) {
      throw new Error(
        `${name}: more than one Proxmox guest has this name (VMIDs ${named.map((g) => `${g.vmid} on ${g.node}`).join(', ')}); give the VM's vm_id in the inventory, or rename the others`,
      );
    }
    const byName = named[0];
    const byId = vmid === undefined ? undefined : guests.find((g) => g.vmid === vmid);
    if (byId && !unfinished(byId) && byId.name !== name) {
      throw new Error(
        `${name}: VMID ${vmid} belongs to another VM, "${byId.name ?? '(no name)'}" on ${byId.node}; choose another vm_id`,
      );
    }
    if (vmid !== undefined && !byId && byName) {
      throw new Error(
        `${name}: Proxmox has this VM as VMID ${byName.vmid} on ${byName.node}, but the inventory says vm_id ${vmid}; change vm_id to ${byName.vmid}`,
      );
    }
    const found = vmid === undefined ? byName : byId && !unfinished(byId) ? byId : undefined;
    if (found) return found;
    const pending = guests.filter(unfinished).filter((g) => vmid === undefined || g.vmid === vmid);
    if (!pending.length) return undefined;
    if (Date.now() >= deadline)
      throw new Error(
        `${name}: not found, and VMs ${pending.map((g) => g.vmid).join(', ')} are still being created or cloned`,
      );
    if (!said)
      options.log?.(
        `${name}: not found yet; waiting for the create/clone in progress of VM ${pending.map((g) => g.vmid).join(', ')}, which may be this one`,
      );
    said = true;
    await sleep(delay);
    delay = Math.min(delay * 2, 5000);
  }
}

/**
 * Waits while a create/clone (or another task) holds the VM's config lock. The cluster listing
 * `guest` came from carries each guest's lock (pve-manager reads it from the config), so an
 * unlocked VM costs no request here; a locked one is polled until the lock is gone.
 */
export async function waitUnlocked(
  client: ProxmoxClient,
  guest: ClusterGuest,
  timeoutMs: number,
  log?: (line: string) => void,
): Promise<void> {
  if (!guest.lock) return;
  let said = false;
  await pollUntil(
    async () => {
      const status = await pveGet<{ lock?: string }>(
        client,
        vmPath(guest.node, guest.vmid, '/status/current'),
      );
      if (!status?.lock) return true;
      if (!said)
        log?.(
          `${guest.name ?? guest.vmid}: VM ${guest.vmid} is locked (${status.lock}); waiting for the task that holds it`,
        );
      said = true;
      return undefined;
    },
    {
      timeoutMs,
      onTimeout: () =>
        new Error(
          `VM ${guest.vmid} (${guest.name ?? ''}) is still locked after ${Math.round(timeoutMs / 1000)} s`,
        ),
    },
  );
}

export async function readVm(
  client: ProxmoxClient,
  name: string,
  vmid: number | undefined,
  lockWaitMs: number,
  log?: (line: string) => void,
): Promise<VmState> {
  const guest = await locateVm(client, name, vmid, { waitMs: lockWaitMs, ...(log ? { log } : {}) });
  if (!guest) return {};
  if (guest.type === 'lxc')
    throw new Error(`${name}: a container (CT ${guest.vmid}) has this name, not a VM`);
  await waitUnlocked(client, guest, lockWaitMs, log);
  const config = await pveGet<Record<string, unknown>>(client, vmPath(guest.node, guest.vmid, '/config'));
  const pending = await readPending(client, guest.node, guest.vmid);
  return { guest, config, pending };
}

/** Applies a config plan to an existing VM: one POST with the digest, then resizes. */
export async function applyVmConfig(
  client: ProxmoxClient,
  guest: ClusterGuest,
  config: Record<string, unknown>,
  plan: ReturnType<typeof planVmConfig>,
): Promise<void> {
  if (Object.keys(plan.params).length || plan.delete.length || plan.revert?.length) {
    await pveWrite(client, 'POST', vmPath(guest.node, guest.vmid, '/config'), {
      ...plan.params,
      ...(plan.delete.length ? { delete: plan.delete.join(',') } : {}),
      ...(plan.revert?.length ? { revert: plan.revert.join(',') } : {}),
      ...(typeof config.digest === 'string' ? { digest: config.digest } : {}),
    });
  }
  for (const r of plan.resize) await pveWrite(client, 'PUT', vmPath(guest.node, guest.vmid, '/resize'), r);
}

function sourceText(o: PveVmOptions): string {
  if (!o.source)
    return `configured once created (${[...Object.keys(o.config.options ?? {}), ...Object.keys(o.config.disks ?? {}), ...Object.keys(o.config.nics ?? {})].join(', ')})`;
  if ('create' in o.source) return 'created';
  const { template, full } = o.source.clone;
  return `created as a ${full ? 'full' : 'linked'} clone of ${template}`;
}

/** Sends the create or clone and waits for it; returns the new VM. */
async function createVm(o: PveVmOptions): Promise<ClusterGuest> {
  const { client, name } = o;
  const vmidLock = o.vmidLock ?? 'vmid';
  const send = async (
    node: string,
    path: (vmid: number) => string,
    params: (vmid: number) => Params,
  ): Promise<ClusterGuest> => {
    // Another process may take the VMID between nextid and our request: allocate again then.
    for (let attempt = 1; ; attempt++) {
      let upid: unknown;
      let vmid: number;
      try {
        ({ vmid, upid } = await o.lock(vmidLock, async () => {
          const id = await allocateVmid(client, o.vmid !== undefined ? { preferred: o.vmid } : {});
          return { vmid: id, upid: (await client.request('POST', path(id), params(id)))?.data };
        }));
      } catch (error) {
        if (error instanceof ProxmoxApiError && error.answerLost) {
          // Never re-sent: look for what the request may have made.
          o.log?.(`${name}: the answer to the create/clone request was lost; looking for the VM`);
          const found = await locateVm(client, name, o.vmid, { ...(o.log ? { log: o.log } : {}) });
          if (found) return found;
          throw error;
        }
        if (
          o.vmid === undefined &&
          attempt < 3 &&
          error instanceof ProxmoxApiError &&
          /already exists/i.test(error.message)
        )
          continue;
        throw error;
      }
      if (typeof upid === 'string' && upid.startsWith('UPID:')) {
        try {
          await client.waitForTask(upid);
        } catch (error) {
          // The task could not take a config or storage lock in time (parallel clones of one
          // template from elsewhere, a backup): Proxmox removed what it had started, so this is
          // "nothing done" and worth another try (bpg's provider retries clones the same way).
          if (
            !(error instanceof ProxmoxTaskError) ||
            !/got timeout|is locked/.test(error.exitstatus) ||
            attempt >= 4
          )
            throw error;
          if (await locateVm(client, name, o.vmid)) throw error;
          o.log?.(`${name}: ${error.exitstatus}; trying again`);
          await sleep(500 * 2 ** attempt);
          continue;
        }
      }
      return (
        (await locateVm(client, name, vmid)) ?? {
          vmid,
          node,
          name,
          status: 'stopped',
          template: false,
          type: 'qemu',
        }
      );
    }
  };

  if (!o.source) throw new Error(`${name}: no such VM in Proxmox`);
  if ('create' in o.source) {
    const params = o.source.create;
    const node = await pickNode(client, o.node, o.log);
    return send(
      node,
      () => `/nodes/${encodeURIComponent(node)}/qemu`,
      (vmid) => ({ ...params, vmid, name }),
    );
  }
  const { template, templateVmid, full, storage } = o.source.clone;
  const tpl = await locateVm(client, template, templateVmid);
  if (!tpl)
    throw new Error(`${name}: template ${template} not found in Proxmox (the vm-template role creates it)`);
  if (!tpl.template)
    throw new Error(
      `${name}: ${template} (VM ${tpl.vmid}) is not a template yet (the vm-template role converts it when it is ready)`,
    );
  if (o.node && o.node !== tpl.node)
    o.log?.(`${name}: cloned on ${tpl.node}, where template ${template} is (not ${o.node})`);
  return o.lock(`clone:${tpl.node}:${tpl.vmid}`, () =>
    send(
      tpl.node,
      () => vmPath(tpl.node, tpl.vmid, '/clone'),
      (newid) => ({
        newid,
        name,
        full: full ? 1 : 0,
        ...(full && storage ? { storage } : {}),
      }),
    ),
  );
}

/**
 * A planned VM change, shown as `field from → to`, with what apply does for it: create the VM
 * (its configuration is then planned from what Proxmox made, as only then is it known), send
 * the config plan made from the state read — the same plan the change lines were derived from —
 * or restart the VM to apply what Proxmox keeps pending.
 */
export type VmChange = Change & {
  step: { kind: 'create' } | { kind: 'configure'; plan: ConfigPlan } | { kind: 'restart' };
};

/** What one converge of the resource learnt about pending changes, for the outcome (pveVm). */
export interface PendingReport {
  /** The planned changes, in the order converge reports their lines. */
  planned: VmChange[];
  /** What stays pending after the run (as read, or re-read after the config POST). */
  pending: PendingChange[];
  /** Keys this run's config POST sent that Proxmox kept pending. */
  landed: Set<string>;
  /** What a restart applied. */
  restarted?: PendingChange[];
}

const restartLine = (changes: PendingChange[]) =>
  `restarted to apply pending changes: ${describePending(changes)}`;

export function pveVmResource(
  o: PveVmOptions,
  report: PendingReport = { planned: [], pending: [], landed: new Set() },
): Resource<VmState, VmChange> {
  if (!/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?(\.[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/.test(o.name)) {
    throw new Error(`pveVm: name "${o.name}" is not a DNS name, which Proxmox requires of a VM name`);
  }
  const lockWaitMs = o.lockWaitMs ?? 30 * 60_000;
  const mayRestart = (guest: ClusterGuest) =>
    !!o.restartForChanges && !o.stopsAfter && guest.status === 'running';
  const restart = async (guest: ClusterGuest) => {
    o.log?.(`${o.name}: restarting VM ${guest.vmid} to apply its pending changes`);
    await setPower(o.client, guest, 'stopped', o.shutdownTimeoutS);
    await setPower(o.client, guest, 'running');
  };
  return {
    id: `vm ${o.name}`,
    read: () => readVm(o.client, o.name, o.vmid, lockWaitMs, o.log),
    plan(state): VmChange[] {
      if (!state.guest)
        return (report.planned = [{ field: 'vm', to: sourceText(o), step: { kind: 'create' } }]);
      const allowUnsafe = o.allowUnsafe ?? false;
      const plan = withReverts(
        o.name,
        o.config,
        planVmConfig(o.name, o.config, state.config ?? {}, allowUnsafe),
        state.pending,
        allowUnsafe,
      );
      const changes: VmChange[] = plan.changes.map((c) => ({ ...c, step: { kind: 'configure', plan } }));
      report.pending = (state.pending?.changes ?? []).filter((c) => !plan.revert?.includes(c.key));
      if (report.pending.length && mayRestart(state.guest))
        changes.push({
          field: 'power',
          from: 'running',
          to: restartLine(report.pending),
          step: { kind: 'restart' },
        });
      return (report.planned = changes);
    },
    async apply(_host, state, changes) {
      const guest = state.guest;
      if (guest && !changes.some((c) => c.step.kind === 'create')) {
        const configure = changes.find((c) => c.step.kind === 'configure')?.step;
        if (configure?.kind === 'configure') {
          await applyVmConfig(o.client, guest, state.config ?? {}, configure.plan);
          const sent = new Set([...Object.keys(configure.plan.params), ...configure.plan.delete]);
          report.pending = (await readPending(o.client, guest.node, guest.vmid)).changes;
          report.landed = new Set(report.pending.map((c) => c.key).filter((k) => sent.has(k)));
        }
        if (report.pending.length && mayRestart(guest)) {
          await restart(guest);
          report.restarted = report.pending;
          report.pending = [];
        }
        return;
      }
      const created = await createVm(o);
      const { config } = await readVm(o.client, o.name, created.vmid, lockWaitMs, o.log);
      await applyVmConfig(
        o.client,
        created,
        config ?? {},
        planVmConfig(o.name, o.config, config ?? {}, o.allowUnsafe ?? false),
      );
    },
  };
}

/**
 * The outcome with what Proxmox keeps pending: the change lines that landed pending marked so,
 * a restart's line, and, while changes wait for a restart that this run does not make, a notice
 * (repeated under the recap and kept in the run record) on every run until they are applied.
 */
export function reportPending(outcome: TaskOutcome, report: PendingReport, o: PveVmOptions): TaskOutcome {
  let lines = outcome.changes;
  const note = o.stopsAfter ? 'pending until the power step stops the VM' : PENDING_NOTE;
  if (lines && report.landed.size && !report.restarted)
    lines = markPending(
      lines,
      report.planned.map((c) => c.field),
      report.landed,
      note,
    );
  if (lines && report.restarted) {
    const line = `vm ${o.name}: power running → ${restartLine(report.restarted)}`;
    const at = report.planned.findIndex((c) => c.step.kind === 'restart');
    lines = at >= 0 ? lines.map((l, i) => (i === at ? line : l)) : [...lines, line];
  }
  const restartPlanned = report.planned.some((c) => c.step.kind === 'restart');
  const how = o.restartVar
    ? `set ${o.restartVar}: true to let the role restart the VM, or restart it yourself`
    : 'restart the VM to apply them';
  const notice =
    report.pending.length && !restartPlanned && !o.stopsAfter
      ? `${PENDING_NOTE}: ${describePending(report.pending)} (${how})`
      : undefined;
  return { ...outcome, ...(lines ? { changes: lines } : {}), ...(notice ? { notice } : {}) };
}

/**
 * A VM present with its declared configuration; created (or cloned) when missing.
 *
 * @example
 * await pveVm(ctx.host, { client, name: 'vm-dev-01', source: { clone: { template: 'tpl-ubuntu-2204', full: true } },
 *   config: { options: { cores: 4, memory: 8192 }, disks: { scsi0: { storage: 'local-lvm', sizeGb: 64 } } }, lock: ctx.lock });
 */
export async function pveVm(host: Host, options: PveVmOptions): Promise<TaskOutcome> {
  const report: PendingReport = { planned: [], pending: [], landed: new Set() };
  return reportPending(await converge(host, pveVmResource(options, report)), report, options);
}
