/**
 * `POST /api/tokens` (form: username, password) and `DELETE /api/tokens/{token}`
 * (rest/auth/TokenRESTService). A wrong password, an unknown user and a disabled user all get the
 * same 403 "Invalid login." (the JDBC backend treats a disabled account as absent). Each login is a
 * record in the login history (guacamole_user_history).
 */
import { invalidLogin, notFound } from '../errors.js';
import { route, type Route } from '../server.js';

export const DATA_SOURCES = ['postgresql', 'postgresql-shared'];

export function tokenRoutes(now: () => number): Route[] {
  return [
    route(
      'POST',
      '/api/tokens',
      ({ state, sessions, body, token, remoteHost }) => {
        const form = (body ?? {}) as Record<string, string>;
        // An existing valid token given again is the same session (re-authentication keeps it).
        const existing = token ? sessions.touch(token) : undefined;
        if (existing && !form.username) return { status: 200, json: grant(token!, existing.username) };
        const user = state.users.get(form.username ?? '');
        if (!user || user.disabled || user.password === null || user.password !== form.password)
          throw invalidLogin();
        const id = state.nextId.history++;
        state.loginHistory.push({
          id,
          username: user.username,
          remoteHost,
          startDate: now(),
          endDate: null,
        });
        user.lastActive = now();
        return { status: 200, json: grant(sessions.create(user, id), user.username) };
      },
      false,
    ),
    route(
      'DELETE',
      '/api/tokens/:token',
      ({ sessions, params }) => {
        if (!sessions.end(params.token!)) throw notFound(params.token!);
        return { status: 204 };
      },
      false,
    ),
    // Public: what the login page loads first; the health check used by deployers.
    route('GET', '/api/languages', () => ({ status: 200, json: { en: 'English' } }), false),
  ];
}

function grant(token: string, username: string) {
  return { authToken: token, username, dataSource: DATA_SOURCES[0], availableDataSources: DATA_SOURCES };
}
