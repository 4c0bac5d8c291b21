/**
 * The NovaStation site: every role over the inventory (inventory/site.yml by default).
 * Run it whole (`npx playbook site.ts`) or one role at a time (`npx playbook site.ts --role base`).
 * Later issues add the Proxmox, VM, Guacamole and Nginx plays here.
 */
import { definePlaybook } from 'novastation';
import { base } from 'novastation/roles';

export default definePlaybook({
  name: 'NovaStation site',
  plays: [
    {
      name: 'baseline on every Linux host',
      hosts: 'linux',
      roles: [base],
    },
  ],
});
