/**
 * Small pieces `systemd` and `systemdDropin` share: unit name checks and several systemctl verbs
 * in one round trip.
 */
import type { Host } from '../../lib/host/host.js';

const SUFFIXES = [
  'service',
  'socket',
  'target',
  'timer',
  'path',
  'mount',
  'automount',
  'swap',
  'slice',
  'scope',
  'device',
];
const UNIT = /^[A-Za-z0-9:_.\\@-]+$/;

/**
 * The full unit name (`nginx` → `nginx.service`), or a TypeError naming the primitive. Template
 * names (`getty@.service`) are refused: only instances can be started or enabled.
 */
export function unitName(primitive: string, unit: unknown): string {
  if (typeof unit !== 'string' || !UNIT.test(unit) || unit.startsWith('-') || unit.startsWith('.')) {
    throw new TypeError(
      `${primitive}: unit must be a unit name like "nginx" or "nginx.service", got ${JSON.stringify(unit)}`,
    );
  }
  const dot = unit.lastIndexOf('.');
  const full = dot > 0 && SUFFIXES.includes(unit.slice(dot + 1)) ? unit : `${unit}.service`;
  if (/@\.[a-z]+$/.test(full))
    throw new TypeError(
      `${primitive}: unit ${JSON.stringify(unit)} is a template; name an instance like "getty@tty1.service"`,
    );
  return full;
}

/**
 * `systemctl A unit && systemctl B unit …` in one round trip. Each step is an argv array, quoted
 * word by word by the host's command runner like any interpolation; only ` && systemctl ` is
 * literal text.
 */
export async function systemctlSteps(host: Host, steps: readonly (readonly string[])[]): Promise<void> {
  if (steps.length === 0) return;
  const parts = ['systemctl ', ...steps.slice(1).map(() => ' && systemctl '), ''];
  const strings = Object.assign([...parts], { raw: [...parts] }) as unknown as TemplateStringsArray;
  await host.$(strings, ...steps);
}
