/**
 * `npm run pve-sim -- --port 8006`: the simulator standalone, so the CLI can be pointed at it
 * exactly as at a real Proxmox VE. Prints the URL, the certificate fingerprint and the seeded
 * credentials; runs until Ctrl-C. 401s are delayed 3 s by default, as PVE does.
 */
import { startPveSim, type PveSimOptions } from './index.js';

const USAGE = `usage: npm run pve-sim -- [--port N] [--host ADDR] [--task-ms N] [--windows-install-ms N] [--auth-delay-ms N] [--nodes a,b]`;

export async function main(argv: string[]): Promise<number> {
  const options: PveSimOptions = { port: 8006, authFailureDelayMs: 3000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = argv[i + 1];
    const num = () => {
      i++;
      if (value === undefined || !/^\d+$/.test(value)) throw new Error(`${arg} needs a number`);
      return Number(value);
    };
    if (arg === '--port') options.port = num();
    else if (arg === '--host') options.host = argv[++i];
    else if (arg === '--task-ms') options.taskMs = num();
    else if (arg === '--windows-install-ms') options.windowsInstallMs = num();
    else if (arg === '--auth-delay-ms') options.authFailureDelayMs = num();
    else if (arg === '--nodes') options.nodes = (argv[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      return 0;
    } else {
      console.error(`unknown option ${arg}\n${USAGE}`);
      return 5;
    }
  }
  const sim = await startPveSim(options);
  console.log(`pve-sim: Proxmox VE 9.1.3 API simulator
url:          ${sim.url}
fingerprint:  ${sim.fingerprint}
token id:     ${sim.token.id}
token secret: ${sim.token.secret}
root@pam:     ${sim.root.password}
Ctrl-C stops it.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.close();
  console.log(
    `pve-sim: stopped (${sim.requests.length} requests, ${sim.violations.length} schema violations)`,
  );
  return 0;
}
