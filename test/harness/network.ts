// The machine side of the test network: one bridge with the gateway address, forwarding and NAT
// (so `apt-get install` inside hosts reaches Debian's mirrors), and per host a network namespace
// joined to the bridge by a veth pair. Callers hold the state lock around ensure/remove.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { BRIDGE, CIDR, GATEWAY, NFT_TABLE, STATE_DIR } from './paths.js';
import { run } from './run.js';

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';
const BRIDGE_MAC = '02:6e:73:74:68:01'; // locally administered
/** The machine's ip_forward before the harness first set it, restored when the last instance goes. */
const IP_FORWARD_SAVED = `${STATE_DIR}/ip_forward.orig`;

// Our own table, replaced atomically as a whole: never touches anyone else's rules.
const NFT_RULES = `table ip ${NFT_TABLE}
delete table ip ${NFT_TABLE}
table ip ${NFT_TABLE} {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    ip saddr ${CIDR} ip daddr != ${CIDR} masquerade
  }
  chain forward {
    type filter hook forward priority filter; policy accept;
    ip saddr ${CIDR} accept
    ip daddr ${CIDR} ct state established,related accept
  }
}
`;

export async function ensureNetwork(): Promise<void> {
  const link = await run('ip', ['-o', 'link', 'show', 'dev', BRIDGE], { allowFail: true });
  if (link.exitCode !== 0) {
    // A fixed MAC: otherwise a bridge takes the lowest MAC of its ports, which changes whenever a
    // host comes or goes, and every other host's ARP entry for the gateway goes stale for seconds
    // (SSH from the machine to a live host then fails now and then).
    await run('ip', ['link', 'add', BRIDGE, 'address', BRIDGE_MAC, 'type', 'bridge']);
    await run('ip', ['addr', 'add', `${GATEWAY}/24`, 'dev', BRIDGE]);
  }
  await run('ip', ['link', 'set', BRIDGE, 'up']);
  const forward = readFileSync(IP_FORWARD, 'utf8').trim();
  if (forward !== '1') {
    if (!existsSync(IP_FORWARD_SAVED)) writeFileSync(IP_FORWARD_SAVED, forward);
    writeFileSync(IP_FORWARD, '1');
  }
  await run('nft', ['-f', '-'], { input: NFT_RULES });
  raiseInotifyInstances();
}

/**
 * Every booted systemd holds several inotify instances, all counted against root's limit on the
 * machine (default 128): about twenty hosts in all (a 20-host benchmark beside a test file) and
 * the next host's PID 1 dies with "Failed to create control group inotify object: Too many open
 * files". Raised only (never lowered), and left raised: it is a ceiling, not a setting.
 */
const INOTIFY_INSTANCES = '/proc/sys/fs/inotify/max_user_instances';
const INOTIFY_MIN = 8192;
function raiseInotifyInstances(): void {
  if (Number(readFileSync(INOTIFY_INSTANCES, 'utf8')) < INOTIFY_MIN)
    writeFileSync(INOTIFY_INSTANCES, String(INOTIFY_MIN));
}

/** Removes the bridge and NAT; only when no instance is left (the caller checks). */
export async function removeNetwork(): Promise<void> {
  await run('ip', ['link', 'del', BRIDGE], { allowFail: true });
  await run('nft', ['delete', 'table', 'ip', NFT_TABLE], { allowFail: true });
  if (existsSync(IP_FORWARD_SAVED)) {
    writeFileSync(IP_FORWARD, readFileSync(IP_FORWARD_SAVED, 'utf8').trim());
    rmSync(IP_FORWARD_SAVED, { force: true });
  }
}

/** A namespace whose eth0 is `address`/24 on the bridge, default route via the gateway. */
export async function createHostNet(netns: string, veth: string, address: string): Promise<void> {
  await run('ip', ['netns', 'add', netns]);
  await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
  await run('ip', ['link', 'set', veth, 'master', BRIDGE, 'up']);
  await run('ip', ['-n', netns, 'addr', 'add', `${address}/24`, 'dev', 'eth0']);
  await run('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  await run('ip', ['-n', netns, 'link', 'set', 'eth0', 'up']);
  await run('ip', ['-n', netns, 'route', 'add', 'default', 'via', GATEWAY]);
  // The address may have belonged to a host that just went away: forget its old MAC now rather
  // than after the kernel's seconds of failed probes.
  await run('ip', ['neigh', 'flush', 'to', address, 'dev', BRIDGE], { allowFail: true });
}

/** Idempotent: deleting the namespace destroys eth0 and with it the veth pair. */
export async function deleteHostNet(netns: string, veth: string): Promise<void> {
  await run('ip', ['netns', 'del', netns], { allowFail: true });
  await run('ip', ['link', 'del', veth], { allowFail: true });
}

export async function listNetns(): Promise<string[]> {
  const r = await run('ip', ['netns', 'list'], { allowFail: true });
  return r.stdout
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

export async function listLinks(): Promise<string[]> {
  const r = await run('ip', ['-o', 'link', 'show'], { allowFail: true });
  // "12: vthabc1231@if2: <...>" → "vthabc1231"
  return r.stdout
    .split('\n')
    .map((l) => (l.split(': ')[1] ?? '').split('@')[0] ?? '')
    .filter(Boolean);
}
