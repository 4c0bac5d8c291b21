/**
 * The least privileges of NovaStation's API token, in one place: the proxmox-host role gives its
 * role exactly these, the README's table lists them (test/proxmox/privileges.test.ts checks the
 * table against this list), and that test converges the whole site with a token holding only
 * these, each of them used by some request. From the `permissions` of each endpoint in Proxmox's
 * API schema (PVE 9.1.3) and qemu-server's per-option rules.
 */
export interface Privilege {
  name: string;
  /** What needs it (the README's "needed for" column). */
  neededFor: string;
}

export const LEAST_PRIVILEGES: readonly Privilege[] = [
  { name: 'VM.Audit', neededFor: 'VM status and config' },
  { name: 'VM.Allocate', neededFor: 'create VMs, convert to template' },
  { name: 'VM.Clone', neededFor: 'clone templates (`VM.Clone` on the template)' },
  { name: 'VM.PowerMgmt', neededFor: 'start, shut down' },
  {
    name: 'VM.Console',
    neededFor: 'pressing Enter at the Windows ISO\'s "Press any key to boot from CD or DVD" (`sendkey`)',
  },
  { name: 'VM.Config.CPU', neededFor: 'cores, CPU type' },
  { name: 'VM.Config.Memory', neededFor: 'memory, ballooning' },
  { name: 'VM.Config.Disk', neededFor: 'disks, disk resize' },
  { name: 'VM.Config.CDROM', neededFor: 'attaching and detaching ISOs' },
  { name: 'VM.Config.Network', neededFor: 'NICs' },
  { name: 'VM.Config.HWType', neededFor: 'machine type, BIOS, EFI/TPM disks, `hostpci0`' },
  { name: 'VM.Config.Options', neededFor: 'name, agent, serial console and other options' },
  { name: 'VM.Config.Cloudinit', neededFor: 'cloud-init user, SSH keys, IP config' },
  {
    name: 'VM.GuestAgent.Audit',
    neededFor: 'asking the guest agent which OS runs (end of a Windows install)',
  },
  {
    name: 'VM.GuestAgent.Unrestricted',
    neededFor: 'running PowerShell in the Windows VMs through the agent (`agent/exec`, windows-rdp)',
  },
  { name: 'Datastore.AllocateSpace', neededFor: 'new disks, listing storage content, attaching ISOs' },
  { name: 'Datastore.AllocateTemplate', neededFor: '`download-url` (cloud image), `upload` (answer ISO)' },
  { name: 'Datastore.Allocate', neededFor: 'deleting the answer ISO' },
  { name: 'Sys.Audit', neededFor: "the node's PCI devices" },
  {
    name: 'Sys.AccessNetwork',
    neededFor: '`download-url` on the node (or `Sys.Audit` + `Sys.Modify` on `/`, which is broader)',
  },
  { name: 'SDN.Use', neededFor: 'attaching a NIC to the bridge' },
  { name: 'Mapping.Modify', neededFor: "create the GPU's PCI mapping" },
  { name: 'Mapping.Use', neededFor: 'use the mapping in `hostpci0`' },
];

/** Just the names, in the order above. */
export const LEAST_PRIVILEGE_NAMES: readonly string[] = LEAST_PRIVILEGES.map((p) => p.name);
