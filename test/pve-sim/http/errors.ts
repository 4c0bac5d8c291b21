/**
 * Errors with real Proxmox VE shapes (pve-http-server AnyEvent.pm + Formatter/Standard.pm ≥ 5.2):
 * the HTTP reason phrase is the first line of the message, and JSON answers carry
 * `{"data":null,"message":"…\n"}` plus `errors` for parameter failures. Authentication failures
 * are bare (`401 No ticket`, no body), as AnyEvent's `error()` sends them.
 */
export class PveError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: Record<string, string>,
    /** Bare errors have no JSON body (AnyEvent.pm `error()`), e.g. 401 auth failures. */
    readonly bare = false,
  ) {
    super(message);
  }
}

/** `raise_param_exc`: 400 "Parameter verification failed." with per-parameter messages. */
export function paramError(errors: Record<string, string>): PveError {
  return new PveError(400, 'Parameter verification failed.\n', errors);
}

/** A handler's `die "…\n"`: 500 with the message as reason phrase and body `message`. */
export function die(message: string): PveError {
  return new PveError(500, message.endsWith('\n') ? message : `${message}\n`);
}

/** `raise_perm_exc`: 403 "Permission check failed (…)". */
export function permError(detail?: string): PveError {
  return new PveError(403, detail ? `Permission check failed (${detail})\n` : 'Permission check failed\n');
}

export function authError(message: string): PveError {
  return new PveError(401, message, undefined, true);
}

export function notImplemented(method: string, path: string): PveError {
  return new PveError(501, `Method '${method} ${path}' not implemented\n`);
}

/** The reason phrase PVE sends: the first line of the message. */
export function reasonPhrase(err: PveError): string {
  return err.message.split('\n')[0] || 'Error';
}
