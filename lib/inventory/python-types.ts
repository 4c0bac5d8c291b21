/**
 * Python types JS values cannot tell apart, remembered beside the values: a float with an
 * integral value (`2.0` is not `2` in Python), and YAML dates/timestamps (PyYAML makes
 * datetime.date / datetime.datetime objects; we keep their isoformat() text, which is what
 * `ansible-inventory --list` prints). Ansible prints them differently in `--graph --vars`
 * (`2.0`, `2001-12-14 21:59:43`), so the loaders mark which entries of which objects/arrays hold
 * such values. The values the engine sees stay plain numbers and strings; the marks live in a
 * WeakMap keyed by the containers.
 */
export type PyKind = 'float' | 'date' | 'datetime';

const marks = new WeakMap<object, Map<string | number, PyKind>>();

export function markPy(container: object, key: string | number, kind: PyKind): void {
  let m = marks.get(container);
  if (!m) marks.set(container, (m = new Map()));
  m.set(key, kind);
}

export function pyKindAt(container: object, key: string | number): PyKind | undefined {
  return marks.get(container)?.get(key);
}

/** `to[key] = value`, with its Python kind marked (a float mark only matters for integral values). */
export function setWithMark(
  to: Record<string, unknown>,
  key: string,
  value: unknown,
  kind: PyKind | undefined,
): void {
  to[key] = value;
  const keep = kind === 'float' ? typeof value === 'number' && Number.isInteger(value) : kind !== undefined;
  if (keep) markPy(to, key, kind as PyKind);
  else marks.get(to)?.delete(key);
}

/** Mark array items. */
export function markItems(items: unknown[], kinds: (PyKind | undefined)[]): void {
  kinds.forEach((k, i) => {
    if (k === 'float' ? Number.isInteger(items[i]) : k !== undefined) markPy(items, i, k as PyKind);
  });
}
