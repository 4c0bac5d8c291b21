/**
 * Python's `ast.literal_eval`, as the INI inventory plugin uses it (`InventoryModule._parse_value`
 * in ansible-core 2.14 `plugins/inventory/ini.py`): host-line `k=v` values AND `[group:vars]`
 * values go through it. Whatever is not a Python literal (a SyntaxError or ValueError in Python)
 * stays the raw string, so `w=hello` is "hello", `o=0755` is "0755" (leading zeros are a
 * SyntaxError in Python 3) and `t=True` is true.
 *
 * Only the literal subset of Python's grammar is parsed; everything else is "not a literal".
 * Tuples and sets become arrays tagged with PY_TUPLE / PY_SET so `--graph --vars` can print them
 * as Python would (`(1, 2)`, `{1, 2}`); JSON sees plain arrays, as AnsibleJSONEncoder does for
 * tuples.
 *
 * Deliberate gaps (all rare in inventories; each falls back to the raw string instead of a value):
 * complex numbers (`1j`), `...` (Ellipsis), `\N{NAME}` escapes, unhashable dict keys / set members
 * (Python raises TypeError there and Ansible refuses the file). Integers beyond 2^53 lose precision.
 */

import { markItems, setWithMark } from './python-types.js';

export const PY_TUPLE: unique symbol = Symbol.for('novastation.pyTuple');
export const PY_SET: unique symbol = Symbol.for('novastation.pySet');

/** Mark an array as a Python tuple or set (non-enumerable, so JSON and equality ignore it). */
export function markPython<T extends unknown[]>(arr: T, kind: typeof PY_TUPLE | typeof PY_SET): T {
  Object.defineProperty(arr, kind, { value: true, enumerable: false });
  return arr;
}

type Tok =
  | { k: 'num'; v: number; float: boolean }
  | { k: 'str'; v: string; bytes: boolean; f: boolean }
  | { k: 'name'; v: string }
  | { k: 'op'; v: string }
  | { k: 'end' };

class NotLiteral extends Error {}
const fail = (): never => {
  throw new NotLiteral();
};

const DIGITS = '[0-9](?:_?[0-9])*';
const EXP = `[eE][+-]?${DIGITS}`;
const POINTFLOAT = `(?:(?:${DIGITS})?\\.${DIGITS}|${DIGITS}\\.)`;
const RE_RADIX = /0(?:[xX](?:_?[0-9a-fA-F])+|[oO](?:_?[0-7])+|[bB](?:_?[01])+)/y;
const RE_FLOAT = new RegExp(`(?:${POINTFLOAT}(?:${EXP})?|${DIGITS}${EXP})`, 'y');
const RE_DECIMAL = /(?:[1-9](?:_?[0-9])*|0+(?:_?0)*)/y;
const RE_DIGITPART_IMAG = new RegExp(`${DIGITS}[jJ]`, 'y');
const RE_IDENT = /[\p{L}\p{Nl}_][\p{L}\p{N}\p{Mn}\p{Mc}\p{Pc}]*/uy;
const RE_STRING_PREFIX = /(?:[rR][bBfF]?|[bBfF][rR]?|[uU])?(?=['"])/y;
const IDENT_CHAR = /[\p{L}\p{N}_]/u;

function tokenize(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let depth = 0;
  const n = src.length;
  const matchAt = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(src);
    return m ? m[0] : undefined;
  };
  while (i < n) {
    const c = src[i] as string;
    if (c === ' ' || c === '\t' || c === '\f') {
      i++;
      continue;
    }
    if (c === '\\' && (src[i + 1] === '\n' || (src[i + 1] === '\r' && src[i + 2] === '\n'))) {
      i += src[i + 1] === '\n' ? 2 : 3;
      continue;
    }
    if (c === '#') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '\n' || c === '\r') {
      // Outside brackets a newline ends the expression: only blank lines/comments may follow.
      if (depth === 0 && /\S/.test(src.slice(i).replace(/#[^\n]*/g, ''))) fail();
      i++;
      continue;
    }
    // Strings (with an optional prefix) come before names: `rb'x'` is one token.
    const prefix = matchAt(RE_STRING_PREFIX);
    if (prefix !== undefined) {
      i += prefix.length;
      toks.push(readString(prefix.toLowerCase()));
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      const start = i;
      const v = readNumber();
      toks.push({
        k: 'num',
        v,
        float: /[.eE]/.test(src.slice(start, i)) && !/^0[xX]/.test(src.slice(start, i)),
      });
      continue;
    }
    const ident = matchAt(RE_IDENT);
    if (ident !== undefined) {
      i += ident.length;
      toks.push({ k: 'name', v: ident });
      continue;
    }
    if ('([{'.includes(c)) depth++;
    if (')]}'.includes(c)) depth--;
    if ('()[]{},:+-'.includes(c)) {
      // `**` (dict unpacking), `->`, `+=` etc. are never literals; single chars are enough.
      toks.push({ k: 'op', v: c });
      i++;
      continue;
    }
    fail();
  }
  toks.push({ k: 'end' });
  return toks;

  function readNumber(): number {
    let text = matchAt(RE_RADIX);
    let value: number;
    if (text !== undefined) {
      const digits = text.slice(2).replace(/_/g, '');
      const radix = /[xX]/.test(text[1] as string) ? 16 : /[oO]/.test(text[1] as string) ? 8 : 2;
      value = parseInt(digits, radix);
    } else if ((text = matchAt(RE_FLOAT)) !== undefined) {
      value = parseFloat(text.replace(/_/g, ''));
    } else if ((text = matchAt(RE_DIGITPART_IMAG)) !== undefined) {
      return fail(); // imaginary literal: complex numbers are not supported
    } else if ((text = matchAt(RE_DECIMAL)) !== undefined) {
      value = parseInt(text.replace(/_/g, ''), 10);
    } else {
      return fail();
    }
    i += text.length;
    const next = src[i] ?? '';
    // `1j` (complex), `0755` (leading zeros), `1abc`: all not literals we accept.
    if (next === 'j' || next === 'J' || IDENT_CHAR.test(next) || next === '.') fail();
    return value;
  }

  function readString(prefix: string): Tok {
    const raw = prefix.includes('r');
    const bytes = prefix.includes('b');
    const f = prefix.includes('f');
    const q = src[i] as string;
    const triple = src.startsWith(q.repeat(3), i);
    const close = triple ? q.repeat(3) : q;
    i += close.length;
    let out = '';
    for (;;) {
      if (i >= n) fail();
      if (src.startsWith(close, i)) {
        i += close.length;
        break;
      }
      const ch = src[i] as string;
      if (!triple && (ch === '\n' || ch === '\r')) fail();
      if (bytes && ch.charCodeAt(0) > 0x7f) fail();
      if (ch !== '\\') {
        out += ch;
        i++;
        continue;
      }
      const nx = src[i + 1];
      if (nx === undefined) fail();
      if (raw) {
        // In raw strings a backslash still protects the next char from ending the string.
        out += ch + nx;
        i += 2;
        continue;
      }
      i += 2;
      switch (nx) {
        case '\n':
          break;
        case '\\':
          out += '\\';
          break;
        case "'":
          out += "'";
          break;
        case '"':
          out += '"';
          break;
        case 'a':
          out += '\x07';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'v':
          out += '\v';
          break;
        case 'x': {
          const hex = src.slice(i, i + 2);
          if (!/^[0-9a-fA-F]{2}$/.test(hex)) fail();
          out += String.fromCharCode(parseInt(hex, 16));
          i += 2;
          break;
        }
        case 'u':
        case 'U': {
          if (bytes) {
            out += '\\' + nx;
            break;
          }
          const len = nx === 'u' ? 4 : 8;
          const hex = src.slice(i, i + len);
          if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex)) fail();
          const cp = parseInt(hex, 16);
          if (cp > 0x10ffff) fail();
          out += String.fromCodePoint(cp);
          i += len;
          break;
        }
        case 'N':
          if (bytes) {
            out += '\\N';
            break;
          }
          return fail(); // named escapes need Unicode's name table: not supported
        default: {
          const oct = /^[0-7]{1,3}/.exec(src.slice(i - 1, i + 2));
          if (oct) {
            out += String.fromCharCode(parseInt(oct[0], 8));
            i += oct[0].length - 1;
          } else {
            out += '\\' + nx; // unknown escapes keep the backslash, as Python does
          }
        }
      }
    }
    return { k: 'str', v: out, bytes, f };
  }
}

type Node =
  | { t: 'const'; v: unknown; num?: boolean; float?: boolean }
  | { t: 'tuple' | 'list' | 'set'; items: Node[] }
  | { t: 'dict'; keys: Node[]; values: Node[] }
  | { t: 'emptyset' }
  | { t: 'unary'; op: string; operand: Node }
  | { t: 'binop' };

function parse(toks: Tok[]): Node {
  let p = 0;
  const peek = (): Tok => toks[p] as Tok;
  const isOp = (v: string): boolean => {
    const t = peek();
    return t.k === 'op' && t.v === v;
  };
  const expectOp = (v: string): void => {
    if (!isOp(v)) fail();
    p++;
  };

  const atom = (): Node => {
    const t = peek();
    p++;
    switch (t.k) {
      case 'num':
        return { t: 'const', v: t.v, num: true, float: t.float };
      case 'str': {
        let s = t.v;
        const bytes = t.bytes;
        let f = t.f;
        while (peek().k === 'str') {
          const nt = peek() as Extract<Tok, { k: 'str' }>;
          if (nt.bytes !== bytes) fail(); // cannot mix bytes and str literals
          f ||= nt.f;
          s += nt.v;
          p++;
        }
        if (f) fail(); // f-strings are JoinedStr nodes, not literals
        // Ansible's to_text() turns a bytes literal into text.
        void bytes;
        return { t: 'const', v: s };
      }
      case 'name':
        if (t.v === 'True') return { t: 'const', v: true };
        if (t.v === 'False') return { t: 'const', v: false };
        if (t.v === 'None') return { t: 'const', v: null };
        if (t.v === 'set' && isOp('(')) {
          p++;
          expectOp(')');
          return { t: 'emptyset' };
        }
        return fail();
      case 'op':
        if (t.v === '(') {
          if (isOp(')')) {
            p++;
            return { t: 'tuple', items: [] };
          }
          const first = expr();
          if (isOp(')')) {
            p++;
            return first;
          }
          const items = [first];
          while (isOp(',')) {
            p++;
            if (isOp(')')) break;
            items.push(expr());
          }
          expectOp(')');
          return { t: 'tuple', items };
        }
        if (t.v === '[') return { t: 'list', items: sequence(']') };
        if (t.v === '{') {
          if (isOp('}')) {
            p++;
            return { t: 'dict', keys: [], values: [] };
          }
          const first = expr();
          if (isOp(':')) {
            p++;
            const keys = [first];
            const values = [expr()];
            while (isOp(',')) {
              p++;
              if (isOp('}')) break;
              keys.push(expr());
              expectOp(':');
              values.push(expr());
            }
            expectOp('}');
            return { t: 'dict', keys, values };
          }
          const items = [first];
          while (isOp(',')) {
            p++;
            if (isOp('}')) break;
            items.push(expr());
          }
          expectOp('}');
          return { t: 'set', items };
        }
        return fail();
      default:
        return fail();
    }
  };

  const sequence = (closer: string): Node[] => {
    const items: Node[] = [];
    while (!isOp(closer)) {
      items.push(expr());
      if (isOp(',')) p++;
      else break;
    }
    expectOp(closer);
    return items;
  };

  const unary = (): Node => {
    if (isOp('+') || isOp('-')) {
      const op = (peek() as { v: string }).v;
      p++;
      return { t: 'unary', op, operand: unary() };
    }
    return atom();
  };

  const expr = (): Node => {
    let left = unary();
    while (isOp('+') || isOp('-')) {
      p++;
      unary();
      left = { t: 'binop' };
    }
    return left;
  };

  if (peek().k === 'end') fail();
  const first = expr();
  let result: Node = first;
  if (isOp(',')) {
    const items = [first];
    while (isOp(',')) {
      p++;
      if (peek().k === 'end') break;
      items.push(expr());
    }
    result = { t: 'tuple', items };
  }
  if (peek().k !== 'end') fail();
  return result;
}

function pyKey(v: unknown): string {
  // Python dict keys may be numbers, booleans or None; JSON (and so we) spell them as strings.
  if (v === null) return 'null';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return fail(); // tuples etc. as keys: not representable
}

/** Is this node a Python float (so `2.0` can print as Python prints it)? */
function isFloatNode(node: Node): boolean {
  if (node.t === 'const') return node.float === true;
  return node.t === 'unary' && node.operand.t === 'const' && node.operand.float === true;
}

function convert(node: Node): unknown {
  switch (node.t) {
    case 'const':
      return node.v;
    case 'tuple':
      return markPython(convertItems(node.items), PY_TUPLE);
    case 'list':
      return convertItems(node.items);
    case 'set':
    case 'emptyset': {
      const items = node.t === 'set' ? node.items.map(convert) : [];
      const seen = new Set<unknown>();
      const unique: unknown[] = [];
      for (const it of items) {
        if (typeof it === 'object' && it !== null) fail(); // unhashable member
        if (!seen.has(it)) {
          seen.add(it);
          unique.push(it);
        }
      }
      return markPython(unique, PY_SET);
    }
    case 'dict': {
      const out: Record<string, unknown> = {};
      node.keys.forEach((k, idx) => {
        const vNode = node.values[idx] as Node;
        setWithMark(out, pyKey(convert(k)), convert(vNode), isFloatNode(vNode) ? 'float' : undefined);
      });
      return out;
    }
    case 'unary': {
      const o = node.operand;
      if (o.t !== 'const' || !o.num) fail();
      const v = (o as { v: number }).v;
      return node.op === '-' ? -v : +v;
    }
    case 'binop':
      return fail(); // only number + complex is a literal, and complex is not supported
  }
}

function convertItems(items: Node[]): unknown[] {
  const out = items.map(convert);
  markItems(
    out,
    items.map((n) => (isFloatNode(n) ? 'float' : undefined)),
  );
  return out;
}

export type LiteralResult = { ok: true; value: unknown; float: boolean } | { ok: false };

/** `ast.literal_eval(text)`; `{ok: false}` where Python raises ValueError/SyntaxError. */
export function pyLiteralEval(text: string): LiteralResult {
  try {
    const src = text.replace(/^[ \t]+/, '');
    if (src.includes('\0')) return { ok: false };
    const node = parse(tokenize(src));
    return { ok: true, value: convert(node), float: isFloatNode(node) };
  } catch (e) {
    if (e instanceof NotLiteral) return { ok: false };
    throw e;
  }
}

/** The INI plugin's `_parse_value`: the literal's value, or the text unchanged. */
export function iniValue(text: string): { value: unknown; float: boolean } {
  const r = pyLiteralEval(text);
  return r.ok ? { value: r.value, float: r.float } : { value: text, float: false };
}
