/** The site's roles, one folder each under roles/; names kebab-case, exports camelCase. */
export { base } from './base/index.js';
export { vmTemplate } from './vm-template/index.js';
export { devVm } from './dev-vm/index.js';
export { gpuVm } from './gpu-vm/index.js';
export { nginx } from './nginx/index.js';
export { guacamole } from './guacamole/index.js';
export { proxmoxHost } from './proxmox-host/index.js';
export { windowsRdp } from './windows-rdp/index.js';
export { ubuntuDev } from './ubuntu-dev/index.js';
