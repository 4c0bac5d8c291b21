/**
 * Vault entries that a role of this run produces (RoleDefinition.producesSecrets) and that were
 * missing when the run began stay `!secret` references through planning. When a play starts, its
 * hosts' references are resolved from the vault, which the producing role (in an earlier play)
 * has written by then; one still missing fails that host, naming the variable and the entry —
 * if a role of the play reads it (its own variables, or those of a host it references). In check
 * mode the producer creates nothing: the play is skipped on that host, saying why.
 */
import type { SecretStore } from '../secrets/store.js';
import { SecretReference } from '../secrets/reference.js';
import type { PlannedRole } from './run-plan.js';

export async function resolveProducedSecrets(
  roles: readonly PlannedRole[],
  store: SecretStore | undefined,
  check: boolean,
): Promise<void> {
  const resolve = async (value: unknown, path: string, required = true): Promise<unknown> => {
    if (value instanceof SecretReference && value.source === 'vault') {
      const found = await store?.tryGet(value.name);
      if (found) return found;
      if (!required) return value;
      throw new Error(
        `variable ${path}: ${value}: not in the vault${store ? ` ${store.file}` : ''} when this play started: the role of this run that produces it did not save it${check ? ' (check mode creates nothing): this play is skipped on this host' : ' (see its tasks above)'}`,
      );
    }
    if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) value[i] = await resolve(item, `${path}.${i}`, required);
    } else if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
      const record = value as Record<string, unknown>;
      for (const [key, item] of Object.entries(record))
        record[key] = await resolve(item, `${path}.${key}`, required);
    }
    return value;
  };
  for (const role of roles) {
    for (const [key, value] of Object.entries(role.vars)) role.vars[key] = await resolve(value, key);
    // All of the host's variables (ctx.hostVars): resolved when there, never required — the
    // producing role's own host holds the reference too.
    for (const [key, value] of Object.entries(role.hostVars))
      role.hostVars[key] = await resolve(value, key, false);
    for (const [host, vars] of Object.entries(role.refVars))
      for (const [key, value] of Object.entries(vars))
        vars[key] = await resolve(value, `${key} (of host ${host})`);
  }
}
