/**
 * systemd's INI dialect for drop-ins written from data: `{ Service: { Restart: 'always',
 * ExecStart: ['', '/usr/bin/app --flag'] } }`. An array repeats the key, and an empty string
 * resets a list setting (`ExecStart=` before a new `ExecStart=` is how a drop-in replaces the
 * command rather than adding a second one).
 */

export type UnitValue = string | number | boolean;
export type UnitSettings = Record<string, Record<string, UnitValue | readonly UnitValue[]>>;

const SECTION = /^[A-Z][A-Za-z0-9-]*$/;
const KEY = /^[A-Z][A-Za-z0-9]*$/;

/** The drop-in text; throws a TypeError (prefixed with `primitive`) for names or values systemd would misread. */
export function renderUnitSettings(primitive: string, settings: UnitSettings): string {
  if (settings === null || typeof settings !== 'object' || Array.isArray(settings))
    throw new TypeError(`${primitive}: settings must be an object of sections`);
  const out: string[] = [];
  for (const [section, keys] of Object.entries(settings)) {
    if (!SECTION.test(section))
      throw new TypeError(
        `${primitive}: section must be a name like "Service", got ${JSON.stringify(section)}`,
      );
    if (keys === null || typeof keys !== 'object' || Array.isArray(keys))
      throw new TypeError(`${primitive}: section ${section} must be an object of settings`);
    out.push(`${out.length ? '\n' : ''}[${section}]`);
    for (const [key, value] of Object.entries(keys)) {
      if (!KEY.test(key))
        throw new TypeError(
          `${primitive}: setting must be a name like "ExecStart", got ${JSON.stringify(key)}`,
        );
      for (const v of Array.isArray(value) ? value : [value])
        out.push(`${key}=${formatValue(primitive, key, v)}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function formatValue(primitive: string, key: string, v: unknown): string {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string')
    throw new TypeError(`${primitive}: ${key} must be a string, number or boolean, got ${JSON.stringify(v)}`);
  if (/[\r\n]/.test(v))
    throw new TypeError(
      `${primitive}: ${key} must be one line (systemd would read the rest as other settings), got ${JSON.stringify(v)}`,
    );
  return v;
}
