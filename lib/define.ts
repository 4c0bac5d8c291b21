/**
 * What users write: roles (`defineRole`) and playbooks (`definePlaybook`). Both only describe;
 * the runner (lib/runner/) does the work. A role's variables are a JSON Schema checked by ajv
 * for every host before any host is touched.
 */
import type { Host } from './host/host.js';
import type { RoleSecrets } from './secrets/store.js';

/** What a task body may return; nothing means "changed if it ran a state-changing command". */
export interface TaskOutcome {
  changed: boolean;
  /** Human lines: "mode 0600 → 0644", "package nginx installed". */
  changes?: string[];
  /** Unified diff(s) of file content, shown with --diff (secrets masked). */
  diff?: string;
  /** Set when the body decided itself not to act (e.g. check mode with no safe probe). */
  skipped?: boolean;
  /** A line for the log: why it was skipped, what it found. */
  message?: string;
  /**
   * A line the user must not miss ("reboot required: …", a warning): besides the task's line it
   * is repeated under the PLAY RECAP and kept in the run record.
   */
  notice?: string;
}

export interface TaskOptions {
  /** Tags for --tags/--skip-tags, on top of the role's and the play's. */
  tags?: string[];
  /** Handlers (by name) to run at the end of the role if this task changed something. */
  notify?: string | string[];
  /** Report a failure but go on with the role. */
  ignoreErrors?: boolean;
}

export interface TaskResult extends TaskOutcome {
  status: 'ok' | 'changed' | 'failed' | 'skipped';
  error?: string;
}

export interface RoleContext<V> {
  /** The inventory host: over SSH/local, or — for a role with `delegate: 'controller'` — the controller acting for it. */
  host: Host;
  /** The machine running the playbook (Ansible's `delegate_to: localhost`). */
  controller: Host;
  /** The inventory host's name (also when the role runs on the controller). */
  inventoryHost: string;
  /** This role's variables: defaults < inventory < play vars < --extra-vars, validated. */
  vars: V;
  /** All variables of the host (inventory, play, extra), for roles that read others' settings. */
  hostVars: Readonly<Record<string, unknown>>;
  /**
   * Another inventory host's variables (Ansible's `hostvars[name]`), for a host named by one of
   * this role's `hostRefs` variables: only the variables that reference's schema declares,
   * validated and with their secrets resolved before any host was touched — also when --limit
   * leaves that host out of the run. Any other name is an error.
   */
  hostVarsOf<T = Record<string, unknown>>(name: string): Readonly<T>;
  check: boolean;
  /** Run one named step: reported, tag-filtered, may notify handlers. */
  task(name: string, body: () => Promise<TaskOutcome | void>, options?: TaskOptions): Promise<TaskResult>;
  /**
   * Run the handlers notified so far now, instead of at the end of the role (Ansible's
   * `meta: flush_handlers`), e.g. before a reboot that needs what they build. Each runs once;
   * a later notification runs it again at the end. In check mode they are reported skipped.
   */
  flushHandlers(): Promise<void>;
  /** Run `fn` while holding a run-wide named lock (e.g. `clone:pve1:9000`), one host at a time. */
  lock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** A line in -v output. */
  log(message: string): void;
  /**
   * The run's vault: `get(name)`, `generate(name, { length, alphabet })` (created once, saved in
   * the vault, the same value on every later run; not saved in check mode), `env(name)`. All
   * return Secrets.
   */
  secrets: RoleSecrets;
}

export type Handler<V> = (ctx: RoleContext<V>) => Promise<TaskOutcome | void>;

export interface RoleDefinition<V> {
  /** kebab-case; what `--role` takes. */
  name: string;
  /** JSON Schema (an object schema) of this role's variables. */
  vars: RoleVarsSchema;
  defaults?: Partial<V>;
  tags?: string[];
  /** Named handlers, run at the end of the role in this order, once each, if notified. */
  handlers?: Record<string, Handler<V>>;
  /** `controller`: the role acts on the controller for its inventory host (API objects). */
  delegate?: 'controller';
  /** At most this many hosts in this role at once, run-wide. */
  throttle?: number;
  /**
   * Other inventory hosts this role reads variables of: the name of one of this role's variables
   * whose value is an inventory host name → the JSON Schema of the variables read from that host
   * (e.g. `{ pve_host: { type: 'object', properties: { pve_api_url: … } } }` for a VM role that
   * needs its Proxmox server's API settings). The named host must exist and its variables must
   * pass the schema (checked with the role's own, before any host is touched); their secrets are
   * resolved even when the host is not in the run. `ctx.hostVarsOf(name)` reads them.
   */
  hostRefs?: Record<string, RoleVarsSchema>;
  /**
   * The vault entries this role writes for a host (e.g. the secret of an API token it creates,
   * which its server shows only once), from the role's variables for that host as set before
   * validation (defaults < inventory < play < --extra-vars). A `!secret` reference to such an
   * entry that the vault lacks does not stop the run up front when a role of this run produces
   * it: it is resolved when the play whose hosts use it starts (a host whose reference is still
   * missing then fails, naming it; in check mode, which creates nothing, that play is skipped on
   * the host). A run without the producer still fails up front (exit 4).
   */
  producesSecrets?(vars: Partial<V>): readonly string[];
  apply(ctx: RoleContext<V>): Promise<void>;
}

export interface RoleVarsSchema {
  type: 'object';
  properties: Record<string, object>;
  required?: readonly string[];
  [keyword: string]: unknown;
}

const ROLE = Symbol.for('novastation.role');
const PLAYBOOK = Symbol.for('novastation.playbook');

export interface Role<V = Record<string, unknown>> extends RoleDefinition<V> {
  readonly [ROLE]: true;
  /** Where the role was defined, for error messages. */
  readonly definedAt?: string;
}

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

export function defineRole<V extends object = Record<string, unknown>>(
  definition: RoleDefinition<V>,
): Role<V> {
  if (!KEBAB.test(definition.name))
    throw new TypeError(`role name "${definition.name}" must be kebab-case, like vm-template`);
  if (definition.vars?.type !== 'object')
    throw new TypeError(`role ${definition.name}: vars must be a JSON Schema with type "object"`);
  return Object.freeze({ ...definition, [ROLE]: true as const, definedAt: callerFile() });
}

export function isRole(value: unknown): value is Role<any> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[ROLE] === true;
}

/** A role in a play, optionally with vars and tags for this use only. */
export interface RoleUse {
  role: Role<any>;
  vars?: Record<string, unknown>;
  tags?: string[];
}

export interface Play {
  name?: string;
  /** Ansible host pattern: `all`, `web`, `web:&prod`, `web:!h3`, `vm-dev-*`. */
  hosts: string;
  roles: (Role<any> | RoleUse)[];
  vars?: Record<string, unknown>;
  tags?: string[];
}

export interface PlaybookDefinition {
  name: string;
  plays: Play[];
}

export interface Playbook extends PlaybookDefinition {
  readonly [PLAYBOOK]: true;
}

export function definePlaybook(definition: PlaybookDefinition): Playbook {
  return Object.freeze({ ...definition, [PLAYBOOK]: true as const });
}

export function isPlaybook(value: unknown): value is Playbook {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLAYBOOK] === true;
}

export function roleUse(entry: Role<any> | RoleUse): RoleUse {
  return isRole(entry) ? { role: entry } : entry;
}

/** The file that called defineRole, from the stack, so errors can point at the role's source. */
function callerFile(): string | undefined {
  const line = new Error().stack?.split('\n')[3] ?? '';
  return /\((.*?):\d+:\d+\)$/.exec(line)?.[1] ?? /at (.*?):\d+:\d+$/.exec(line)?.[1];
}
