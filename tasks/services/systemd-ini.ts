/**
 * systemd's INI dialect for drop-ins written from data: `{ Service: { Restart: 'always',
 * ExecStart: ['', '/usr/bin/app --flag'] } }`. An array repeats the key, and an empty string
 * resets a list setting (`ExecStart=` before a new `ExecStart=` is how a drop-in replaces the
 * command rather than adding a second one).
 */
import { Type } from '../../lib/vendor/typebox.js';
import type { Static } from '@sinclair/typebox';

const UnitValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);
export type UnitValue = Static<typeof UnitValue>;

/** Sections of settings; names and one-line values are checked by renderUnitSettings. */
export const UnitSettings = Type.Record(
  Type.String(),
  Type.Record(Type.String(), Type.Union([UnitValue, Type.Array(UnitValue)]), {
    expected: 'must be an object of settings (Name: value or [values])',
  }),
  { expected: 'must be an object of sections, like { Service: { Restart: "always" } }' },
);
export type UnitSettings = Static<typeof UnitSettings>;

const SECTION = /^[A-Z][A-Za-z0-9-]*$/;
const KEY = /^[A-Z][A-Za-z0-9]*$/;

/** The drop-in text; throws a TypeError (prefixed with `primitive`) for names or values systemd would misread. */
export function renderUnitSettings(primitive: string, settings: UnitSettings): string {
  const out: string[] = [];
  for (const [section, keys] of Object.entries(settings)) {
    if (!SECTION.test(section))
      throw new TypeError(
        `${primitive}: section must be a name like "Service", got ${JSON.stringify(section)}`,
      );
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

function formatValue(primitive: string, key: string, v: UnitValue): string {
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'number') return String(v);
  if (/[\r\n]/.test(v))
    throw new TypeError(
      `${primitive}: ${key} must be one line (systemd would read the rest as other settings), got ${JSON.stringify(v)}`,
    );
  return v;
}
