/**
 * Request encoding as Proxmox's HTTP server expects it (pve-http-server decodes
 * `application/x-www-form-urlencoded` bodies for POST/PUT and the query string for GET/DELETE):
 * `undefined`/`null` are left out, booleans are 1/0, arrays repeat the key
 * (`command=bash&command=-c`, proxmox-api #34), numbers must be finite.
 *
 * A Secret value (cipassword, a login password) is revealed only into a body; in a query string
 * it would end up in proxy and access logs, so that is refused.
 */
import { isSecret } from '../secret.js';

export type ParamValue =
  string | number | boolean | bigint | null | undefined | { reveal(): string } | ParamValue[];
export type Params = Record<string, unknown>;

export interface EncodedRequest {
  /** `a=1&b=2` (no leading `?`), or '' */
  query: string;
  /** form-urlencoded body for POST/PUT (undefined when there are no parameters) */
  body?: string;
}

export function isWriteMethod(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

/** Encodes `params` for `method`: POST/PUT into a form body, GET/DELETE into the query string. */
export function encodeParams(method: string, params: Params | undefined): EncodedRequest {
  const inBody = method === 'POST' || method === 'PUT';
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(params ?? {})) {
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      if (item === undefined || item === null) continue;
      pairs.push(`${encodeComponent(key)}=${encodeComponent(scalar(key, item, inBody))}`);
    }
  }
  const text = pairs.join('&');
  if (inBody) return text ? { query: '', body: text } : { query: '' };
  return { query: text };
}

function scalar(key: string, value: unknown, inBody: boolean): string {
  if (isSecret(value)) {
    if (!inBody) throw new TypeError(`parameter ${key}: a secret cannot be sent in a URL query string`);
    return value.reveal();
  }
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? '1' : '0';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`parameter ${key}: ${value} is not a finite number`);
      return String(value);
    case 'bigint':
      return value.toString();
    default:
      // An object would become "[object Object]": a bug in the caller, not something to send.
      throw new TypeError(
        `parameter ${key}: cannot send a value of type ${Array.isArray(value) ? 'nested array' : typeof value}`,
      );
  }
}

/** encodeURIComponent, which writes a space as %20 (never `+`) and leaves only unreserved marks. */
function encodeComponent(text: string): string {
  return encodeURIComponent(text);
}

/**
 * Makes an API path safe for a URL. proxmox-api's `$(id)` only escapes `/`, so a value with a
 * space, `?` or `#` would break the URL; anything outside RFC 3986's path characters is encoded
 * here, and existing `%XX` escapes are kept (so an already encoded UPID is not encoded twice).
 */
export function safePath(path: string): string {
  return path.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@%/]/gu, (c) => encodeURIComponent(c));
}
