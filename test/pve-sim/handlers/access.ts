/** /access/ticket (login, renewal) and /version. pve-manager API2/AccessControl.pm, API2.pm. */
import type { Auth } from '../http/auth.js';
import type { Router } from '../router.js';
import { str } from './common.js';

export function registerAccess(router: Router, auth: Auth): void {
  router.add('POST', '/access/ticket', (ctx) => {
    const res = auth.login(str(ctx, 'username')!, str(ctx, 'password')!, str(ctx, 'realm'));
    return { ...res, cap: {} };
  });
  router.add('GET', '/access/ticket', () => null);
  router.add('GET', '/version', () => ({
    version: '9.1.3',
    release: '9.1',
    repoid: 'ec9a5f0b',
    console: 'html5',
  }));
}
