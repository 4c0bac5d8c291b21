/**
 * Tag selection with Ansible's rules (lib/ansible/playbook/taggable.py, evaluate_tags):
 * - no --tags means `all`; `always` runs unless skipped explicitly; `never` runs only when one
 *   of its tags is asked for by name; `tagged`/`untagged` select by having tags at all.
 * A task's tags are its own plus its role's plus its play's.
 */

export interface TagFilter {
  only: string[];
  skip: string[];
}

export const NO_TAG_FILTER: TagFilter = { only: ['all'], skip: [] };

export function shouldRun(taskTags: Iterable<string>, filter: TagFilter): boolean {
  const tags = new Set(taskTags);
  if (tags.size === 0) tags.add('untagged');
  const untagged = tags.size === 1 && tags.has('untagged');
  const only = new Set(filter.only.length ? filter.only : ['all']);
  const skip = new Set(filter.skip);
  const intersects = (set: Set<string>) => [...tags].some((t) => set.has(t));

  let run: boolean;
  if (tags.has('always')) run = true;
  else if (only.has('all') && !tags.has('never')) run = true;
  else if (intersects(only)) run = true;
  else run = only.has('tagged') && !untagged && !tags.has('never');

  if (run && skip.size) {
    if (skip.has('all')) run = tags.has('always') && !skip.has('always');
    else if (intersects(skip)) run = false;
    else if (skip.has('tagged') && !untagged) run = false;
  }
  return run;
}
