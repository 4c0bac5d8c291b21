/** What every part of one run shares: options, the abort signal, locks, and the event sink. */
import type { RunEvent } from '../report/events.js';
import type { RecordedProbe } from '../host/prefetch.js';
import type { SecretStore } from '../secrets/store.js';
import type { SshSettings } from '../transport/types.js';
import type { NamedLocks } from './locks.js';
import type { TagFilter } from './tags.js';

export interface RunOptions {
  check: boolean;
  diff: boolean;
  /** Hosts worked on at once. */
  forks: number;
  tags: TagFilter;
  /** --limit patterns (intersected with each play's hosts). */
  limit?: string[];
  /** --role: run only these roles. */
  roles?: string[];
  extraVars: Record<string, unknown>;
  ssh: SshSettings;
  /** The vault behind ctx.secrets (get/generate); without it they explain there is none. */
  secrets?: SecretStore;
  /**
   * The reads each role sent to each host on the last run of this playbook (host → role →
   * probes, from its run record): sent in one round trip when the role starts (lib/host/prefetch.ts).
   */
  lastProbes?: Record<string, Record<string, RecordedProbe[]>>;
}

export interface RunState {
  options: RunOptions;
  signal: AbortSignal;
  locks: NamedLocks;
  emit(event: RunEvent): void;
}
