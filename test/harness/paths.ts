// Where the harness keeps things, and the names it owns on the machine.
// Everything is prefixed so the harness runs beside anything else on the machine.

/** Cache that survives runs: the base root and the shared apt archive. On disk, not tmpfs. */
export const CACHE_DIR = '/var/tmp/novastation-testhosts';
/** The debootstrapped Debian 12 root every host overlays. */
export const BASE_DIR = `${CACHE_DIR}/base`;
/** Serialises base builds between concurrent harness processes. */
export const BASE_LOCK = `${CACHE_DIR}/base.lock`;
/** .deb files downloaded by any host, offered read-only to every later host. */
export const APT_ARCHIVES = `${CACHE_DIR}/apt-archives`;
/** Per-instance host folders (overlay upper/work/root). Large, so not under /run. */
export const HOSTS_DIR = `${CACHE_DIR}/hosts`;

/** Runtime state: instance records (owner pids, allocations), the client key, the CLI's files. */
export const STATE_DIR = '/run/novastation-testhosts';
export const STATE_LOCK = `${STATE_DIR}/lock`;
export const INSTANCES_DIR = `${STATE_DIR}/instances`;
export const CLIENT_KEY = `${STATE_DIR}/id_ed25519`;
export const CLI_DIR = `${STATE_DIR}/cli`;

/** Network: one bridge shared by all instances, a private /24 of the harness's own. */
export const BRIDGE = 'nsbr0';
export const NET_PREFIX = '10.231.0.';
export const GATEWAY = `${NET_PREFIX}1`;
export const CIDR = `${NET_PREFIX}0/24`;
/** Host slots: .2 … .254 (the gateway is .1). */
export const FIRST_SLOT = 2;
export const LAST_SLOT = 254;
export const NFT_TABLE = 'novastation_testhosts';

/** Names of per-host kernel objects; the fixed prefixes let `clean` find orphans. */
export const NETNS_PREFIX = 'nsth-';
export const VETH_PREFIX = 'vth';
export function netnsName(runId: string, n: number): string {
  return `${NETNS_PREFIX}${runId}-${n}`;
}
export function vethName(runId: string, n: number): string {
  return `${VETH_PREFIX}${runId}${n}`; // ≤ 15 chars: 3 + 6 + up to 3 digits
}
