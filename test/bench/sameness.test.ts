/**
 * The benchmark compares like with like: on a fresh host, Ansible's host-prep playbook and
 * NovaStation's host-prep role leave the same files (content, mode, owner) and report the same
 * number of steps, and both re-run as a no-op (bench/lib/turn.ts, bench/lib/sameness.ts).
 *
 * Needs the test hosts (root) and ansible-playbook. Without Ansible the test is skipped with a
 * message — except with CI=true, where Debian's ansible package is installed (as the benchmark
 * does) and its absence is a failure.
 */
import { describe, expect, it } from 'vitest';
import { ansiblePresent, ensureAnsible } from '../../bench/lib/ansible.js';
import { playbookPresent } from '../../bench/lib/novastation.js';
import { runChanges, sysctlSettings } from '../../bench/lib/sameness.js';
import { sameWork, toolTurn } from '../../bench/lib/turn.js';
import { skipHosts } from '../support/hosts.js';

const ci = process.env.CI === 'true';
const noAnsible = !ansiblePresent() && !ci;
if (noAnsible)
  console.warn(
    'bench sameness test skipped: ansible-playbook is missing (apt-get install -y ansible; with CI=true the test installs it)',
  );

describe('sameness check (pure parts)', () => {
  it('compares what a run changed, leaving out what the tools write for themselves', () => {
    const before = 'etc/hostname\tfile\t0644\t0:0\t3\taaa\t-\netc/old\tfile\t0644\t0:0\t1\tbbb\t-\n';
    const after = [
      'etc/hostname\tfile\t0644\t0:0\t3\taaa\t-',
      'etc/motd\tfile\t0644\t0:0\t9\tccc\t-',
      'root/.ansible/tmp\tdir\t0700\t0:0\t-\t-\t-',
      'usr/lib/python3/x/__pycache__/a.pyc\tfile\t0644\t0:0\t9\tddd\t-',
      'var/log/syslog\tfile\t0644\t0:0\t9\teee\t-',
      '',
    ].join('\n');
    expect(runChanges(before, after)).toEqual(['etc/motd\tfile\t0644\t0:0\t9\tccc\t-', 'etc/old\tgone']);
  });

  it('reads sysctl files by their settings, whatever the spacing and comments', () => {
    expect(sysctlSettings('# managed\nvm.swappiness = 10\nnet.ipv4.ip_forward = 1\n')).toBe(
      sysctlSettings('net.ipv4.ip_forward=1\nvm.swappiness=10\n'),
    );
    expect(sysctlSettings('vm.swappiness=10\n')).not.toBe(sysctlSettings('vm.swappiness=60\n'));
  });
});

describe.skipIf(skipHosts || noAnsible)('benchmark sameness on a real host', () => {
  it('Ansible and NovaStation write the same files and count the same steps, first run and no-op', async () => {
    if (!ansiblePresent()) ensureAnsible((line) => console.log(line));
    expect(playbookPresent(), 'node_modules/.bin/playbook (npm run build)').toBe(true);
    const log = () => {};
    const ansible = await toolTurn('ansible', 1, { log });
    expect(ansible.first.problems).toEqual([]);
    expect(ansible.noop?.problems).toEqual([]);
    const nova = await toolTurn('novastation', 1, { log, floor: false });
    expect(nova.first.problems).toEqual([]);
    expect(nova.noop?.problems).toEqual([]);
    const same = sameWork(ansible, nova);
    expect(same.ok, same.lines.join('\n')).toBe(true);
    // The role really is the size the benchmark says: 30 tasks + 2 handlers on a first run.
    expect(nova.first.steps.bench1).toBe(32);
    expect(nova.noop?.steps.bench1).toBe(30);
    expect(nova.changes.bench1!.length).toBeGreaterThan(30);
  }, 900_000);
});
