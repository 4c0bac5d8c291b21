/**
 * The webapp's error answers (guacamole rest/APIError.java, APIException): a JSON body
 * `{message, translatableMessage, statusCode, expected, type}` whose `type` names the kind of
 * GuacamoleException; the HTTP status follows from the type.
 */

export type ApiErrorType =
  | 'BAD_REQUEST'
  | 'INVALID_CREDENTIALS'
  | 'INSUFFICIENT_CREDENTIALS'
  | 'PERMISSION_DENIED'
  | 'NOT_FOUND'
  | 'INTERNAL_ERROR';

const STATUS: Record<ApiErrorType, number> = {
  BAD_REQUEST: 400,
  INVALID_CREDENTIALS: 403,
  INSUFFICIENT_CREDENTIALS: 403,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  INTERNAL_ERROR: 500,
};

export class ApiFailure extends Error {
  readonly status: number;
  constructor(
    readonly type: ApiErrorType,
    message: string,
    readonly key?: string,
    readonly expected?: { name: string; type: string }[],
  ) {
    super(message);
    this.status = STATUS[type];
  }

  body(): Record<string, unknown> {
    return {
      message: this.message,
      translatableMessage: { key: this.key ?? this.message, variables: null },
      statusCode: null,
      expected: this.expected ?? null,
      type: this.type,
    };
  }
}

export const notFound = (what: string): ApiFailure => new ApiFailure('NOT_FOUND', `Not found: "${what}"`);
export const denied = (): ApiFailure => new ApiFailure('PERMISSION_DENIED', 'Permission denied.');
export const badRequest = (message: string): ApiFailure => new ApiFailure('BAD_REQUEST', message);

/** What an unknown or expired token gets (AuthenticationService.getGuacamoleSession). */
export const sessionRefused = (): ApiFailure => new ApiFailure('PERMISSION_DENIED', 'Permission Denied.');

/** A refused login (the JDBC backend answers "no such user" for a disabled account too). */
export const invalidLogin = (): ApiFailure =>
  new ApiFailure('INVALID_CREDENTIALS', 'Invalid login.', 'LOGIN.ERROR_INVALID_LOGIN', [
    { name: 'username', type: 'USERNAME' },
    { name: 'password', type: 'PASSWORD' },
  ]);
