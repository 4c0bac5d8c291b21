/**
 * What identifies one boot of a host, so "back after a reboot" means a NEW boot and not the old
 * one still shutting down (sshd keeps answering for a moment after `systemctl reboot`).
 *
 * Two values, because neither alone holds everywhere:
 * - the kernel's boot_id: new on every boot of a real machine or VM; in a container it may be
 *   the machine's (unchanged when only the container restarts);
 * - the start time of PID 1 (field 22 of /proc/1/stat, clock ticks since the kernel booted): new
 *   whenever init restarts, i.e. each container boot; on a real machine often equal across boots.
 * The pair differs between any two boots of either kind. Reading both is one command.
 */

/** Prints `<boot_id> <pid1 start ticks>`. The comm field may hold spaces, so cut after its `)`. */
export const BOOT_MARKER_SCRIPT = `printf '%s %s\\n' "$(cat /proc/sys/kernel/random/boot_id)" "$(sed 's/.*) //' /proc/1/stat | cut -d' ' -f20)"`;

/** The marker from the script's output line; throws if it is not one. */
export function parseBootMarker(line: string): string {
  const marker = line.trim();
  if (!/^[0-9a-f-]{36} \d+$/.test(marker))
    throw new Error(`unexpected boot marker ${JSON.stringify(marker.slice(0, 100))}`);
  return marker;
}
