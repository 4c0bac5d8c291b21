/**
 * The transport contract: how the engine runs a command on a host. One Connection per host per
 * run; every command goes through one long-lived remote shell on it (see issue 4's numbers: one
 * exec channel per command costs ~48 ms, a line written to a running shell costs ~2 ms).
 */
import type { Duplex } from 'node:stream';

export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  /** The exact bytes behind `stdout`/`stderr` (the strings are their UTF-8 decoding, lossy for binary). */
  stdoutBytes?: Buffer;
  stderrBytes?: Buffer;
  /** Set when `timeoutMs` expired: the command was killed, `exitCode` is 124 and stderr says so. */
  timedOut?: boolean;
}

export interface RunOptions {
  /** Bytes for the command's standard input. Never put secrets on a command line: pass them here. */
  stdin?: string | Buffer;
  /** Fail the command (not the connection) after this long. */
  timeoutMs?: number;
}

/** What the remote login shell speaks; quoting is chosen by this, in lib/shell/quote.ts. */
export type ShellType = 'sh' | 'powershell';

export interface Connection {
  /** Human description for logs, e.g. `ssh root@10.231.0.2:22` or `local`. */
  readonly description: string;
  readonly shellType: ShellType;
  /**
   * Run one command line (already quoted for `shellType`) in the long-lived shell, in a subshell
   * so `cd`/`exit` in it cannot disturb the next command. Resolves with the exit code whatever it
   * is; rejects only when the connection itself fails (then it is unusable).
   */
  run(command: string, options?: RunOptions): Promise<CommandResult>;
  /** Close the shell and the connection. Idempotent. */
  close(): Promise<void>;
  /** `ssh` or `local`: a local connection reaches the host's ports directly. */
  readonly kind?: 'ssh' | 'local';
  /**
   * A TCP stream to `host:port` as seen from the host (OpenSSH's `direct-tcpip`, what `ssh -L`
   * uses), over the already open connection: no new login. Local connections connect directly.
   */
  openTcp?(host: string, port: number): Promise<Duplex>;
}

/** How to reach one inventory host: from `ansible_*` variables, ~/.ssh/config and defaults. */
export interface ConnectionTarget {
  /** Inventory host name. */
  name: string;
  kind: 'ssh' | 'local';
  /** Address to connect to (ansible_host, else the name). */
  address: string;
  port?: number;
  user?: string;
  privateKeyFile?: string;
  shellType: ShellType;
  become?: BecomeOptions;
}

export interface BecomeOptions {
  /** Only `sudo` is implemented; others are refused when the inventory is read. */
  method: 'sudo';
  user: string;
  /** Sent on stdin to `sudo -S`, never on a command line. */
  password?: string;
}

export interface SshSettings {
  /** known_hosts file to verify against and record into; default ~/.ssh/known_hosts. */
  knownHostsFile?: string;
  /** Accept (and record) keys of hosts not yet in known_hosts. A changed key is refused regardless. */
  acceptNewHostKeys: boolean;
  /** false when ANSIBLE_HOST_KEY_CHECKING=False: accept any key, record nothing. */
  hostKeyChecking: boolean;
  /** ssh_config file; default ~/.ssh/config when it exists. */
  sshConfigFile?: string;
  connectTimeoutMs: number;
}

/** The host could not be reached or logged into: counts as `unreachable` (exit 3). */
export class UnreachableError extends Error {
  constructor(
    readonly host: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnreachableError';
  }
}

/** Becoming the target user failed (wrong or missing sudo password, not in sudoers): also unreachable. */
export class BecomeError extends UnreachableError {
  constructor(host: string, message: string) {
    super(host, message);
    this.name = 'BecomeError';
  }
}
