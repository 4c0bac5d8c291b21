/** Unit tests for the small Python-compatible parsers: ranges, shlex, literal_eval, printing. */
import { describe, expect, it } from 'vitest';
import { expandHostPattern, expandHostnameRange, parseAddress } from '../../lib/inventory/ranges.js';
import { shlexSplit } from '../../lib/inventory/shlex.js';
import { PY_SET, PY_TUPLE, iniValue, pyLiteralEval } from '../../lib/inventory/python-literal.js';
import { pyRepr, pyStr, pythonJson } from '../../lib/inventory/python-format.js';
import { pyKindAt } from '../../lib/inventory/python-types.js';
import { UnsafeText, VaultedValue } from '../../lib/inventory/index.js';

describe('host ranges (expand_hostname_range)', () => {
  it('numeric, zero-padded, stepped, alphabetic', () => {
    expect(expandHostnameRange('web[1:3]')).toEqual(['web1', 'web2', 'web3']);
    expect(expandHostnameRange('dev[01:04]')).toEqual(['dev01', 'dev02', 'dev03', 'dev04']);
    expect(expandHostnameRange('n[01:10:3]')).toEqual(['n01', 'n04', 'n07', 'n10']);
    expect(expandHostnameRange('teach-[a:c]')).toEqual(['teach-a', 'teach-b', 'teach-c']);
  });
  it('alphabetic ranges run over ascii_letters (z wraps to A)', () => {
    expect(expandHostnameRange('x[y:B]')).toEqual(['xy', 'xz', 'xA', 'xB']);
  });
  it('several ranges multiply; an empty begin is 0', () => {
    expect(expandHostnameRange('r[1:2]-[a:b]')).toEqual(['r1-a', 'r1-b', 'r2-a', 'r2-b']);
    expect(expandHostnameRange('s[:2]')).toEqual(['s0', 's1', 's2']);
  });
  it('refuses malformed ranges', () => {
    expect(() => expandHostnameRange('a[01:5]')).toThrow(/equal-length/);
    expect(() => expandHostnameRange('a[1:2:3:4]')).toThrow(/begin:end/);
    expect(() => expandHostnameRange('a[1:]')).toThrow(/end value/);
    expect(() => expandHostnameRange('a[c:a]')).toThrow(/begin <= end/);
    expect(() => expandHostnameRange('a[1:3:0]')).toThrow();
  });
});

describe('host:port (parse_address)', () => {
  it('splits ports off names, IPv4 and bracketed IPv6', () => {
    expect(parseAddress('web1:2222')).toEqual({ host: 'web1', port: 2222 });
    expect(parseAddress('192.0.2.1:22')).toEqual({ host: '192.0.2.1', port: 22 });
    expect(parseAddress('[2001:db8::1]:2201')).toEqual({ host: '2001:db8::1', port: 2201 });
    expect(parseAddress('2001:db8::2')).toEqual({ host: '2001:db8::2', port: undefined });
    expect(parseAddress('db[1:2]:2222')).toEqual({ host: 'db[1:2]', port: 2222 });
  });
  it('keeps names it cannot parse whole, without a port', () => {
    expect(parseAddress('user@host:22')).toBeUndefined();
    expect(expandHostPattern('user@host:22')).toEqual({ hosts: ['user@host:22'], port: undefined });
    expect(expandHostPattern('db[1:2]:2222')).toEqual({ hosts: ['db1', 'db2'], port: 2222 });
  });
});

describe('shlex.split(comments=True)', () => {
  it('splits like a POSIX shell', () => {
    expect(shlexSplit('h1 a=1 b="two words" c=\'x y\'')).toEqual(['h1', 'a=1', 'b=two words', 'c=x y']);
    expect(shlexSplit('h1 a=b#comment c=d')).toEqual(['h1', 'a=b']);
    expect(shlexSplit('h1 a="x#y"')).toEqual(['h1', 'a=x#y']);
    expect(shlexSplit('h1 e= f=""')).toEqual(['h1', 'e=', 'f=']);
    expect(shlexSplit('h1 p="a\\"b" q=a\\ b r="a\\nb"')).toEqual(['h1', 'p=a"b', 'q=a b', 'r=a\\nb']);
  });
  it('refuses an unclosed quote', () => {
    expect(() => shlexSplit('h1 a="open')).toThrow(/No closing quotation/);
  });
});

describe('ast.literal_eval (INI values)', () => {
  const ok = (t: string) => {
    const r = pyLiteralEval(t);
    if (!r.ok) throw new Error(`not a literal: ${t}`);
    return r.value;
  };
  it('numbers', () => {
    expect(ok('42')).toBe(42);
    expect(ok('-7')).toBe(-7);
    expect(ok('1_000')).toBe(1000);
    expect(ok('0x1F')).toBe(31);
    expect(ok('0o17')).toBe(15);
    expect(ok('0b101')).toBe(5);
    expect(ok('1.5')).toBe(1.5);
    expect(ok('1e3')).toBe(1000);
    expect(ok('.5')).toBe(0.5);
  });
  it('strings, booleans, None, containers', () => {
    expect(ok("'abc'")).toBe('abc');
    expect(ok('"a" \'b\'')).toBe('ab');
    expect(ok("r'a\\n'")).toBe('a\\n');
    expect(ok("'tab\\there'")).toBe('tab\there');
    expect(ok("b'bytes'")).toBe('bytes');
    expect(ok('True')).toBe(true);
    expect(ok('None')).toBeNull();
    expect(ok("[1, 'a', [2]]")).toEqual([1, 'a', [2]]);
    expect(ok("{'a': 1, 2: 'b'}")).toEqual({ a: 1, '2': 'b' });
    expect(ok('True # comment')).toBe(true);
  });
  it('tuples and sets are arrays marked for printing', () => {
    const t = ok('1, 2') as unknown[];
    expect(t).toEqual([1, 2]);
    expect((t as unknown as Record<symbol, boolean>)[PY_TUPLE]).toBe(true);
    expect(pyRepr(t)).toBe('(1, 2)');
    expect(pyRepr(ok('(1,)'))).toBe('(1,)');
    const s = ok('{3, 1, 3}') as unknown[];
    expect((s as unknown as Record<symbol, boolean>)[PY_SET]).toBe(true);
    expect(pyRepr(ok('set()'))).toBe('set()');
  });
  it('anything else stays the raw text', () => {
    for (const t of ['hello', '0755', '1+2', 'len("x")', 'yes', '', 'a=b', '1j', "f'x'", '--1', '[1,', '...'])
      expect(iniValue(t).value).toBe(t);
  });
  it('remembers Python floats with integral values', () => {
    const r = iniValue('2.0');
    expect(r).toEqual({ value: 2, float: true });
    const list = ok('[1.0, 2]') as unknown[];
    expect(pyKindAt(list, 0)).toBe('float');
    expect(pyKindAt(list, 1)).toBeUndefined();
    expect(pyRepr(list)).toBe('[1.0, 2]');
  });
});

describe('printing like Python', () => {
  it('str() and repr()', () => {
    expect(pyStr('plain')).toBe('plain');
    expect(pyStr(null)).toBe('None');
    expect(pyStr([true, "it's", 'q"uote', 1.5])).toBe(`[True, "it's", 'q"uote', 1.5]`);
    expect(pyStr({ a: { b: [] } })).toBe("{'a': {'b': []}}");
    expect(pyStr(0.00001)).toBe('1e-05');
    expect(pyStr(new UnsafeText('{{ x }}'))).toBe('{{ x }}');
    expect(pyRepr('caf\u00e9\n\u00a0')).toBe("'café\\n\\xa0'");
  });
  it('json.dumps(sort_keys=True, indent=4)', () => {
    expect(pythonJson({ b: 1, a: [], '10': {}, '9': [1, 'x'] })).toBe(
      '{\n    "10": {},\n    "9": [\n        1,\n        "x"\n    ],\n    "a": [],\n    "b": 1\n}',
    );
    expect(pythonJson({ v: new VaultedValue('$ANSIBLE_VAULT;1.1;AES256\nab\n') })).toBe(
      '{\n    "v": {\n        "__ansible_vault": "$ANSIBLE_VAULT;1.1;AES256\\nab\\n"\n    }\n}',
    );
  });
});
