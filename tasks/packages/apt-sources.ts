/**
 * The text of an apt source: deb822 (`/etc/apt/sources.list.d/NAME.sources`, apt's preferred
 * format) or one-line (`NAME.list`). Pure; `aptRepository` writes it through `file()`.
 */

export interface SourceSpec {
  types: readonly ('deb' | 'deb-src')[];
  uris: readonly string[];
  suites: readonly string[];
  /** Empty for a flat repository (suite ending in `/`, e.g. `./`). */
  components: readonly string[];
  architectures: readonly string[];
  /** Keyring path for `Signed-By`; omitted: apt's trusted keys apply. */
  signedBy?: string;
}

const HEADER = '# Managed by NovaStation: local changes are overwritten.\n';

export function renderDeb822(s: SourceSpec): string {
  const fields: [string, readonly string[]][] = [
    ['Types', s.types],
    ['URIs', s.uris],
    ['Suites', s.suites],
    ['Components', s.components],
    ['Architectures', s.architectures],
    ['Signed-By', s.signedBy ? [s.signedBy] : []],
  ];
  return (
    HEADER +
    fields
      .filter(([, v]) => v.length > 0)
      .map(([k, v]) => `${k}: ${v.join(' ')}\n`)
      .join('')
  );
}

export function renderOneLine(s: SourceSpec): string {
  const options = [
    s.architectures.length ? `arch=${s.architectures.join(',')}` : '',
    s.signedBy ? `signed-by=${s.signedBy}` : '',
  ].filter(Boolean);
  const opts = options.length ? ` [${options.join(' ')}]` : '';
  const lines: string[] = [];
  for (const type of s.types) {
    for (const uri of s.uris) {
      for (const suite of s.suites) lines.push([`${type}${opts}`, uri, suite, ...s.components].join(' '));
    }
  }
  return HEADER + lines.map((l) => `${l}\n`).join('');
}
