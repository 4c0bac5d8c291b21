/**
 * Python's `shlex.split(line, comments=True)` (posix mode), which the INI plugin uses to cut a host
 * line into `host k=v k="v w"` tokens (`_parse_host_definition`). Ported from CPython 3.11
 * `shlex.read_token` with `whitespace_split=True`: quotes are removed, `\` escapes outside quotes
 * and only `"`/`\` inside double quotes, and `#` starts a comment even in the middle of a word.
 */

const WHITESPACE = ' \t\r\n';
const QUOTES = `'"`;

export class ShlexError extends Error {}

export function shlexSplit(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  let state: string | null = ' ';
  for (;;) {
    let token = '';
    let quoted = false;
    let escapedState = ' ';
    for (;;) {
      const ch = i < s.length ? (s[i] as string) : '';
      i++;
      if (state === null) break;
      if (state === ' ') {
        if (!ch) {
          state = null;
          break;
        } else if (WHITESPACE.includes(ch)) {
          if (token || quoted) break;
        } else if (ch === '#') {
          i = skipLine(s, i);
        } else if (ch === '\\') {
          escapedState = 'a';
          state = ch;
        } else if (QUOTES.includes(ch)) {
          state = ch;
        } else {
          token = ch;
          state = 'a';
        }
      } else if (QUOTES.includes(state)) {
        quoted = true;
        if (!ch) throw new ShlexError('No closing quotation');
        if (ch === state) {
          state = 'a';
        } else if (ch === '\\' && state === '"') {
          escapedState = state;
          state = ch;
        } else {
          token += ch;
        }
      } else if (state === '\\') {
        if (!ch) throw new ShlexError('No escaped character');
        // Inside double quotes only the quote itself or the backslash may be escaped.
        if (QUOTES.includes(escapedState) && ch !== state && ch !== escapedState) token += state;
        token += ch;
        state = escapedState;
      } else if (state === 'a') {
        if (!ch) {
          state = null;
          break;
        } else if (WHITESPACE.includes(ch)) {
          state = ' ';
          if (token || quoted) break;
        } else if (ch === '#') {
          i = skipLine(s, i);
          state = ' ';
          if (token || quoted) break;
        } else if (QUOTES.includes(ch)) {
          state = ch;
        } else if (ch === '\\') {
          escapedState = 'a';
          state = ch;
        } else {
          token += ch;
        }
      }
    }
    if (!quoted && token === '') {
      if (state === null) return out;
      continue;
    }
    out.push(token);
    if (state === null) return out;
  }
}

function skipLine(s: string, i: number): number {
  const nl = s.indexOf('\n', i);
  return nl < 0 ? s.length : nl + 1;
}
