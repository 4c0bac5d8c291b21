/**
 * Sensitive values. A Secret wraps a string so it cannot leak by accident: it prints as
 * `********`, serialises to JSON as `"********"`, and refuses to be interpolated into a command
 * line (where `ps` would show it); commands take secrets on stdin instead. Every Secret made
 * during a run is also registered with the run's Masker, which scrubs any copy of the raw value
 * (and its common encodings) out of every line the reporters write.
 */

const MASK = '********';

export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
    processMasker.add(value);
  }
  /** The raw value, for the one place that must send it (stdin, an API body, a 0600 file). */
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${MASK})`;
  }
}

export function secret(value: string): Secret {
  return new Secret(value);
}

export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}

/** Secrets shorter than this are not scrubbed from text: masking "a" would garble every line. */
const MIN_MASKED_LENGTH = 4;

/**
 * Forms longer than this are not put into the regular expression (V8 refuses patterns beyond about
 * 32 K characters, which would make every mask() throw): they are replaced by plain search first.
 */
const MAX_PATTERN_NEEDLE = 4096;

/** Scrubs registered secret values from text, in the encodings a value is likely to travel in. */
export class Masker {
  #needles: string[] = [];
  #long: string[] = [];
  #pattern: RegExp | null = null;

  add(value: string): void {
    if (value.length < MIN_MASKED_LENGTH) return;
    const forms = new Set([
      value,
      Buffer.from(value).toString('base64'),
      Buffer.from(value).toString('base64').replace(/=+$/, ''),
      encodeURIComponent(value),
      JSON.stringify(value).slice(1, -1),
    ]);
    for (const form of forms) {
      if (form.length < MIN_MASKED_LENGTH || this.#needles.includes(form) || this.#long.includes(form))
        continue;
      (form.length > MAX_PATTERN_NEEDLE ? this.#long : this.#needles).push(form);
    }
    // Longest first, so a value that contains another is replaced whole.
    this.#long.sort((a, b) => b.length - a.length);
    this.#needles.sort((a, b) => b.length - a.length);
    this.#pattern = this.#needles.length ? new RegExp(this.#needles.map(escapeRegExp).join('|'), 'g') : null;
  }

  mask(text: string): string {
    let out = text;
    for (const long of this.#long) if (out.includes(long)) out = out.split(long).join(MASK);
    return this.#pattern ? out.replace(this.#pattern, MASK) : out;
  }

  get size(): number {
    return this.#needles.length + this.#long.length;
  }
}

/**
 * The process-wide masker. Deliberately global: a secret may be created before any run exists
 * (while the inventory or vault is read) or by library code that has no run context, and a
 * secret that escaped masking because it met the wrong registry is the failure that matters.
 */
export const processMasker = new Masker();

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
