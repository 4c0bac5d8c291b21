/**
 * What users write: roles (`defineRole`) and playbooks (`definePlaybook`). Both only describe;
 * the runner (lib/runner/) does the work. A role's variables are declared once, with TypeBox
 * (`Type.Object({...})`): at run time that is a plain JSON Schema, checked by ajv for every host
 * before any host is touched and written into inventory/schema.json; at compile time `Static<>`
 * of it is the type of `vars` in `apply` (variables with a default made non-optional), of the
 * defaults, of `hostVarsOf` results and of the vars a play passes to the role.
 *
 * Why TypeBox and not json-schema-to-ts (measured 2026-12-02 with TypeScript 5.9 on the site
 * roles' eight variable schemas, the same schemas written both ways, `tsc --noEmit
 * --extendedDiagnostics`, 3 runs each on this shared 2-core machine):
 * - compile time: TypeBox 0.34 (`Static<typeof schema>`) 6,807 type instantiations, check time
 *   1.1–1.8 s; json-schema-to-ts 3.1 (`FromSchema<typeof schema>` over `as const` literals)
 *   24,184 instantiations (3.6×), check time 1.5–2.7 s. Total tsc time was ~5 s for both
 *   (program load dominates at this size); instantiations are the stable measure.
 * - a Secret field: json-schema-to-ts derives `string` from `{ type: 'string' }`; it yields
 *   `Secret` only when every `FromSchema` call passes `deserialize: [{ pattern: { writeOnly:
 *   true }, output: Secret }]`. TypeBox types the one field where it is declared:
 *   `secretString()` is `Type.Unsafe<Secret>(Type.String(…))` — a string schema for ajv.
 * - writing schemas: json-schema-to-ts needs every schema (and every shared piece spread into
 *   one) to stay an `as const` literal; TypeBox's builders are ordinary values.
 * - run time: TypeBox schemas are plain JSON Schema objects (ajv compiles them unchanged);
 *   json-schema-to-ts is types only. Both keep ajv as the validator.
 */
import type { Static, StringOptions, TObject, TSchema } from '@sinclair/typebox';
import type { Kind } from '@sinclair/typebox';
import { Type } from './vendor/typebox.js';
import { fileURLToPath } from 'node:url';
import type { Host } from './host/host.js';
import type { Secret } from './secret.js';
import type { SecretReference } from './secrets/reference.js';
import type { RoleSecrets } from './secrets/store.js';
import type { SiteModel } from './site/types.js';

export { Type, type Static };

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
  /** A loop's items, each with its own result, in order. */
  items?: ItemResult[];
}

/** One item of a loop task: its label (`alice`, `/srv/app`) and what it did. */
export interface ItemResult extends TaskResult {
  item: string;
}

export interface LoopOptions<T> extends TaskOptions {
  /** How an item is named in reports; default: a string or number itself, else its `name` or `path`, else `#index`. */
  label?: (item: T) => string;
}

/** Schemas of other hosts' variables a role reads, by the name of its variable that names the host. */
export type HostRefSchemas = Record<string, TObject | RoleVarsSchema>;

/** The variables read from a referenced host: typed when the reference is a TypeBox schema. */
export type RefVars<S> = S extends TSchema ? Static<S> : Record<string, unknown>;

export interface RoleContext<V, R extends HostRefSchemas = HostRefSchemas> {
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
   * leaves that host out of the run. Give the reference (`hostVarsOf('pve_host')`, typed from
   * its schema) or the host's name; any other host is an error.
   */
  hostVarsOf<K extends keyof R & string>(ref: K): Readonly<RefVars<R[K]>>;
  hostVarsOf<T = Record<string, unknown>>(hostName: string): Readonly<T>;
  check: boolean;
  /** Run one named step: reported, tag-filtered, may notify handlers. */
  task(name: string, body: () => Promise<TaskOutcome | void>, options?: TaskOptions): Promise<TaskResult>;
  /**
   * Run one named step once per item, in order (Ansible's `loop`): every item runs even when one
   * fails, each item's changes are reported under its label, and it counts as one task in the
   * recap (changed if any item changed, failed if any failed).
   *
   *   await task('accounts', vars.users, (u) => user(host, { name: u.name, shell: '/bin/bash' }));
   */
  task<T>(
    name: string,
    items: readonly T[],
    body: (item: T, index: number) => Promise<TaskOutcome | void>,
    options?: LoopOptions<T>,
  ): Promise<TaskResult>;
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

export type Handler<V, R extends HostRefSchemas = HostRefSchemas> = (
  ctx: RoleContext<V, R>,
) => Promise<TaskOutcome | void>;

/** What every role declares besides its variables. */
interface RoleBody<V, R extends HostRefSchemas> {
  /** kebab-case; what `--role` takes. */
  name: string;
  tags?: string[];
  /** Named handlers, run at the end of the role in this order, once each, if notified. */
  handlers?: Record<string, Handler<V, R>>;
  /** `controller`: the role acts on the controller for its inventory host (API objects). */
  delegate?: 'controller';
  /** At most this many hosts in this role at once, run-wide. */
  throttle?: number;
  /**
   * Other inventory hosts this role reads variables of: the name of one of this role's variables
   * whose value is an inventory host name → the schema of the variables read from that host
   * (e.g. `{ pve_host: PveHostVars }` for a VM role that needs its Proxmox server's API
   * settings). The named host must exist and its variables must pass the schema (checked with
   * the role's own, before any host is touched); their secrets are resolved even when the host
   * is not in the run. `ctx.hostVarsOf('pve_host')` reads them.
   */
  hostRefs?: R;
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
  /**
   * Checks beyond the schema, made for every host while the run is planned — before any host is
   * touched — with the host's validated variables and the site model (lib/site): e.g. "every VM
   * this gateway serves has an address". Each problem returned stops the run (exit 4), named with
   * the host and the role, all of them at once.
   */
  check?(input: { vars: V; host: string; site: SiteModel }): readonly (string | Error)[];
  apply(ctx: RoleContext<V, R>): Promise<void>;
}

/** A role as the runner sees it (either way of declaring it ends here). */
export interface RoleDefinition<V, R extends HostRefSchemas = HostRefSchemas> extends RoleBody<V, R> {
  /** JSON Schema (an object schema) of this role's variables. */
  vars: RoleVarsSchema;
  defaults?: Partial<V>;
}

/**
 * Variables inside `apply`: the schema's type, with every variable the defaults set made
 * non-optional (the defaults guarantee it).
 */
export type WithDefaults<T, D> = Simplify<
  Omit<T, keyof D> & { [K in keyof D & keyof T]-?: Exclude<T[K], undefined> }
>;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** A role declared with TypeBox: `vars` is a `Type.Object`, everything else is typed from it. */
export interface TypedRoleDefinition<S extends TObject, D, R extends HostRefSchemas> extends RoleBody<
  WithDefaults<Static<S>, D>,
  R
> {
  vars: S;
  /** Values for variables nobody set; each must fit the schema, and no other name is allowed. */
  defaults?: D & { [K in Exclude<keyof D, keyof Static<S>>]: never };
}

/**
 * One of a few strings, as a JSON Schema `enum` (TypeBox's union of literals would be an `anyOf`
 * of `const`s, whose ajv message does not list the allowed values).
 */
export function oneOf<const T extends readonly [string, ...string[]]>(
  values: T,
  options: { description?: string } = {},
) {
  return Type.Unsafe<T[number]>({ ...options, enum: [...values] });
}

/** A schema field whose value is a secret: a string for ajv and the inventory, `Secret` in TypeScript. */
export function secretString(options: StringOptions = {}) {
  // writeOnly (JSON Schema's mark for passwords) also tells the runner to wrap a plain string in
  // a Secret, so the type holds even for a value the inventory gives without !secret.
  return Type.Unsafe<Secret>(Type.String({ minLength: 1, ...options, writeOnly: true }));
}

/** The plain JSON Schema form of a role's variables (what TypeBox's `Type.Object` produces). */
export interface RoleVarsSchema {
  type: 'object';
  properties: Record<string, object>;
  required?: readonly string[];
  [keyword: string]: unknown;
}

const ROLE = Symbol.for('novastation.role');
const PLAYBOOK = Symbol.for('novastation.playbook');

export interface Role<
  V = Record<string, unknown>,
  R extends HostRefSchemas = HostRefSchemas,
> extends RoleDefinition<V, R> {
  readonly [ROLE]: true;
  /** Where the role was defined, for error messages and role-relative template paths. */
  readonly definedAt?: string;
}

const KEBAB = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;

/**
 * A role. Declare its variables with TypeBox and let the types follow:
 * `defineRole({ name, vars: Type.Object({...}), defaults: {...}, apply })`. The older form — a
 * plain JSON Schema and the variables' type given by hand, `defineRole<MyVars>({ vars: {...} })`
 * — still works, but nothing checks that the two agree.
 */
export function defineRole<
  S extends TObject,
  const D extends Partial<Static<S>> = Record<never, never>,
  R extends HostRefSchemas = Record<never, never>,
>(definition: TypedRoleDefinition<S, D, R>): Role<WithDefaults<Static<S>, D>, R>;
export function defineRole<V extends object = Record<string, unknown>>(
  definition: RoleDefinition<V> & { vars: { [Kind]?: never } },
): Role<V>;
export function defineRole(definition: RoleDefinition<any>): Role<any> {
  if (!KEBAB.test(definition.name))
    throw new TypeError(`role name "${definition.name}" must be kebab-case, like vm-template`);
  if (definition.vars?.type !== 'object')
    throw new TypeError(`role ${definition.name}: vars must be a JSON Schema with type "object"`);
  return Object.freeze({ ...definition, [ROLE]: true as const, definedAt: callerFile() });
}

export function isRole(value: unknown): value is Role<any> {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[ROLE] === true;
}

/** What a play may pass for one variable: its type, and for a Secret also a reference or a plain string. */
export type PlayVar<T> = [T] extends [Secret] ? Secret | SecretReference | string : T;

/** A role in a play, optionally with vars and tags for this use only. */
export interface RoleUse<V = any> {
  role: Role<V, HostRefSchemas>;
  vars?: PlayVars<V>;
  tags?: readonly string[];
}

/** The vars a play may give a role (any role: whatever it declares; definePlaybook checks each). */
type PlayVars<V> = 0 extends 1 & V ? Record<string, unknown> : { [K in keyof V]?: PlayVar<V[K]> };

export interface Play {
  name?: string;
  /** Ansible host pattern: `all`, `web`, `web:&prod`, `web:!h3`, `vm-dev-*`. */
  hosts: string;
  roles: readonly (Role<any, any> | RoleUse)[];
  vars?: Record<string, unknown>;
  tags?: readonly string[];
}

export interface PlaybookDefinition {
  name: string;
  plays: readonly Play[];
}

export interface Playbook extends PlaybookDefinition {
  readonly [PLAYBOOK]: true;
}

/**
 * The type a playbook literal is checked against: each `{ role, vars }` entry's vars against
 * that role's variables (an unknown name is an error too). A mapped type over the literal, so
 * TypeScript infers the literal through it and checks every entry against its own role.
 */
type CheckedPlaybook<P> = { [K in keyof P]: K extends 'plays' ? EachPlay<P[K]> : P[K] };
// Mapped over a type parameter, so a tuple stays a tuple and each entry is checked on its own.
type EachPlay<Plays> = { [I in keyof Plays]: CheckedPlay<Plays[I]> };
type CheckedPlay<P> = { [K in keyof P]: K extends 'roles' ? EachEntry<P[K]> : P[K] };
type EachEntry<Entries> = { [J in keyof Entries]: CheckedEntry<Entries[J]> };
type CheckedEntry<E> = E extends { role: Role<infer V, any>; vars: unknown }
  ? { [K in keyof E]: K extends 'vars' ? CheckedVars<E[K], V> : E[K] }
  : E;
type CheckedVars<Given, V> = { [K in keyof Given]: K extends keyof V ? PlayVar<V[K]> : NotAVariable };
type NotAVariable = { 'not a variable of this role': never };

export function definePlaybook<const P extends PlaybookDefinition>(definition: CheckedPlaybook<P>): Playbook {
  return Object.freeze({ ...definition, [PLAYBOOK]: true as const });
}

export function isPlaybook(value: unknown): value is Playbook {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[PLAYBOOK] === true;
}

export function roleUse(entry: Role<any, any> | RoleUse): RoleUse {
  return isRole(entry) ? { role: entry } : (entry as RoleUse);
}

/** The file that called defineRole, from the stack, so errors can point at the role's source. */
function callerFile(): string | undefined {
  const line = new Error().stack?.split('\n')[3] ?? '';
  const file = /\((.*?):\d+:\d+\)$/.exec(line)?.[1] ?? /at (.*?):\d+:\d+$/.exec(line)?.[1];
  // Source-mapped frames (a bundled playbook's roles) name the source as a file: URL.
  return file?.startsWith('file:') ? fileURLToPath(file) : file;
}
