/**
 * Which webapp URLs the client accepts: HTTPS anywhere, plain HTTP only to a loopback address
 * (127.0.0.0/8, ::1, localhost) — the gateway's own Tomcat, reached directly on the gateway or
 * through an SSH port forward, where nothing crosses a network unencrypted. Anything else would
 * send admin passwords and tokens in clear text.
 */

export interface WebappUrl {
  /** `https://host:port` */
  origin: string;
  /** The context path without a trailing slash: `/guacamole`, or `` for ROOT. */
  context: string;
  loopback: boolean;
  secure: boolean;
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Parses and checks a webapp URL; the error message says what is wrong (no field name: callers add it). */
export function parseWebappUrl(text: string): WebappUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new TypeError(`"${text}" is not a URL (expected https://host/guacamole)`);
  }
  if (url.username || url.password) throw new TypeError('the URL must not hold credentials');
  const loopback = isLoopbackHost(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback))
    throw new TypeError(
      `${url.protocol}//${url.host} is not HTTPS; plain HTTP is accepted only to the gateway's loopback (127.0.0.1, ::1, localhost)`,
    );
  if (url.search || url.hash) throw new TypeError('the URL must not have a query or fragment');
  return {
    origin: url.origin,
    context: url.pathname.replace(/\/+$/, ''),
    loopback,
    secure: url.protocol === 'https:',
  };
}
