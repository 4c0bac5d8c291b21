/**
 * Asking for a passphrase on the terminal without echoing it: the terminal goes into raw mode for
 * the prompt (so nothing typed is shown), Backspace and Ctrl-U edit, Enter ends, Ctrl-C
 * interrupts (exit 99), Ctrl-D on an empty line is end of input. Without a terminal there is no
 * prompt: callers say which non-interactive source to use instead.
 */
import { ExitCode } from '../errors.js';
import { VaultError } from './errors.js';

export class PromptInterrupted extends Error {
  readonly exitCode: ExitCode = ExitCode.interrupted;
  constructor() {
    super('interrupted at the passphrase prompt');
    this.name = 'PromptInterrupted';
  }
}

export interface PromptStreams {
  input?: NodeJS.ReadStream;
  output?: NodeJS.WritableStream;
}

export function canPrompt(streams: PromptStreams = {}): boolean {
  const input = streams.input ?? process.stdin;
  return Boolean(input.isTTY && typeof input.setRawMode === 'function');
}

export const NO_TERMINAL_HINT =
  'give it with --vault-password-file FILE (mode 0600), --vault-id [LABEL@]FILE, or the NOVASTATION_VAULT_PASSWORD environment variable (there is no terminal to ask on)';

/** Read one line from the terminal without echo. */
export function promptHidden(question: string, streams: PromptStreams = {}): Promise<string> {
  const input = streams.input ?? process.stdin;
  const output = streams.output ?? process.stderr;
  if (!canPrompt(streams))
    return Promise.reject(new VaultError('no-password', `a vault passphrase is needed: ${NO_TERMINAL_HINT}`));
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = input.isRaw;
    // Echo off before the question shows: what is typed as soon as it appears is not echoed.
    input.setRawMode(true);
    output.write(question);
    input.setEncoding('utf8');
    input.resume();
    const finish = (error?: Error) => {
      input.removeListener('data', onData);
      input.setRawMode(wasRaw);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string | Buffer) => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n') return finish();
        if (ch === '\u0003') return finish(new PromptInterrupted());
        if (ch === '\u0004') {
          if (!value) return finish(new VaultError('no-password', 'no passphrase entered (end of input)'));
          continue;
        }
        if (ch === '\u007f' || ch === '\b') {
          value = [...value].slice(0, -1).join('');
          continue;
        }
        if (ch === '\u0015') {
          value = '';
          continue;
        }
        if (ch === '\u001b') return; // an escape sequence (arrow keys…): drop the rest of the chunk
        if (ch < ' ') continue;
        value += ch;
      }
    };
    input.on('data', onData);
  });
}

/** Ask for a passphrase; with `confirm`, twice, refusing a mismatch. Empty passphrases are refused. */
export async function askPassphrase(
  what: string,
  options: { confirm?: boolean } & PromptStreams = {},
): Promise<string> {
  const first = await promptHidden(`${what}: `, options);
  if (!first) throw new VaultError('no-password', 'an empty vault passphrase is not allowed');
  if (options.confirm) {
    const again = await promptHidden(`Confirm ${what.charAt(0).toLowerCase()}${what.slice(1)}: `, options);
    if (again !== first)
      throw new VaultError('no-password', 'the passphrases do not match; nothing was changed');
  }
  return first;
}
