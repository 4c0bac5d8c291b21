/**
 * Auth tokens (rest/auth/AuthenticationService, TokenRESTService, HashTokenSessionMap): a token is
 * 32 random bytes as 64 upper-case hex digits; a session lives until it is logged out or has been
 * idle longer than `api-session-timeout` (default 60 minutes; every request that uses it counts as
 * activity). The clock is the simulator's, so tests can move it forward.
 */
import { randomBytes } from 'node:crypto';
import type { GuacSimState, SimUser } from './state.js';

interface Session {
  username: string;
  lastAccess: number;
  loginRecord: number;
}

export class Sessions {
  readonly #sessions = new Map<string, Session>();

  constructor(
    private readonly state: GuacSimState,
    private readonly now: () => number,
    readonly timeoutMs: number,
  ) {}

  create(user: SimUser, loginRecord: number): string {
    const token = randomBytes(32).toString('hex').toUpperCase();
    this.#sessions.set(token, { username: user.username, lastAccess: this.now(), loginRecord });
    return token;
  }

  /** The session's user, its idle time reset; undefined if the token is unknown or expired. */
  touch(token: string): SimUser | undefined {
    const session = this.#sessions.get(token);
    if (!session) return undefined;
    const user = this.state.users.get(session.username);
    if (this.now() - session.lastAccess > this.timeoutMs || !user || user.disabled) {
      this.end(token);
      return undefined;
    }
    session.lastAccess = this.now();
    user.lastActive = this.now();
    return user;
  }

  end(token: string): boolean {
    const session = this.#sessions.get(token);
    if (!session) return false;
    this.#sessions.delete(token);
    const record = this.state.loginHistory.find((r) => r.id === session.loginRecord);
    if (record && record.endDate === null) record.endDate = this.now();
    return true;
  }

  /** Ends every session of a user (deleted users lose their sessions). */
  endAllOf(username: string): void {
    for (const [token, s] of this.#sessions) if (s.username === username) this.end(token);
  }

  get active(): number {
    return this.#sessions.size;
  }
}
