/**
 * The forms a secret can leak in, for tests that must find none: the raw text, base64 (with and
 * without padding, and the parts of it that appear when the secret sits at any offset inside a
 * longer base64-encoded text), URL-encoded and JSON-escaped.
 */
export function leakForms(raw: string): string[] {
  const b64 = Buffer.from(raw).toString('base64');
  const forms = new Set([
    raw,
    b64,
    b64.replace(/=+$/, ''),
    encodeURIComponent(raw),
    JSON.stringify(raw).slice(1, -1),
  ]);
  // Inside a longer base64 text the secret's bytes may start at any of 3 offsets; the characters
  // that depend only on the secret's own bytes are the middle of each encoding.
  for (const shift of [0, 1, 2]) {
    const shifted = Buffer.from('\0'.repeat(shift) + raw).toString('base64');
    const core = shifted.slice(shift ? 4 : 0, -4);
    if (core.length >= 8) forms.add(core);
  }
  return [...forms];
}

/** Every (secret, form) found in `text`, described for an assertion message. */
export function findLeaks(text: string, secrets: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [name, raw] of Object.entries(secrets)) {
    for (const form of leakForms(raw))
      if (text.includes(form)) found.push(`${name} as ${JSON.stringify(form)}`);
  }
  return found;
}
