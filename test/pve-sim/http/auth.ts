/**
 * Authentication as pve-manager HTTPServer.pm / pve-http-server AnyEvent.pm do it:
 * - API token: `Authorization: PVEAPIToken=<user>@<realm>!<tokenid>=<uuid>`; no CSRF token needed;
 *   the acting user is `<user>@<realm>!<tokenid>` (so never root@pam, which matters for hostpci).
 * - Ticket: `POST /access/ticket` (username + password, or a valid ticket as password to renew)
 *   gives `PVEAuthCookie` + `CSRFPreventionToken`; tickets live 2 h on the sim clock; every
 *   non-GET request with a ticket must send the matching `CSRFPreventionToken` header.
 * Failures are 401 with PVE's reason phrases; the server delays them (PVE: 3 s).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { SimClock } from '../state/clock.js';
import { authError } from './errors.js';

export const TICKET_LIFETIME_MS = 2 * 3600 * 1000;

export interface AuthResult {
  kind: 'token' | 'ticket' | 'none';
  /** The acting user id, e.g. 'root@pam' or 'novastation@pve!site'. */
  user?: string;
}

interface Ticket {
  user: string;
  createdAt: number;
  csrf: string;
}

export class Auth {
  readonly tokens = new Map<string, string>(); // token id → secret
  readonly passwords = new Map<string, string>(); // user → password
  private readonly tickets = new Map<string, Ticket>();

  constructor(private readonly clock: SimClock) {}

  seed(): { token: { id: string; secret: string }; root: { username: 'root@pam'; password: string } } {
    const token = { id: 'novastation@pve!site', secret: randomUUID().toLowerCase() };
    this.tokens.set(token.id, token.secret);
    const root = { username: 'root@pam' as const, password: randomBytes(12).toString('base64url') };
    this.passwords.set(root.username, root.password);
    return { token, root };
  }

  /** Validates credentials; for `POST /access/ticket` the password may be a valid ticket. */
  login(
    username: string,
    password: string,
    realm?: string,
  ): { ticket: string; CSRFPreventionToken: string; username: string } {
    const user = realm && !username.includes('@') ? `${username}@${realm}` : username;
    const renewed = this.validTicket(password);
    const ok = renewed ? renewed.user === user : this.passwords.get(user) === password;
    if (!ok) throw authError('authentication failure');
    const epochHex = this.clock.epoch().toString(16).toUpperCase().padStart(8, '0');
    const sig = randomBytes(32).toString('base64').replace(/=+$/, '');
    const ticket = `PVE:${user}:${epochHex}::${sig}`;
    const csrf = `${epochHex}:${createHash('sha1').update(ticket).digest('base64').replace(/=+$/, '')}`;
    this.tickets.set(ticket, { user, createdAt: this.clock.now(), csrf });
    return { ticket, CSRFPreventionToken: csrf, username: user };
  }

  private validTicket(ticket: string | undefined): Ticket | undefined {
    if (!ticket) return undefined;
    const t = this.tickets.get(ticket);
    if (!t) return undefined;
    return this.clock.now() - t.createdAt < TICKET_LIFETIME_MS ? t : undefined;
  }

  /** Who is calling; throws a bare 401 PveError when credentials are present but wrong. */
  authenticate(method: string, headers: IncomingHttpHeaders): AuthResult {
    const authz = headers.authorization;
    if (authz?.startsWith('PVEAPIToken=')) {
      const m = /^PVEAPIToken=([^\s!]+@[^\s!]+![^\s=]+)[=:]([^\s]+)$/.exec(authz);
      if (!m || this.tokens.get(m[1]!) !== m[2]) throw authError('invalid token value!');
      return { kind: 'token', user: m[1]! };
    }
    const cookie =
      /(?:^|;\s*)PVEAuthCookie=([^;]+)/.exec(headers.cookie ?? '')?.[1] ??
      (authz?.startsWith('PVEAuthCookie=') ? authz.slice('PVEAuthCookie='.length) : undefined);
    if (cookie === undefined) return { kind: 'none' };
    const ticket = this.validTicket(decodeURIComponent(cookie));
    if (!ticket) throw authError('invalid PVE ticket');
    if (method !== 'GET' && headers.csrfpreventiontoken !== ticket.csrf)
      throw authError('Permission denied - invalid csrf token');
    return { kind: 'ticket', user: ticket.user };
  }
}
