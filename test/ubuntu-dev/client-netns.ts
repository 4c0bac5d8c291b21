/**
 * A client machine for the tests: a network namespace on the harness bridge holding one address
 * of a /24 outside the harness's own, so a test can stand where the Guacamole gateway (or a
 * stranger) stands. The test host gets a route to that /24 on its own link (it has CAP_NET_ADMIN
 * in its own namespace only), so its replies come straight back over the bridge.
 */
import { run } from '../harness/run.js';
import { BRIDGE, CIDR } from '../harness/paths.js';
import type { TestHosts } from '../harness/index.js';

export interface ClientNetns {
  name: string;
  address: string;
  /** argv prefix that runs a command inside the namespace. */
  exec: string[];
  remove(): Promise<void>;
}

/** A /24 for this test run's clients: 10.233.N.0/24, N from the pid (two parallel runs differ). */
export function clientSubnet(): string {
  return `10.233.${(process.pid % 250) + 1}`;
}

export async function routeClientsFrom(hosts: TestHosts, host: string, subnet: string): Promise<void> {
  const r = await hosts.exec(host, `ip route replace ${subnet}.0/24 dev eth0`);
  if (r.exitCode !== 0) throw new Error(`route on ${host}: ${r.stderr}`);
}

export async function clientNetns(tag: string, address: string): Promise<ClientNetns> {
  const name = `nsud-${process.pid}-${tag}`;
  const veth = `vud${process.pid % 100000}${tag.slice(0, 3)}`;
  await run('ip', ['netns', 'del', name], { allowFail: true });
  await run('ip', ['link', 'del', veth], { allowFail: true });
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
  await run('ip', ['link', 'set', veth, 'master', BRIDGE, 'up']);
  const inNs = (...args: string[]) => run('ip', ['netns', 'exec', name, ...args]);
  await inNs('ip', 'link', 'set', 'lo', 'up');
  await inNs('ip', 'addr', 'add', `${address}/24`, 'dev', 'eth0');
  await inNs('ip', 'link', 'set', 'eth0', 'up');
  // The harness's hosts are on the same bridge: reach them directly, not through a router.
  await inNs('ip', 'route', 'add', CIDR, 'dev', 'eth0');
  return {
    name,
    address,
    exec: ['ip', 'netns', 'exec', name],
    async remove() {
      await run('ip', ['netns', 'pids', name], { allowFail: true }).then(async (r) => {
        for (const pid of r.stdout.split('\n').filter(Boolean))
          await run('kill', ['-KILL', pid], { allowFail: true });
      });
      await run('ip', ['link', 'del', veth], { allowFail: true });
      await run('ip', ['netns', 'del', name], { allowFail: true });
    },
  };
}
