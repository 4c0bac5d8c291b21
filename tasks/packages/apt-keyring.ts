/**
 * OpenPGP keys for apt's `Signed-By`, prepared on the controller so the host needs no gpg:
 * apt (gpgv) reads a binary keyring (`.gpg`) or, since apt 2.4, an ASCII-armored one (`.asc`).
 * An armored key bound for a `.gpg` path is dearmored here (base64 between the armor lines,
 * checked against its CRC-24), which is what `gpg --dearmor` does.
 */

const BEGIN = '-----BEGIN PGP PUBLIC KEY BLOCK-----';
const END = '-----END PGP PUBLIC KEY BLOCK-----';

export function isArmored(key: string | Buffer): boolean {
  return (typeof key === 'string' ? key : key.subarray(0, 4096).toString('latin1')).includes(BEGIN);
}

/**
 * The bytes to store at `path` (`.asc`: armored text; `.gpg`: binary packets). Throws a TypeError
 * for anything that is not a public key in a form that fits the path: a private key block, an
 * armored key without its body, binary data bound for `.asc`.
 */
export function keyringBytes(key: string | Buffer, path: string): Buffer {
  const text = typeof key === 'string' ? key : key.toString('latin1');
  if (/-----BEGIN PGP (PRIVATE|SECRET) KEY BLOCK-----/.test(text)) {
    throw new TypeError('key is a PRIVATE key block: apt needs the public key only (gpg --armor --export)');
  }
  const armored = isArmored(key);
  if (path.endsWith('.asc')) {
    if (!armored)
      throw new TypeError(
        `key must be ASCII-armored ("${BEGIN}") for an .asc keyring, or use a .gpg keyring path`,
      );
    dearmor(text); // validates
    return Buffer.from(text.endsWith('\n') ? text : `${text}\n`, 'utf8');
  }
  if (armored) return dearmor(text);
  const bytes = typeof key === 'string' ? Buffer.from(key, 'latin1') : key;
  // An OpenPGP packet header always has its top bit set; text or an empty buffer does not.
  if (bytes.length < 2 || ((bytes[0] ?? 0) & 0x80) === 0)
    throw new TypeError('key is neither an ASCII-armored public key block nor binary OpenPGP data');
  return bytes;
}

/** Every public key block in `text`, decoded and concatenated (a keyring may hold several keys). */
export function dearmor(text: string): Buffer {
  const blocks: Buffer[] = [];
  let at = text.indexOf(BEGIN);
  while (at >= 0) {
    const end = text.indexOf(END, at);
    if (end < 0) throw new TypeError(`key: armored block without "${END}"`);
    blocks.push(decodeBlock(text.slice(at + BEGIN.length, end)));
    at = text.indexOf(BEGIN, end);
  }
  if (blocks.length === 0) throw new TypeError(`key: no "${BEGIN}" found`);
  return Buffer.concat(blocks);
}

function decodeBlock(inner: string): Buffer {
  const lines = inner.split(/\r?\n/).map((l) => l.trim());
  // Armor headers (`Comment: …`, `Version: …`) run up to the first blank line.
  let i = 1;
  while (i < lines.length && lines[i] !== '' && /^[A-Za-z-]+: /.test(lines[i] ?? '')) i++;
  let body = '';
  let crc: string | undefined;
  for (const line of lines.slice(i)) {
    if (line === '') continue;
    if (/^=[A-Za-z0-9+/]{4}$/.test(line)) crc = line.slice(1);
    else if (/^[A-Za-z0-9+/=]+$/.test(line)) body += line;
    else throw new TypeError(`key: unexpected line in armored block: ${JSON.stringify(line.slice(0, 40))}`);
  }
  const bytes = Buffer.from(body, 'base64');
  if (bytes.length === 0) throw new TypeError('key: armored block has no data');
  if (crc !== undefined && Buffer.from(crc, 'base64').readUIntBE(0, 3) !== crc24(bytes))
    throw new TypeError('key: armor checksum (CRC-24) does not match: the key is damaged');
  return bytes;
}

/** RFC 4880 §6.1. */
function crc24(data: Buffer): number {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let k = 0; k < 8; k++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}
