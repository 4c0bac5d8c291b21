import { describe, expect, it } from 'vitest';
import { shouldRun } from '../../lib/runner/tags.js';

// Expected values follow ansible-core's Taggable.evaluate_tags.
describe('tag selection (Ansible rules)', () => {
  const run = (tags: string[], only: string[] = [], skip: string[] = []) => shouldRun(tags, { only, skip });
  it('runs everything but never-tagged tasks by default', () => {
    expect(run([])).toBe(true);
    expect(run(['web'])).toBe(true);
    expect(run(['never'])).toBe(false);
    expect(run(['never', 'debug'])).toBe(false);
  });
  it('--tags selects by intersection; always still runs; never runs only when named', () => {
    expect(run(['web'], ['web'])).toBe(true);
    expect(run(['db'], ['web'])).toBe(false);
    expect(run([], ['web'])).toBe(false);
    expect(run(['always'], ['web'])).toBe(true);
    expect(run(['never', 'debug'], ['debug'])).toBe(true);
    expect(run(['never', 'debug'], ['web'])).toBe(false);
  });
  it('tagged and untagged', () => {
    expect(run([], ['untagged'])).toBe(true);
    expect(run(['x'], ['untagged'])).toBe(false);
    expect(run(['x'], ['tagged'])).toBe(true);
    expect(run([], ['tagged'])).toBe(false);
  });
  it('--skip-tags removes matches; always is skipped only when named', () => {
    expect(run(['web'], [], ['web'])).toBe(false);
    expect(run(['web', 'always'], [], ['web'])).toBe(false);
    expect(run(['always'], [], ['all'])).toBe(true);
    expect(run(['always'], [], ['always'])).toBe(false);
    expect(run(['db'], [], ['web'])).toBe(true);
    expect(run(['x'], [], ['tagged'])).toBe(false);
  });
});
