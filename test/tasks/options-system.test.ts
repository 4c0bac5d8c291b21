/**
 * The packages, services and system primitives refuse an unknown option from their TypeBox
 * declaration (issue 11), naming the primitive, the option and the nearest known one, before
 * the host is touched: the host handle here is null, so any use of it would fail differently.
 */
import { describe, expect, it } from 'vitest';
import { OptionError } from '../../tasks/options.js';
import {
  apt,
  aptRepository,
  command,
  kernelModules,
  reboot,
  sysctl,
  systemdDropin,
  waitFor,
} from '../../tasks/index.js';

const host = null as never;
const repo = { name: 'ex', uris: 'https://deb.example.org/debian', suites: 'bookworm', components: ['main'] };

// [primitive, call with a misspelt option, the misspelling, the nearest known option or null]
const cases: [string, () => unknown, string, string | null][] = [
  ['apt', () => apt(host, { packages: 'jq', updateCahce: true } as never), 'updateCahce', 'updateCache'],
  ['apt', () => apt(host, { packages: 'jq', version: '1.6' } as never), 'version', null],
  ['aptRepository', () => aptRepository(host, { ...repo, keyRing: '/k.asc' } as never), 'keyRing', 'keyring'],
  [
    'systemdDropin',
    () => systemdDropin(host, { unit: 'a', name: 'b', content: '', unti: 'c' } as never),
    'unti',
    'unit',
  ],
  [
    'sysctl',
    () => sysctl(host, { name: 'x', settings: { 'vm.swappiness': 1 }, lvie: false } as never),
    'lvie',
    'live',
  ],
  [
    'kernelModules',
    () => kernelModules(host, { name: 'x', modules: ['vfio'], blacklsit: [] } as never),
    'blacklsit',
    'blacklist',
  ],
  ['command', () => command(host, { argv: ['true'], onlyif: ['true'] } as never), 'onlyif', 'onlyIf'],
  ['waitFor', () => waitFor(host, { port: 80, timeout: 5 } as never), 'timeout', 'timeoutMs'],
  ['reboot', () => reboot(host, { rebootIfFiles: '/x' } as never), 'rebootIfFiles', 'rebootIfFile'],
];

describe('unknown options of the packages, services and system primitives', () => {
  it.each(cases)('%s refuses %#', (primitive, call, option, near) => {
    let error: unknown;
    try {
      call();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OptionError);
    const message = (error as Error).message;
    expect(message.startsWith(`${primitive}: unknown option ${option}`), message).toBe(true);
    if (near) expect(message).toContain(`: did you mean ${near}? (known: `);
    else expect(message).not.toContain('did you mean');
    // The line named is this file's: the role author's own call site.
    expect(message).toMatch(/\(test\/tasks\/options-system\.test\.ts:\d+\)$/);
  });

  it('is a compile error too', () => {
    // @ts-expect-error: `updateCahce` is not an option of apt.
    expect(() => apt(host, { packages: 'jq', updateCahce: true })).toThrow(OptionError);
    // Not a compile error: TypeScript lets a union (WaitForOptions) take a property of any of its
    // members, so `state` of a port wait passes on a command wait; the run-time check refuses it.
    expect(() => waitFor(host, { command: ['true'], state: 'open' })).toThrow(/unknown option state/);
    // @ts-expect-error: a command's `timeoutMs` is a number.
    expect(() => command(host, { argv: ['true'], timeoutMs: '5s' })).toThrow(OptionError);
    // @ts-expect-error: sysctl values are numbers or strings.
    expect(() => sysctl(host, { name: 'x', settings: { 'vm.swappiness': true } })).toThrow(OptionError);
  });
});
