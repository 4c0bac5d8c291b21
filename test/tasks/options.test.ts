/**
 * Primitive options checked at run time, from the same TypeBox declaration as their type: an
 * unknown or mistyped option is refused before the host is touched (the host handle here is
 * null, so any use of it would fail differently), naming the primitive, the option, the task and
 * the caller's file and line.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runInTaskScope } from '../../lib/runner/task-scope.js';
import { callerLocation } from '../../tasks/options.js';
import { absent, copy, directory, file, lineInFile, symlink, systemd, template } from '../../tasks/index.js';

const inTask = <T>(name: string, fn: () => T): Promise<T> =>
  runInTaskScope({ name, mutations: [], skippedInCheck: [] }, async () => fn());

describe('primitive options', () => {
  it('refuses a misspelt option, naming it, the nearest and all known ones, the task and this file and line', async () => {
    const error = await inTask('app folders', () =>
      directory(null as never, { path: '/srv/app', recurse: true } as never),
    ).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(TypeError);
    const m =
      /^directory: unknown option recurse: did you mean recursive\? \(known: path, mode, owner, group, recursive, fileMode, parents\) \(task "app folders", test\/tasks\/options\.test\.ts:(\d+)\)$/.exec(
        (error as Error).message,
      );
    expect(m, (error as Error).message).not.toBeNull();
    // The line named is the one that called the primitive.
    expect(readFileSync(new URL(import.meta.url), 'utf8').split('\n')[Number(m![1]) - 1]).toContain(
      'directory(null',
    );
  });

  it('refuses a mistyped option with what was expected and what was given', () => {
    expect(() => directory(null as never, { path: '/srv/app', recursive: 'yes' as never })).toThrow(
      /^directory: recursive must be true or false, got "yes" \(test\/tasks\/options\.test\.ts:\d+\)$/,
    );
    expect(() => directory(null as never, { path: '/srv/app', parents: 'ansible' as never })).toThrow(
      'directory: parents must be one of "mkdir", "same", got "ansible"',
    );
    expect(() => file(null as never, { path: '/x', content: 'a', owner: 7 as never })).toThrow(
      'file: owner must be a user/group name or numeric id, got 7',
    );
    expect(() => absent(null as never, { path: '/x', recursive: true } as never)).toThrow(
      'absent: unknown option recursive (known: path)',
    );
    expect(() => symlink(null as never, { path: '/l', target: 'a\nb' })).toThrow(
      'symlink: target must be a non-empty path without NUL or newline',
    );
    expect(() => lineInFile(null as never, { path: '/f', line: 'x', regexp: 5 as never })).toThrow(
      'line-in-file: regexp must be a RegExp or a string, got 5',
    );
    expect(() => copy(null as never, { path: '/x', src: 5 as never })).toThrow(
      'copy: src must be a local file path or file: URL, got 5',
    );
    expect(() => template(null as never, { path: '/x', src: 'a.hbs', vars: [] as never })).toThrow(
      'template: vars must be an object, got an array',
    );
    expect(() => file(null as never, 'path' as never)).toThrow('file: options must be an object, got "path"');
    expect(() => systemd(null as never, { unit: 'nginx', enable: true } as never)).toThrow(
      'systemd: unknown option enable: did you mean enabled? (known: unit, enabled, state, masked)',
    );
  });

  it('is a compile error too', () => {
    // @ts-expect-error: `recurse` is not an option of directory (it is `recursive`).
    expect(() => directory(null as never, { path: '/d', recurse: true })).toThrow(/unknown option recurse/);
    // @ts-expect-error: a mode is an octal string, not a number.
    expect(() => file(null as never, { path: '/d', content: '', mode: 644 })).toThrow(
      /a number is ambiguous/,
    );
  });

  it('names the first caller outside the engine', () => {
    const stack = [
      'Error',
      `    at fail (${process.cwd()}/tasks/options.ts:10:5)`,
      `    at directory (file://${process.cwd()}/dist/tasks/files/directory.js:20:3)`,
      '    at async Promise.all (index 0)',
      `    at apply (file://${process.cwd()}/roles/app/index.ts:42:11)`,
    ].join('\n');
    expect(callerLocation(stack)).toBe('roles/app/index.ts:42');
    expect(callerLocation('Error\n    at node:internal/x:1:1')).toBeUndefined();
  });
});
