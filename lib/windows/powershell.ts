/**
 * PowerShell in a Windows guest through the QEMU guest agent, built in one place:
 *
 * - The command line is always `powershell.exe -NoLogo -NoProfile -NonInteractive
 *   -EncodedCommand <base64 of the UTF-16LE script>`: no quoting anywhere, and the script is a
 *   constant of the code — it never holds data.
 * - Data travels as JSON on standard input (`input-data`, in the request body), secrets
 *   included, so no password reaches the command line that Proxmox passes on and the guest's
 *   process list shows. Non-ASCII characters are sent as `\uXXXX` escapes, so the guest's
 *   console code page cannot garble a name or a password.
 * - The script answers one line `NOVASTATION-RESULT <json>` (warnings and other streams may
 *   write to stdout too), also ASCII-escaped.
 * - A script that fails exits 1 with its error on stderr; the caller gets an error naming the
 *   VM, the script, the exit code and that text (CLIXML, PowerShell's form for error records on
 *   a redirected stderr, is turned back into text).
 */
import { guestExec, isAgentNotReady, waitForAgent, type GuestVm } from '../proxmox/guest-agent.js';
import type { ProxmoxClient } from '../proxmox/client.js';
import { isSecret, processMasker, Secret } from '../secret.js';

export const RESULT_MARK = 'NOVASTATION-RESULT ';

/** A script: its name (first line, for messages and the simulator) and its full text. */
export interface PsScript {
  name: string;
  text: string;
}

/**
 * Wraps `body` (which reads `$data`, the input, and sets `$out`, the answer) into a complete
 * script: strict errors, no progress records, input from stdin, the answer on one marked line,
 * any error as text on stderr with exit code 1.
 */
export function psScript(name: string, body: string): PsScript {
  const indented = body
    .trim()
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n');
  const text = [
    `# novastation: ${name}`,
    "$ErrorActionPreference = 'Stop'",
    "$ProgressPreference = 'SilentlyContinue'",
    "$WarningPreference = 'SilentlyContinue'",
    'try {',
    '  $data = [Console]::In.ReadToEnd() | ConvertFrom-Json',
    '  $out = $null',
    indented,
    '  $json = ConvertTo-Json -InputObject $out -Depth 8 -Compress',
    "  $json = [regex]::Replace($json, '[^\\x00-\\x7F]', { param($m) '\\u{0:x4}' -f [int][char]$m.Value })",
    `  [Console]::Out.WriteLine('${RESULT_MARK}' + $json)`,
    '} catch {',
    "  [Console]::Error.WriteLine(('{0} (line {1})' -f $_.Exception.Message, $_.InvocationInfo.ScriptLineNumber))",
    '  exit 1',
    '}',
    'exit 0',
    '',
  ].join('\n');
  return { name, text };
}

/** The one command line: powershell.exe with the script base64-encoded as UTF-16LE. */
export function powershellArgv(script: PsScript): string[] {
  return [
    'powershell.exe',
    '-NoLogo',
    '-NoProfile',
    '-NonInteractive',
    '-EncodedCommand',
    Buffer.from(script.text, 'utf16le').toString('base64'),
  ];
}

/** JSON of `input` with Secrets revealed and every non-ASCII character escaped. */
export function encodeInput(input: unknown): { text: string; secret: boolean } {
  let secret = false;
  // Secret.toJSON masks, and JSON.stringify calls it before any replacer: reveal first.
  const reveal = (value: unknown): unknown => {
    if (isSecret(value)) {
      secret = true;
      return value.reveal();
    }
    if (Array.isArray(value)) return value.map(reveal);
    if (value && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
    return value;
  };
  const json = JSON.stringify(reveal(input ?? null));
  const text = json.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return { text, secret };
}

/** PowerShell's CLIXML error stream (`#< CLIXML` + `<S S="Error">…</S>`) back to text. */
export function readableStderr(err: string): string {
  if (!err.startsWith('#< CLIXML')) return err.trim();
  const parts = [...err.matchAll(/<S S="Error">([^<]*)<\/S>/g)].map((m) =>
    m[1]!
      .replace(/_x([0-9A-Fa-f]{4})_/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)))
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&amp;/g, '&'),
  );
  return parts.join('').trim();
}

export class PowerShellError extends Error {
  constructor(
    readonly vm: string,
    readonly script: string,
    readonly exitcode: number,
    readonly stderr: string,
  ) {
    super(
      processMasker.mask(
        `${vm}: PowerShell "${script}" failed with exit code ${exitcode}${stderr ? `: ${stderr}` : ' (no error output)'}`,
      ),
    );
    this.name = 'PowerShellError';
  }
}

export interface PowerShellRunner {
  /** Runs `script` with `input` as its JSON stdin; returns its parsed answer. */
  run<T>(script: PsScript, input?: unknown): Promise<T>;
  /** Count of scripts run, by name (for -v and tests). */
  readonly counts: Map<string, number>;
}

export interface RunnerOptions {
  /** How long to wait for the guest agent to answer before the first script (default 5 min). */
  agentTimeoutMs?: number;
  /** How long one script may run (default 5 min). */
  scriptTimeoutMs?: number;
  log?(line: string): void;
}

/** A runner for one VM: waits for the agent before its first script, and again if it went away. */
export function powershellRunner(
  client: ProxmoxClient,
  vm: GuestVm,
  options: RunnerOptions = {},
): PowerShellRunner {
  const agentTimeoutMs = options.agentTimeoutMs ?? 5 * 60_000;
  let ready = false;
  const counts = new Map<string, number>();
  return {
    counts,
    async run<T>(script: PsScript, input?: unknown): Promise<T> {
      const { text, secret } = encodeInput(input);
      const stdin = secret ? new Secret(text) : text;
      for (let attempt = 1; ; attempt++) {
        if (!ready) await waitForAgent(client, vm, agentTimeoutMs, options.log);
        ready = true;
        try {
          counts.set(script.name, (counts.get(script.name) ?? 0) + 1);
          options.log?.(`${vm.name}: PowerShell ${script.name}`);
          const result = await guestExec(client, vm, powershellArgv(script), {
            input: stdin,
            ...(options.scriptTimeoutMs ? { timeoutMs: options.scriptTimeoutMs } : {}),
          });
          if (result.exitcode !== 0)
            throw new PowerShellError(vm.name, script.name, result.exitcode, readableStderr(result.err));
          const line = result.out.split(/\r?\n/).find((l) => l.startsWith(RESULT_MARK));
          if (line === undefined)
            throw new PowerShellError(
              vm.name,
              script.name,
              0,
              `no answer line on stdout${result.truncated ? ' (output truncated)' : ''}: ${result.out.slice(0, 500)}`,
            );
          return JSON.parse(line.slice(RESULT_MARK.length)) as T;
        } catch (error) {
          // The agent went away before the script started (a reboot, a restart of qemu-ga): wait
          // for it and start the script again. A script that started and then lost its agent is
          // never sent twice (GuestExecLostError): it may have run.
          if (attempt === 1 && isAgentNotReady(error)) {
            ready = false;
            continue;
          }
          throw error;
        }
      }
    },
  };
}
