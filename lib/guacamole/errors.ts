/**
 * Typed Guacamole errors. The webapp answers failures with `{message, translatableMessage,
 * statusCode, expected, type}` (rest/APIError); the client turns every failure into one
 * GuacamoleApiError carrying the HTTP status (0: no answer), the method and the path below the
 * data source, the webapp's `type` (`INVALID_CREDENTIALS`, `PERMISSION_DENIED`, `NOT_FOUND`,
 * `BAD_REQUEST`, …) and message. Messages pass the process masker: a secret the webapp echoes is
 * scrubbed.
 */
import { processMasker } from '../secret.js';

export interface GuacamoleApiErrorInit {
  status: number;
  method: string;
  path: string;
  message: string;
  type?: string;
  /** A write was sent but its answer never came: it may or may not have been done. */
  answerLost?: boolean;
  cause?: unknown;
}

export class GuacamoleApiError extends Error {
  readonly status: number;
  readonly method: string;
  readonly path: string;
  readonly type: string | undefined;
  readonly guacMessage: string;
  readonly answerLost: boolean;
  constructor(init: GuacamoleApiErrorInit) {
    const message = processMasker.mask(init.message);
    super(
      `Guacamole ${init.method} ${init.path} failed: ${init.status ? `${init.status} ` : ''}${init.type ? `${init.type}: ` : ''}${message}`,
      init.cause === undefined ? undefined : { cause: init.cause },
    );
    this.name = 'GuacamoleApiError';
    this.status = init.status;
    this.method = init.method;
    this.path = init.path;
    this.type = init.type;
    this.guacMessage = message;
    this.answerLost = init.answerLost ?? false;
  }

  get notFound(): boolean {
    return this.status === 404;
  }
}

/** The webapp refused the username and password (403 INVALID_CREDENTIALS). */
export class GuacamoleLoginError extends GuacamoleApiError {
  constructor(
    readonly username: string,
    init: GuacamoleApiErrorInit,
  ) {
    super(init);
    this.name = 'GuacamoleLoginError';
  }
}

/** The server's certificate was refused; `code` says why. */
export class GuacamoleTlsError extends Error {
  constructor(
    message: string,
    readonly code: 'FINGERPRINT_MISMATCH' | 'UNTRUSTED',
  ) {
    super(message);
    this.name = 'GuacamoleTlsError';
  }
}
