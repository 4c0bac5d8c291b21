/**
 * The JSON Schema of the site variables in the inventory's `all` vars (`site_users`,
 * `site_gateway_addresses`, `site_admin_networks`): checked by lib/site/build.ts before any host is
 * touched, and written into inventory/schema.json for editors (lib/schema/inventory-schema.ts).
 * Rules a schema cannot say (VM and group names exist, a password is a !secret, addresses parse)
 * are checked in build.ts.
 */
import { LOGIN_NAME_PATTERN } from './login-name.js';

const addressList = (what: string) => ({
  type: 'array',
  items: { type: 'string', minLength: 1 },
  uniqueItems: true,
  description: `${what}: IP addresses or CIDR ranges (no DNS names); every firewall rule the roles write uses them.`,
});

export const siteUserSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['full_name'],
  properties: {
    full_name: {
      type: 'string',
      minLength: 1,
      description: 'Shown in Guacamole and as the account comment.',
    },
    uid: {
      type: 'integer',
      minimum: 1000,
      maximum: 59999,
      description: 'Fixed Linux uid (Debian range for people: 1000–59999); allocated when left out.',
    },
    password: {
      description:
        'RDP and Guacamole password: a !secret (or !vault) reference, never plain text. May be left out only for an SSO user or a user with state absent.',
    },
    sso: {
      type: 'boolean',
      default: false,
      description: 'Signs in to Guacamole through the site SSO (OpenID Connect): needs no password.',
    },
    ssh_keys: {
      type: 'array',
      items: { type: 'string', pattern: '^(ssh-|ecdsa-|sk-)\\S+ \\S+' },
      default: [],
      description: 'SSH public keys (authorized_keys lines without options).',
    },
    sudo: {
      type: 'boolean',
      default: false,
      description: 'Linux: a validated sudoers entry; Windows: member of Administrators.',
    },
    admin: { type: 'boolean', default: false, description: 'Guacamole administrator.' },
    groups: {
      type: 'array',
      items: { type: 'string', pattern: '^[a-z_][a-z0-9_-]*$', maxLength: 32 },
      uniqueItems: true,
      default: [],
      description: 'Extra Linux groups (must exist on the VM, e.g. video, docker).',
    },
    guacamole_groups: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      uniqueItems: true,
      default: [],
      description: 'Guacamole user groups.',
    },
    vms: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      uniqueItems: true,
      default: [],
      description: 'The VMs assigned: inventory host or group names (groups expand to their hosts).',
    },
    state: {
      enum: ['present', 'disabled', 'absent'],
      default: 'present',
      description:
        'present; disabled (locked, no RDP/SSH login, home kept); absent (account removed, home kept unless remove_home).',
    },
    remove_home: {
      type: 'boolean',
      default: false,
      description: 'With state absent: remove the Linux home folder too.',
    },
  },
} as const;

/** Top-level variable name → schema, as inventory/schema.json lists variables. */
export const siteVarsSchema = {
  site_users: {
    type: 'object',
    propertyNames: { pattern: LOGIN_NAME_PATTERN },
    additionalProperties: siteUserSchema,
    description:
      "The site's people, by login name (valid on Linux and Windows: a lower-case letter, then up to 19 of a-z 0-9 _ -). Set in the inventory's all vars.",
  },
  site_gateway_addresses: addressList('Addresses of the Guacamole gateway(s), allowed to reach RDP and SSH'),
  site_admin_networks: addressList('Networks administrators connect from, allowed to reach SSH and RDP'),
} as const;
