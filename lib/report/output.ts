/**
 * The only way reporters write: every line passes the process masker first, so a secret that
 * reaches an error message, a diff or a log line is scrubbed whatever reporter prints it.
 */
import { processMasker } from '../secret.js';

export interface Output {
  line(text: string): void;
  /** Whether this stream is an interactive terminal (for colour and live rendering). */
  readonly isTTY: boolean;
  /** The stream behind it, for renderers that draw on the terminal themselves (listr2). */
  readonly stream?: TerminalStream;
}

export type TerminalStream =
  NodeJS.WriteStream | (NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number });

export function maskedOutput(stream: TerminalStream): Output {
  return {
    stream,
    isTTY: Boolean(stream.isTTY),
    line(text: string) {
      stream.write(processMasker.mask(text) + '\n');
    },
  };
}

/** Minimal ANSI colours, off when not a TTY or NO_COLOR is set. */
export function colours(enabled: boolean) {
  const wrap = (code: number) => (text: string) => (enabled ? `\x1b[${code}m${text}\x1b[0m` : text);
  return { green: wrap(32), yellow: wrap(33), red: wrap(31), cyan: wrap(36), dim: wrap(2), bold: wrap(1) };
}
