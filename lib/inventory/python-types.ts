/**
 * Python tells `2` (int) from `2.0` (float); JS numbers do not. Ansible prints a float with an
 * integral value as `2.0` (in `--list` JSON and in `--graph --vars`), so the loaders remember which
 * entries of which objects/arrays hold such floats, without changing the values the engine sees:
 * the marks live in a WeakMap beside the containers.
 */
const marks = new WeakMap<object, Set<string | number>>();

export function markFloat(container: object, key: string | number): void {
  let set = marks.get(container);
  if (!set) marks.set(container, (set = new Set()));
  set.add(key);
}

export function unmarkFloat(container: object, key: string | number): void {
  marks.get(container)?.delete(key);
}

export function isFloat(container: object, key: string | number): boolean {
  return marks.get(container)?.has(key) ?? false;
}

/** `to[key] = value`, marking it as a float (when integral and `float`) or clearing an old mark. */
export function setWithMark(to: Record<string, unknown>, key: string, value: unknown, float: boolean): void {
  to[key] = value;
  if (float && typeof value === 'number' && Number.isInteger(value)) markFloat(to, key);
  else unmarkFloat(to, key);
}
