/**
 * A small ISO 9660 image with a Joliet tree, built in memory: how the Windows answer file
 * (autounattend.xml) reaches Windows Setup, which looks for it at the root of every removable
 * drive, CD-ROMs included. Proxmox's storage `upload` API takes ISO images only, and no ISO tool
 * (xorriso, genisoimage) can be assumed on the controller, so the image is written here: a flat
 * root folder of a few small files is all an answer disc needs.
 *
 * The bytes depend only on the files and the label (fixed timestamps), so the same answer file
 * always gives the same image. Layout (2048-byte sectors): 0–15 system area, 16 primary volume
 * descriptor, 17 Joliet supplementary descriptor, 18 terminator, 19–22 path tables (L/M, primary
 * and Joliet), 23 primary root folder, 24 Joliet root folder, then each file's data.
 * Names: ISO level 2 upper-case on the primary tree, the real name (UCS-2) on the Joliet tree,
 * which Windows and Linux read.
 */

const SECTOR = 2048;

export interface IsoFile {
  /** A plain file name at the root, e.g. `autounattend.xml` (letters, digits, `._-`). */
  name: string;
  content: Buffer;
}

/** Both-endian 32-bit (ISO 9660 §7.3.3). */
function both32(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt32LE(value, offset);
  buf.writeUInt32BE(value, offset + 4);
}

/** Both-endian 16-bit (§7.2.3). */
function both16(buf: Buffer, offset: number, value: number): void {
  buf.writeUInt16LE(value, offset);
  buf.writeUInt16BE(value, offset + 2);
}

function ucs2be(text: string): Buffer {
  const le = Buffer.from(text, 'utf16le');
  for (let i = 0; i + 1 < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!];
  return le;
}

/** A fixed-width text field: ASCII padded with spaces, or UCS-2 padded with U+0020. */
function textField(buf: Buffer, offset: number, width: number, text: string, joliet: boolean): void {
  const padded = joliet
    ? ucs2be(text.padEnd(width / 2, ' ').slice(0, width / 2))
    : Buffer.from(text.padEnd(width, ' ').slice(0, width), 'ascii');
  padded.copy(buf, offset);
}

/** The 7-byte date of a directory record: 1980-01-01 00:00:00 UTC, fixed for reproducible images. */
const RECORD_DATE = Buffer.from([80, 1, 1, 0, 0, 0, 0]);
/** The 17-byte date of a volume descriptor (§8.4.26.1): the same instant, and "not specified". */
const VOLUME_DATE = Buffer.concat([Buffer.from('1980010100000000', 'ascii'), Buffer.from([0])]);
const NO_DATE = Buffer.concat([Buffer.from('0000000000000000', 'ascii'), Buffer.from([0])]);

function directoryRecord(id: Buffer, extent: number, size: number, directory: boolean): Buffer {
  const length = 33 + id.length + (id.length % 2 === 0 ? 1 : 0);
  const r = Buffer.alloc(length);
  r[0] = length;
  both32(r, 2, extent);
  both32(r, 10, size);
  RECORD_DATE.copy(r, 18);
  r[25] = directory ? 2 : 0;
  both16(r, 28, 1);
  r[32] = id.length;
  id.copy(r, 33);
  return r;
}

function pathTable(rootSector: number, bigEndian: boolean): Buffer {
  const t = Buffer.alloc(10);
  t[0] = 1; // identifier length: the root's is one byte, 0x00
  if (bigEndian) {
    t.writeUInt32BE(rootSector, 2);
    t.writeUInt16BE(1, 6);
  } else {
    t.writeUInt32LE(rootSector, 2);
    t.writeUInt16LE(1, 6);
  }
  return t;
}

function primaryName(name: string): string {
  const upper = name.toUpperCase().replace(/[^A-Z0-9_.]/g, '_');
  const dot = upper.lastIndexOf('.');
  const base = (dot >= 0 ? upper.slice(0, dot) : upper).replace(/\./g, '_');
  const ext = dot >= 0 ? upper.slice(dot + 1) : '';
  return `${base.slice(0, 30 - Math.min(ext.length, 3) - 1)}.${ext.slice(0, 3)};1`;
}

function volumeDescriptor(
  kind: 1 | 2,
  label: string,
  totalSectors: number,
  lPath: number,
  mPath: number,
  root: Buffer,
): Buffer {
  const joliet = kind === 2;
  const d = Buffer.alloc(SECTOR);
  d[0] = kind;
  d.write('CD001', 1, 'ascii');
  d[6] = 1;
  textField(d, 8, 32, '', joliet);
  textField(d, 40, 32, label, joliet);
  both32(d, 80, totalSectors);
  if (joliet) d.write('%/E', 88, 'ascii'); // UCS-2 level 3
  both16(d, 120, 1);
  both16(d, 124, 1);
  both16(d, 128, SECTOR);
  both32(d, 132, 10);
  d.writeUInt32LE(lPath, 140);
  d.writeUInt32BE(mPath, 148);
  root.copy(d, 156);
  for (const [offset, width] of [
    [190, 128],
    [318, 128],
    [446, 128],
    [574, 128],
    [702, 37],
    [739, 37],
    [776, 37],
  ] as const) {
    textField(d, offset, width, offset === 574 ? 'NOVASTATION' : '', joliet);
  }
  VOLUME_DATE.copy(d, 813);
  VOLUME_DATE.copy(d, 830);
  NO_DATE.copy(d, 847);
  NO_DATE.copy(d, 864);
  d[881] = 1;
  return d;
}

/**
 * An ISO image holding `files` at its root.
 *
 * @example
 * const iso = buildIso('AUTOUNATTEND', [{ name: 'autounattend.xml', content: Buffer.from(xml) }]);
 */
export function buildIso(label: string, files: IsoFile[]): Buffer {
  if (!/^[A-Z0-9_]{1,16}$/.test(label)) throw new Error(`ISO label "${label}" must be 1–16 of A–Z, 0–9, _`);
  const sorted = [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const f of sorted)
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(f.name))
      throw new Error(`ISO file name "${f.name}" must be 1–64 of letters, digits, . _ -`);
  if (new Set(sorted.map((f) => primaryName(f.name))).size !== sorted.length)
    throw new Error('ISO file names clash once upper-cased');

  const [lPrimary, mPrimary, lJoliet, mJoliet, rootPrimary, rootJoliet] = [19, 20, 21, 22, 23, 24];
  let next = 25;
  const extents = sorted.map((f) => {
    const at = next;
    next += Math.max(1, Math.ceil(f.content.length / SECTOR));
    return at;
  });
  const total = next;

  const folder = (self: number, joliet: boolean): Buffer => {
    const records = [
      directoryRecord(Buffer.from([0]), self, SECTOR, true),
      directoryRecord(Buffer.from([1]), self, SECTOR, true),
    ];
    sorted.forEach((f, i) => {
      const id = joliet ? ucs2be(`${f.name};1`) : Buffer.from(primaryName(f.name), 'ascii');
      records.push(directoryRecord(id, extents[i]!, f.content.length, false));
    });
    const body = Buffer.concat(records);
    if (body.length > SECTOR) throw new Error('too many files for a one-sector ISO root folder');
    return Buffer.concat([body, Buffer.alloc(SECTOR - body.length)]);
  };

  const image = Buffer.alloc(total * SECTOR);
  const put = (sector: number, data: Buffer) => data.copy(image, sector * SECTOR);
  put(
    16,
    volumeDescriptor(
      1,
      label,
      total,
      lPrimary,
      mPrimary,
      directoryRecord(Buffer.from([0]), rootPrimary, SECTOR, true),
    ),
  );
  put(
    17,
    volumeDescriptor(
      2,
      label,
      total,
      lJoliet,
      mJoliet,
      directoryRecord(Buffer.from([0]), rootJoliet, SECTOR, true),
    ),
  );
  const terminator = Buffer.alloc(SECTOR);
  terminator[0] = 255;
  terminator.write('CD001', 1, 'ascii');
  terminator[6] = 1;
  put(18, terminator);
  put(lPrimary, pathTable(rootPrimary, false));
  put(mPrimary, pathTable(rootPrimary, true));
  put(lJoliet, pathTable(rootJoliet, false));
  put(mJoliet, pathTable(rootJoliet, true));
  put(rootPrimary, folder(rootPrimary, false));
  put(rootJoliet, folder(rootJoliet, true));
  sorted.forEach((f, i) => put(extents[i]!, f.content));
  return image;
}
