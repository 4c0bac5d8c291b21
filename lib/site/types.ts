/**
 * The site model every guest and gateway role shares: the people of the site (`site_users` in
 * the inventory's `all` vars), the VMs assigned to them, and the site's addresses. One reader
 * (lib/site/) builds it once per run from the inventory, validates it before any host is
 * touched, and hands it to roles; no role parses `site_users` itself.
 *
 * The rule the roles share: a user assigned to a VM gets an account on it and a Guacamole
 * connection to it, and nothing else.
 */
import type { Secret } from '../secret.js';

export type SiteUserState = 'present' | 'disabled' | 'absent';

/** One person, as declared under `site_users.<login>` (snake_case keys in the inventory). */
export interface SiteUser {
  /** The map key: a login name valid on Linux and Windows. */
  login: string;
  fullName: string;
  /** Fixed Linux uid, when declared. */
  uid?: number;
  /** RDP and Guacamole password; absent only for an SSO user. */
  password?: Secret;
  /** Signs in to Guacamole through the site's SSO (OpenID Connect); may have no password. */
  sso: boolean;
  sshKeys: string[];
  /** Linux: a validated sudoers entry; Windows: member of Administrators (S-1-5-32-544). */
  sudo: boolean;
  /** Guacamole administrator. */
  admin: boolean;
  /** Extra Linux groups. */
  groups: string[];
  /** Guacamole user groups. */
  guacamoleGroups: string[];
  /** Inventory host names of the VMs assigned (groups already expanded, inventory order). */
  vms: string[];
  /**
   * `present`; `disabled` (locked, no RDP/SSH login, home kept; Windows and Guacamole: disabled);
   * `absent` (removed; the Linux home kept unless `removeHome`). A user that NovaStation manages
   * on a host but the map no longer lists is treated as `disabled` there.
   */
  state: SiteUserState;
  removeHome: boolean;
  /** Where the user was declared, for messages: `inventory/site.yml:42`. */
  declaredAt: string;
}

export type VmOs = 'ubuntu' | 'windows';

/** A VM some user may be assigned: what Guacamole and the guest roles need to reach it. */
export interface SiteVm {
  /** Inventory host name (also its name in Proxmox). */
  name: string;
  os: VmOs;
  /** `gpu` when the VM has a passed-through GPU (`gpu_mapping`), else `dev`. */
  kind: 'dev' | 'gpu';
  /** `ansible_host`, or `vm_ip` without its prefix length; undefined for a DHCP VM. */
  address?: string;
  rdpPort: number;
  /** The Proxmox host it lives on (`pve_host`), for roles that ask its guest agent. */
  pveHost?: string;
}

export interface SiteModel {
  users: SiteUser[];
  vms: SiteVm[];
  /** `site_gateway_addresses`: IP addresses or CIDR ranges of the Guacamole gateway(s). */
  gatewayAddresses: string[];
  /** `site_admin_networks`: IP addresses or CIDR ranges administrators connect from. */
  adminNetworks: string[];
}
