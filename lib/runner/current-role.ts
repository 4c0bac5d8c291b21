/**
 * Which role is running in this async context (its `apply` or a handler), so a primitive can
 * resolve what is relative to the role's own module — a template shipped beside a user's role —
 * without every call passing it. Kept apart from the task scope: a role's code outside any task
 * (a render for an upload, a helper) has its role too.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface CurrentRole {
  name: string;
  /** The file that called defineRole (the role's module), when known. */
  definedAt?: string;
}

const storage = new AsyncLocalStorage<CurrentRole>();

export function runAsRole<T>(role: CurrentRole, fn: () => Promise<T>): Promise<T> {
  return storage.run(role, fn);
}

export function currentRole(): CurrentRole | undefined {
  return storage.getStore();
}
