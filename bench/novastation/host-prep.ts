/**
 * The benchmark's playbook for NovaStation: the host-prep role on every host of the inventory
 * (`node_modules/.bin/playbook bench/novastation/host-prep.ts -i HOSTS.yml`). Ansible's twin is
 * bench/ansible/host-prep.yml.
 */
import { definePlaybook } from 'novastation';
import { hostPrep } from './roles/host-prep/index.js';

export default definePlaybook({
  name: 'host preparation',
  plays: [{ name: 'host preparation', hosts: 'all', roles: [hostPrep] }],
});
