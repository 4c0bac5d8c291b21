/** Shared steps of the simulator's tests: a running sim + client, and a VM made from the cloud image. */
import { simClient } from './client.js';
import { CLOUD_IMAGE_URL, startPveSim, type PveSim, type PveSimOptions } from './index.js';

export async function openSim(options: PveSimOptions = {}) {
  const sim: PveSim = await startPveSim({ taskMs: 10, ...options });
  const c = simClient(sim);
  return {
    sim,
    c,
    close: async () => {
      await c.close();
      await sim.close();
    },
  };
}

type Client = ReturnType<typeof simClient>;

export async function ok(
  c: Client,
  method: string,
  path: string,
  params: Record<string, string | number | string[]> = {},
) {
  const r = await c.call(method, path, params);
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${r.statusText}`);
  return r.body.data;
}

export async function task(
  c: Client,
  method: string,
  path: string,
  params: Record<string, string | number | string[]> = {},
) {
  const upid = (await ok(c, method, path, params)) as string;
  return c.waitTask('pve1', upid);
}

/** Downloads the cloud image and creates VM `vmid` from it (cloud-init drive, agent on). */
export async function ubuntuVm(c: Client, vmid: number, extra: Record<string, string | number> = {}) {
  if (!(await ok(c, 'GET', '/nodes/pve1/storage/local/content', { content: 'import' })).length) {
    await task(c, 'POST', '/nodes/pve1/storage/local/download-url', {
      url: CLOUD_IMAGE_URL,
      content: 'import',
      filename: 'jammy-server-cloudimg-amd64.qcow2',
    });
  }
  return task(c, 'POST', '/nodes/pve1/qemu', {
    vmid,
    name: `ubuntu-${vmid}`,
    memory: '2048',
    cores: 2,
    net0: 'virtio,bridge=vmbr0',
    scsihw: 'virtio-scsi-single',
    agent: '1',
    scsi0: 'local-lvm:0,import-from=local:import/jammy-server-cloudimg-amd64.qcow2',
    ide2: 'local-lvm:cloudinit',
    ipconfig0: 'ip=dhcp',
    ...extra,
  });
}

/** Answers the Windows ISO's "Press any key to boot from CD or DVD" once it shows (state/boot-prompt.ts). */
export async function pressBootKey(sim: PveSim, c: Client, vmid: number): Promise<void> {
  const vm = sim.state.vm(vmid)!;
  while (vm.guest.bootPrompt && Date.now() < vm.guest.bootPrompt.shownAt)
    await new Promise((r) => setTimeout(r, 5));
  await ok(c, 'PUT', `/nodes/pve1/qemu/${vmid}/sendkey`, { key: 'ret' });
}

/** Uploads an ISO holding `text` (an answer file's XML) to `local` through the upload API. */
export async function uploadIso(sim: PveSim, c: Client, name: string, text: string): Promise<void> {
  const { FormData, fetch, Agent } = await import('undici');
  const form = new FormData();
  form.append('content', 'iso');
  form.append('filename', new Blob([Buffer.from(`CD001 autounattend.xml ${text}`)]), name);
  const dispatcher = new Agent({ connect: { ca: sim.caPem } });
  try {
    const res = await fetch(`${sim.url}/api2/json/nodes/pve1/storage/local/upload`, {
      method: 'POST',
      body: form,
      dispatcher,
      headers: { Authorization: `PVEAPIToken=${sim.token.id}=${sim.token.secret}` },
    });
    const body = (await res.json()) as { data: string };
    if (res.status !== 200) throw new Error(`upload ${name}: ${res.status}`);
    await c.waitTask('pve1', body.data);
  } finally {
    await dispatcher.close();
  }
}

/** A minimal answer file: `commands` run at the end (FirstLogonCommands), optional specialize/oobe parts. */
export function answerFile(o: {
  commands: string[];
  computerName?: string;
  account?: [string, string];
}): string {
  const account = o.account
    ? `<UserAccounts><LocalAccounts><LocalAccount><Name>${o.account[0]}</Name><Group>Administrators</Group><Password><Value>${Buffer.from(`${o.account[1]}Password`, 'utf16le').toString('base64')}</Value><PlainText>false</PlainText></Password></LocalAccount></LocalAccounts></UserAccounts>`
    : '';
  return `<?xml version="1.0" encoding="utf-8"?><unattend xmlns="urn:schemas-microsoft-com:unattend">
<settings pass="specialize"><component name="Microsoft-Windows-Shell-Setup"><ComputerName>${o.computerName ?? '*'}</ComputerName></component></settings>
<settings pass="oobeSystem"><component name="Microsoft-Windows-Shell-Setup">${account}<FirstLogonCommands>${o.commands
    .map(
      (c, i) =>
        `<SynchronousCommand><Order>${i + 1}</Order><CommandLine>${c}</CommandLine></SynchronousCommand>`,
    )
    .join('')}</FirstLogonCommands></component></settings></unattend>`;
}

export const SYSPREP_END = [
  'cmd.exe /c del /q /f %WINDIR%\\Panther\\unattend.xml %WINDIR%\\Panther\\autounattend.xml',
  'C:\\Windows\\System32\\Sysprep\\sysprep.exe /generalize /oobe /shutdown /quiet',
];
