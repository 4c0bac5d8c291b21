/**
 * Permission checks from the schema's `permissions` (PVE RPCEnvironment check expressions:
 * ['perm', path, [privs], any => 1, require_param => p], ['and', …], ['or', …]), evaluated against
 * the token's privileges. Privileges are flat (granted on '/', propagated) — ACL paths are not
 * modelled. root@pam has every privilege; the token has every privilege unless a test narrows
 * `sim.tokenPrivileges`, which is how the least privileges of the product's token are found.
 */
type Expr = unknown[];

export function checkPermissions(
  permissions: unknown,
  params: Record<string, unknown>,
  has: (priv: string) => boolean,
): string | undefined {
  const p = permissions as { check?: Expr; user?: string } | undefined;
  if (!p?.check) return undefined; // user => 'all' | 'world': checked inside the handler, if at all
  return evaluate(p.check, params, has);
}

function evaluate(
  expr: Expr,
  params: Record<string, unknown>,
  has: (priv: string) => boolean,
): string | undefined {
  const [op, ...rest] = expr;
  if (op === 'and') {
    for (const e of rest) {
      const err = evaluate(e as Expr, params, has);
      if (err) return err;
    }
    return undefined;
  }
  if (op === 'or') {
    let first: string | undefined;
    for (const e of rest) {
      const err = evaluate(e as Expr, params, has);
      if (!err) return undefined;
      first ??= err;
    }
    return first;
  }
  if (op === 'perm') {
    const [rawPath, privs, ...opts] = rest as [string, string[], ...unknown[]];
    const o: Record<string, unknown> = {};
    for (let i = 0; i + 1 < opts.length; i += 2) o[String(opts[i])] = opts[i + 1];
    if (typeof o.require_param === 'string' && params[o.require_param] === undefined)
      return `${rawPath}, ${privs.join(', ')}`;
    const path = rawPath.replace(/\{([^}]+)\}/g, (_, k: string) => String(params[k] ?? ''));
    const ok = o.any ? privs.some(has) : privs.every(has);
    return ok ? undefined : `${path}, ${o.any ? privs.join('|') : privs.filter((x) => !has(x)).join(', ')}`;
  }
  return undefined; // userid-param, userid-group, …: not modelled (allowed)
}
