/**
 * Cuts one command's output out of a shell's stream: collects bytes until an end marker, which
 * may arrive split across chunks and may follow output with no newline. Only the last
 * `marker.length - 1` bytes are ever held back and copied, so multi-megabyte output stays linear.
 */

const EMPTY = Buffer.alloc(0);

export class MarkerScanner {
  private readonly body: Buffer[] = [];
  private held: Buffer = EMPTY;
  /** Bytes after the marker, while waiting for the newline that ends the trailer. */
  private after: Buffer | undefined;
  private finished = false;
  private trailerText = '';

  /**
   * @param marker the end marker
   * @param withTrailer the marker is followed by a line (e.g. the exit code) that ends in `\n`
   */
  constructor(
    private readonly marker: Buffer,
    private readonly withTrailer: boolean,
  ) {}

  get done(): boolean {
    return this.finished;
  }

  /** The text between the marker and its newline (without the newline). */
  get trailer(): string {
    return this.trailerText;
  }

  /** Everything before the marker. */
  output(): Buffer {
    return Buffer.concat(this.body);
  }

  /** Feed a chunk. Bytes after a completed frame are dropped (nothing should come after it). */
  push(chunk: Buffer): void {
    if (this.finished) return;
    if (this.after) return this.takeTrailer(Buffer.concat([this.after, chunk]));
    const buf = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    const at = buf.indexOf(this.marker);
    if (at >= 0) {
      this.keep(buf.subarray(0, at));
      this.held = EMPTY;
      const rest = buf.subarray(at + this.marker.length);
      if (!this.withTrailer) this.finished = true;
      else this.takeTrailer(rest);
      return;
    }
    const cut = Math.max(0, buf.length - (this.marker.length - 1));
    this.keep(buf.subarray(0, cut));
    this.held = buf.subarray(cut);
  }

  private takeTrailer(bytes: Buffer): void {
    const nl = bytes.indexOf(0x0a);
    if (nl < 0) {
      this.after = bytes;
      return;
    }
    this.trailerText = bytes.subarray(0, nl).toString('latin1');
    this.after = undefined;
    this.finished = true;
  }

  private keep(bytes: Buffer): void {
    if (bytes.length) this.body.push(bytes);
  }
}
