/**
 * Authentication. An API token (preferred: no expiry, no CSRF, privileges of its own) is one
 * header, `Authorization: PVEAPIToken=<user@realm!name>=<secret>`. A ticket login
 * (`POST /access/ticket`) gives a ticket, sent as the `PVEAuthCookie` cookie, and a
 * CSRFPreventionToken, required as a header on every write. Tickets expire after 2 h (Packer's
 * long Windows builds died of this, packer-plugin-proxmox#247), so a new one is fetched
 * proactively once the current one is `TICKET_RENEW_MS` old, and once more on a 401.
 *
 * Credentials stay in Secrets (the ticket is wrapped in one as soon as it arrives, which also
 * registers it with the masker) and are revealed only into a header or the login body.
 */
import { Secret } from '../secret.js';

/** Renew after 1 h 45 min: well inside Proxmox's 2 h ticket lifetime, even with clock skew. */
export const TICKET_RENEW_MS = 105 * 60 * 1000;

export interface Auth {
  readonly kind: 'token' | 'ticket';
  /** Headers for one request (logs in first if there is no valid ticket). */
  headers(method: string): Promise<Record<string, string>>;
  /** The server said 401: forget the ticket. True if logging in again may help. */
  rejected(): boolean;
}

export class TokenAuth implements Auth {
  readonly kind = 'token';
  constructor(
    private readonly tokenId: string,
    private readonly secret: Secret,
  ) {
    if (!/^[^\s@!]+@[^\s@!]+![A-Za-z][\w.-]*$/.test(tokenId)) {
      throw new TypeError(`Proxmox tokenId "${tokenId}" should look like user@realm!tokenname`);
    }
    // A line break in the header would let the value inject headers; say so without showing it.
    if (!/^[\x21-\x7e]+$/.test(secret.reveal()))
      throw new TypeError(
        `the secret of Proxmox API token ${tokenId} is empty or has spaces/control characters`,
      );
  }
  async headers(): Promise<Record<string, string>> {
    return { authorization: `PVEAPIToken=${this.tokenId}=${this.secret.reveal()}` };
  }
  rejected(): boolean {
    return false;
  }
}

export interface TicketGrant {
  ticket: string;
  csrf: string;
}

/** Logs in; the transport supplies it (a POST that bypasses auth). */
export type LoginFn = (username: string, password: Secret) => Promise<TicketGrant>;

export class TicketAuth implements Auth {
  readonly kind = 'ticket';
  #ticket: Secret | undefined;
  #csrf = '';
  #obtainedAt = 0;
  #pending: Promise<void> | undefined;
  /** Logins done (for tests and -v output). */
  logins = 0;

  constructor(
    private readonly username: string,
    private readonly password: Secret,
    private readonly login: LoginFn,
    private readonly clock: () => number,
  ) {
    TicketAuth.checkUsername(username);
  }

  static checkUsername(username: string): void {
    if (!/^[^\s@]+@[^\s@]+$/.test(username))
      throw new TypeError(`Proxmox username "${username}" should look like user@realm (e.g. root@pam)`);
  }

  async headers(method: string): Promise<Record<string, string>> {
    if (!this.#ticket || this.clock() - this.#obtainedAt >= TICKET_RENEW_MS) await this.#refresh();
    const headers: Record<string, string> = { cookie: `PVEAuthCookie=${this.#ticket!.reveal()}` };
    if (method !== 'GET') headers['csrfpreventiontoken'] = this.#csrf;
    return headers;
  }

  rejected(): boolean {
    this.#ticket = undefined;
    return true;
  }

  /** One login at a time: concurrent requests wait for the same one. */
  #refresh(): Promise<void> {
    this.#pending ??= (async () => {
      try {
        const grant = await this.login(this.username, this.password);
        this.#ticket = new Secret(grant.ticket);
        this.#csrf = grant.csrf;
        this.#obtainedAt = this.clock();
        this.logins++;
      } finally {
        this.#pending = undefined;
      }
    })();
    return this.#pending;
  }
}
