/**
 * authorized_keys lines (sshd(8) AUTHORIZED_KEYS FILE FORMAT): `[options] type base64 [comment]`.
 * Parsing and editing are pure, so `authorized_key` computes the new file on the controller from
 * the content it read (one read + one write round trip) and the rules are unit-tested.
 *
 * A key is identified by its type and base64 blob; its options and comment are attributes of the
 * line. Lines that are not keys (comments, blank lines, lines we cannot parse) are kept as they
 * are, except with `exclusive`, where the file becomes exactly the given keys.
 */

export interface KeyLine {
  /** `no-pty,from="10.0.0.0/8"`; undefined when the line has none. */
  options?: string;
  type: string;
  blob: string;
  comment?: string;
}

/** Key types sshd accepts (plain, security-key and certificate forms). */
const KEY_TYPE =
  /^(ssh-(rsa|dss|ed25519)|ecdsa-sha2-nistp(256|384|521)|sk-(ecdsa-sha2-nistp256|ssh-ed25519)@openssh\.com)(-cert-v01@openssh\.com)?$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Splits off the first word, where double-quoted parts (options' values) may hold spaces. */
function firstWord(text: string): [string, string] {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && quoted) i++;
    else if (ch === '"') quoted = !quoted;
    else if (!quoted && (ch === ' ' || ch === '\t'))
      return [text.slice(0, i), text.slice(i).replace(/^[ \t]+/, '')];
  }
  return [text, ''];
}

/** A key line, or null for a comment, a blank line or text that is not a key. */
export function parseKeyLine(line: string): KeyLine | null {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return null;
  let [first, rest] = firstWord(text);
  let options: string | undefined;
  if (!KEY_TYPE.test(first)) {
    options = first;
    [first, rest] = firstWord(rest);
    if (!KEY_TYPE.test(first)) return null;
  }
  const [blob, comment] = firstWord(rest);
  if (!BASE64.test(blob)) return null;
  return {
    ...(options !== undefined ? { options } : {}),
    type: first,
    blob,
    ...(comment ? { comment } : {}),
  };
}

export function formatKeyLine(k: KeyLine): string {
  return [k.options, k.type, k.blob, k.comment].filter((p) => p !== undefined && p !== '').join(' ');
}

const sameKey = (a: KeyLine, b: KeyLine) => a.type === b.type && a.blob === b.blob;

export interface KeyEdit {
  keys: KeyLine[];
  state: 'present' | 'absent';
  exclusive: boolean;
}

/**
 * The new file content for the wanted keys; null leaves an absent file absent.
 * - present: each key's line is replaced in place when its options or comment differ (a wanted
 *   key without a comment keeps the line's comment), or appended when missing;
 * - exclusive: exactly the wanted keys, in the given order;
 * - absent: the lines of these keys are removed.
 */
export function editAuthorizedKeys(current: string | null, edit: KeyEdit): string | null {
  if (edit.state === 'present' && edit.exclusive)
    return edit.keys.map((k) => `${formatKeyLine(k)}\n`).join('');
  if (current === null && edit.state === 'absent') return null;
  const lines = (current ?? '').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  // Unchanged lines are kept byte for byte, and a file needing no edit is returned as it was.
  const join = (ls: string[]) => ls.map((l) => `${l}\n`).join('');
  if (edit.state === 'absent') {
    const kept = lines.filter((l) => {
      const k = parseKeyLine(l);
      return !(k && edit.keys.some((w) => sameKey(w, k)));
    });
    return kept.length === lines.length ? current : join(kept);
  }
  let edited = false;
  for (const want of edit.keys) {
    const at = lines.findIndex((l) => {
      const k = parseKeyLine(l);
      return k !== null && sameKey(k, want);
    });
    if (at === -1) {
      lines.push(formatKeyLine(want));
      edited = true;
      continue;
    }
    const have = parseKeyLine(lines[at] ?? '');
    const line = formatKeyLine({
      ...want,
      ...(want.comment === undefined && have?.comment ? { comment: have.comment } : {}),
    });
    if (have && formatKeyLine(have) !== line) {
      lines[at] = line;
      edited = true;
    }
  }
  return edited || current === null ? join(lines) : current;
}
