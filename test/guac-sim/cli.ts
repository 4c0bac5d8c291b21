/**
 * `npm run guac-sim -- --port 8080`: the simulator standalone (what the stand-in webapp image
 * runs), so the CLI and the role can be pointed at it exactly as at a real webapp. Prints the URL
 * and the seeded account; runs until SIGINT/SIGTERM.
 */
import { DEFAULT_ADMIN, startGuacSim, type GuacSimOptions } from './index.js';

const USAGE =
  'usage: npm run guac-sim -- [--port N] [--host ADDR] [--context /guacamole] [--tls] [--session-timeout MINUTES] [--admin-password PW] [--state-file PATH]';

export async function main(argv: string[]): Promise<number> {
  const options: GuacSimOptions = { port: 8080 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = argv[i + 1];
    const need = (): string => {
      i++;
      if (value === undefined) throw new Error(`${arg} needs a value`);
      return value;
    };
    if (arg === '--port') options.port = Number(need());
    else if (arg === '--host') options.host = need();
    else if (arg === '--context') options.context = need() === 'ROOT' ? '' : value;
    else if (arg === '--tls') options.tls = true;
    else if (arg === '--session-timeout') options.sessionTimeoutMinutes = Number(need());
    else if (arg === '--admin-password') options.defaultAdminPassword = need();
    else if (arg === '--state-file') options.stateFile = need();
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      return 0;
    } else {
      console.error(`unknown option ${arg}\n${USAGE}`);
      return 5;
    }
  }
  const sim = await startGuacSim(options);
  console.log(`guac-sim: Apache Guacamole 1.6 REST API simulator (PostgreSQL data source)
url:          ${sim.url}
${sim.fingerprint ? `fingerprint:  ${sim.fingerprint}\n` : ''}default user: ${DEFAULT_ADMIN.username} (password ${options.defaultAdminPassword ? 'as given' : DEFAULT_ADMIN.password})
SIGINT/SIGTERM stops it.`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sim.close();
  console.log(`guac-sim: stopped (${sim.requests.length} requests)`);
  return 0;
}
