/**
 * The simulated cluster: nodes, storages and their volumes, VMs (config file, pending changes,
 * power state, guest OS), PCI mappings and tasks. Tests read and seed it through `sim.state`.
 * Config values are stored as PVE stores them: strings, property strings printed by PVE's rules.
 */
import { createHash } from 'node:crypto';
import type { BootPrompt } from './boot-prompt.js';
import type { SimTask } from './tasks.js';
import type { WindowsModel } from './windows.js';
import type { WindowsDisk } from './windows-identity.js';

export interface PciDevice {
  id: string;
  class: string;
  vendor: string;
  device: string;
  iommugroup: number;
  subsystem_vendor?: string;
  subsystem_device?: string;
  vendor_name?: string;
  device_name?: string;
}

export interface SimNode {
  name: string;
  online: boolean;
  maxcpu: number;
  maxmem: number;
  mem: number;
  cpu: number;
  pci: PciDevice[];
  bridges: string[];
}

export interface SimStorage {
  id: string;
  type: 'dir' | 'lvmthin';
  content: string[];
  shared: boolean;
  total: number;
}

/** What a volume holds, for the guest model (what boots from it, what an ISO is). */
export type VolumeOs = 'ubuntu' | 'windows' | 'windows-installer' | 'virtio-drivers' | 'answer-file';

export interface SimVolume {
  volid: string;
  storage: string;
  node: string;
  content: 'iso' | 'import' | 'images' | 'vztmpl' | 'snippets' | 'rootdir';
  format: string;
  size: number;
  vmid?: number;
  ctime: number;
  os?: VolumeOs;
  /** The file's bytes where a model reads them: snippets (cloud-init), uploaded answer-file ISOs. */
  data?: Buffer;
  /** A Windows disk: generalised or specialised, and its identity (state/windows-identity.ts). */
  windows?: WindowsDisk;
}

export interface ExecRecord {
  pid: number;
  command: string[];
  doneAt: number;
  exitcode: number;
  out: string;
  err: string;
}

export interface GuestState {
  /** When the guest agent starts answering (epoch ms, sim clock); undefined = never this boot. */
  agentAt?: number;
  os?: 'ubuntu' | 'windows';
  ip?: string;
  installing?: boolean;
  stuck?: string; // why an install cannot proceed (for tests and README), e.g. no TPM
  /** The Windows ISO's "Press any key to boot from CD or DVD" of this boot (state/boot-prompt.ts). */
  bootPrompt?: BootPrompt;
  timers: NodeJS.Timeout[];
  execs: Map<number, ExecRecord>;
  nextPid: number;
}

export class SimVm {
  config: Record<string, string>;
  /** Pending changes of a running VM (applied at the next start), as in PVE's [PENDING] section. */
  pending: Record<string, string> = {};
  pendingDelete = new Set<string>();
  status: 'running' | 'stopped' = 'stopped';
  startedAt?: number;
  guest: GuestState = { timers: [], execs: new Map(), nextPid: 1000 };
  /** The Windows settings the guest agent shows (state/windows.ts), made at the first exec. */
  windows?: WindowsModel;

  constructor(
    readonly vmid: number,
    public node: string,
    config: Record<string, string> = {},
  ) {
    this.config = config;
  }

  get lock(): string | undefined {
    return this.config.lock;
  }

  get template(): boolean {
    return this.config.template === '1';
  }

  /** The config with pending values applied (what `GET config` returns without current=1). */
  effectiveConfig(): Record<string, string> {
    const c = { ...this.config, ...this.pending };
    for (const k of this.pendingDelete) delete c[k];
    return c;
  }

  /** SHA1 over the config file content, like PVE's `digest`. */
  digest(): string {
    const lines = Object.keys(this.config)
      .sort()
      .map((k) => `${k}: ${this.config[k]}`);
    const pend = Object.keys(this.pending)
      .sort()
      .map((k) => `${k}: ${this.pending[k]}`);
    const text = `${lines.join('\n')}\n[PENDING]\n${pend.join('\n')}\ndelete: ${[...this.pendingDelete].sort().join(',')}\n`;
    return createHash('sha1').update(text).digest('hex');
  }
}

export interface PciMapping {
  id: string;
  description?: string;
  map: string[];
  mdev?: string;
  'live-migration-capable'?: string;
}

export class PveSimState {
  readonly nodes = new Map<string, SimNode>();
  readonly storages = new Map<string, SimStorage>();
  readonly volumes = new Map<string, SimVolume>();
  readonly vms = new Map<number, SimVm>();
  readonly mappings = new Map<string, PciMapping>();
  readonly tasks = new Map<string, SimTask>();
  /** URLs download-url can fetch: url → what the file is. Others fail like a 404. */
  readonly urls = new Map<string, { size: number; os?: VolumeOs }>();
  /**
   * Storages whose files are a real folder on this machine (storage id → its path, as
   * `/var/lib/vz` is `local`'s on a node): snippets written there over SSH — by the proxmox-host
   * role on a test host standing in for the node — are read from it (state/cloud-init.ts).
   */
  readonly storageDirs = new Map<string, string>();
  /**
   * What `agent/exec` does in a guest; tests may replace it. Unset: a Windows guest runs the
   * scripted model (state/windows.ts), any other exits 0.
   */
  guestExec?: (
    vm: SimVm,
    command: string[],
    input?: string,
  ) => { exitcode: number; out?: string; err?: string };
  /** Commands the Windows model refused as malformed (not a known, well-formed script). */
  readonly windowsViolations: string[] = [];
  /** Clones of a Windows that was not generalised: they share its identity (state/windows-identity.ts). */
  readonly identityFlags: string[] = [];
  mappingDigest = createHash('sha1').update('').digest('hex');
  nextIdLower = 100;

  node(name: string): SimNode | undefined {
    return this.nodes.get(name);
  }

  vm(vmid: number): SimVm | undefined {
    return this.vms.get(vmid);
  }

  touchMappings(): void {
    this.mappingDigest = createHash('sha1')
      .update(JSON.stringify([...this.mappings.values()]))
      .digest('hex');
  }
}
