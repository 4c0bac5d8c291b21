/**
 * How NovaStation knows what it created: an attribute `novastation` on every object it creates
 * (`user`, `user-group`, `group:dev`/`group:gpu` for connection groups, `vm:<inventory name>` for
 * connections). The JDBC backend stores attributes it has no column for in its `*_attribute`
 * tables and returns them; a PUT that leaves one out keeps it. Objects without the marker are
 * never changed or deleted — a same-named one is reported instead. The mark survives renames and
 * moves made by hand, so those are corrected rather than duplicated.
 *
 * `novastation-password` holds an HMAC-SHA256 (key: a vault secret) of the user's password: the
 * API never returns passwords, so this is how a rerun knows whether the password still matches
 * the inventory without sending it again. Without the key it reveals nothing.
 */
import { createHmac } from 'node:crypto';
import type { Secret } from '../../secret.js';
import type { Attributes } from '../api.js';

export const MARK = 'novastation';
export const PASSWORD_MARK = 'novastation-password';

export const userMark = 'user';
export const userGroupMark = 'user-group';
export const groupMark = (kind: string): string => `group:${kind}`;
export const connectionMark = (vm: string): string => `vm:${vm}`;

export function markOf(attributes: Attributes | undefined): string | undefined {
  const v = attributes?.[MARK];
  return typeof v === 'string' && v ? v : undefined;
}

export function passwordDigest(key: Secret, login: string, password: Secret): string {
  return createHmac('sha256', key.reveal()).update(`${login}\0${password.reveal()}`).digest('base64url');
}
