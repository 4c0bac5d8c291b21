/**
 * The JSON Schema of an inventory for editors (inventory/schema.json), built from the roles'
 * own variable schemas so it cannot drift from what the runner validates. It describes Ansible's
 * YAML inventory shape — groups with `hosts`, `vars`, `children` — where host and group variables
 * may be any of the roles' variables or Ansible's connection variables.
 */
import type { Role } from '../define.js';
import { siteVarsSchema } from '../site/schema.js';

const CONNECTION_VARS: Record<string, object> = {
  ansible_host: { type: 'string', description: 'Address to connect to (default: the inventory name).' },
  ansible_port: { type: ['integer', 'string'], description: 'SSH port.' },
  ansible_user: { type: 'string', description: 'SSH login user.' },
  ansible_ssh_private_key_file: { type: 'string', description: 'Private key file for SSH.' },
  ansible_connection: { enum: ['ssh', 'local', 'smart', 'paramiko'], description: 'How to reach the host.' },
  ansible_become: { type: ['boolean', 'string'], description: 'Run as another user with sudo.' },
  ansible_become_method: { enum: ['sudo'], description: 'Only sudo is supported.' },
  ansible_become_user: { type: 'string', description: 'User to become (default root).' },
  ansible_become_password: {
    description: 'sudo password; sent on stdin, never on a command line. Keep it in a vault.',
  },
  ansible_shell_type: { enum: ['sh', 'powershell'], description: 'The login shell type.' },
  ansible_group_priority: {
    type: 'integer',
    description: 'Merge order among sibling groups (group vars only).',
  },
};

/** The schema as JSON has it: TypeBox's symbol-keyed bookkeeping left out. */
function plain(schema: object): object {
  return JSON.parse(JSON.stringify(schema)) as object;
}

export function buildInventorySchema(roles: Role<any>[]): object {
  // The site model's variables (lib/site/), read by several roles: set them in `all` vars.
  const variables: Record<string, object> = { ...CONNECTION_VARS, ...siteVarsSchema };
  for (const role of [...roles].sort((a, b) => a.name.localeCompare(b.name))) {
    for (const [name, schema] of Object.entries(role.vars.properties)) {
      variables[name] = {
        ...plain(schema),
        description: `${(schema as { description?: string }).description ?? ''} (role ${role.name})`.trim(),
      };
    }
    // Variables a role reads from another host (e.g. a VM role's Proxmox API settings on pve1).
    for (const [via, ref] of Object.entries(role.hostRefs ?? {})) {
      for (const [name, schema] of Object.entries(ref.properties)) {
        if (role.vars.properties[name]) continue;
        const text = (schema as { description?: string }).description ?? '';
        variables[name] = {
          ...plain(schema),
          description: `${text} (read by role ${role.name} from the host its ${via} names)`.trim(),
        };
      }
    }
  }
  const vars = { type: 'object', properties: variables, additionalProperties: true };
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://novastation.invalid/inventory.schema.json',
    title: 'NovaStation inventory (Ansible YAML inventory format)',
    type: 'object',
    additionalProperties: { $ref: '#/definitions/group' },
    definitions: {
      vars,
      group: {
        type: ['object', 'null'],
        properties: {
          hosts: {
            type: ['object', 'null'],
            additionalProperties: { anyOf: [{ $ref: '#/definitions/vars' }, { type: 'null' }] },
          },
          vars: { $ref: '#/definitions/vars' },
          children: { type: ['object', 'null'], additionalProperties: { $ref: '#/definitions/group' } },
        },
        additionalProperties: false,
      },
    },
  };
}
