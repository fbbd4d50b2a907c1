/**
 * Embeds a TrueType font (DejaVu Sans from Debian's fonts-dejavu-core) into a pdf-lib document as a simple
 * WinAnsi-encoded font, subset to the glyphs of the WinAnsi Latin-1 characters the report uses (pdfSafe): readers
 * then show the same glyphs everywhere instead of substituting an unembedded Helvetica (PDF/A wants every font
 * embedded). pdf-lib embeds custom fonts only through @pdf-lib/fontkit; this small reader of the standard sfnt tables
 * (head, hhea, maxp, hmtx, cmap, loca, glyf) avoids that dependency.
 */
import { readFileSync } from 'node:fs';
import { CustomFontEmbedder, PDFFont, PDFHexString, PDFName, type PDFDocument, type PDFRef } from 'pdf-lib';

export const FONT_DIR = '/usr/share/fonts/truetype/dejavu';
export const REGULAR_FONT = `${FONT_DIR}/DejaVuSans.ttf`;
export const BOLD_FONT = `${FONT_DIR}/DejaVuSans-Bold.ttf`;

/** Character codes the report can contain after pdfSafe: printable ASCII and Latin-1 (same codes in WinAnsi). */
const CODES = [...Array.from({ length: 95 }, (_, i) => 32 + i), ...Array.from({ length: 96 }, (_, i) => 160 + i)];

interface Tables {
  [tag: string]: { offset: number; length: number };
}

export interface ParsedFont {
  unitsPerEm: number;
  ascender: number;
  descender: number;
  capHeight: number;
  italicAngle: number;
  bbox: [number, number, number, number];
  /** Glyph id per character code (CODES), 0 when the font lacks it. */
  glyphOf: Map<number, number>;
  /** Advance width per glyph id, font units. */
  advance: (gid: number) => number;
}

function tables(buf: Buffer): Tables {
  const out: Tables = {};
  const n = buf.readUInt16BE(4);
  for (let i = 0; i < n; i++) {
    const e = 12 + 16 * i;
    out[buf.toString('latin1', e, e + 4)] = { offset: buf.readUInt32BE(e + 8), length: buf.readUInt32BE(e + 12) };
  }
  for (const t of ['head', 'hhea', 'maxp', 'hmtx', 'cmap', 'loca', 'glyf']) if (!out[t]) throw new Error(`TrueType font lacks its ${t} table`);
  return out;
}

/** Unicode -> glyph id from the (3,1) or (0,x) format 4 cmap subtable. */
function cmapFormat4(buf: Buffer, cmap: { offset: number }): (cp: number) => number {
  const n = buf.readUInt16BE(cmap.offset + 2);
  for (let i = 0; i < n; i++) {
    const rec = cmap.offset + 4 + 8 * i;
    const platform = buf.readUInt16BE(rec);
    const encoding = buf.readUInt16BE(rec + 2);
    const sub = cmap.offset + buf.readUInt32BE(rec + 4);
    if (buf.readUInt16BE(sub) !== 4 || !((platform === 3 && encoding === 1) || platform === 0)) continue;
    const segX2 = buf.readUInt16BE(sub + 6);
    const ends = sub + 14;
    const starts = ends + segX2 + 2;
    const deltas = starts + segX2;
    const ranges = deltas + segX2;
    return (cp) => {
      for (let s = 0; s < segX2; s += 2) {
        if (cp > buf.readUInt16BE(ends + s)) continue;
        const start = buf.readUInt16BE(starts + s);
        if (cp < start) return 0;
        const delta = buf.readInt16BE(deltas + s);
        const ro = buf.readUInt16BE(ranges + s);
        if (!ro) return (cp + delta) & 0xffff;
        const g = buf.readUInt16BE(ranges + s + ro + 2 * (cp - start));
        return g ? (g + delta) & 0xffff : 0;
      }
      return 0;
    };
  }
  throw new Error('TrueType font has no Unicode (format 4) cmap');
}

export function parseFont(buf: Buffer): ParsedFont & { tables: Tables; numGlyphs: number; locaLong: boolean } {
  const t = tables(buf);
  const head = t.head!.offset;
  const hhea = t.hhea!.offset;
  const numberOfHMetrics = buf.readUInt16BE(hhea + 34);
  const hmtx = t.hmtx!.offset;
  const toUnicode = cmapFormat4(buf, t.cmap!);
  const os2 = t['OS/2'];
  const ascender = buf.readInt16BE(hhea + 4);
  return {
    tables: t,
    numGlyphs: buf.readUInt16BE(t.maxp!.offset + 4),
    locaLong: buf.readInt16BE(head + 50) === 1,
    unitsPerEm: buf.readUInt16BE(head + 18),
    bbox: [buf.readInt16BE(head + 36), buf.readInt16BE(head + 38), buf.readInt16BE(head + 40), buf.readInt16BE(head + 42)],
    ascender,
    descender: buf.readInt16BE(hhea + 6),
    capHeight: os2 && buf.readUInt16BE(os2.offset) >= 2 ? buf.readInt16BE(os2.offset + 88) : ascender,
    italicAngle: t.post ? buf.readInt32BE(t.post.offset + 4) / 65536 : 0,
    glyphOf: new Map(CODES.map((c) => [c, toUnicode(c)])),
    advance: (gid) => buf.readUInt16BE(hmtx + 4 * Math.min(gid, numberOfHMetrics - 1)),
  };
}

function pad4(b: Buffer): Buffer {
  return b.length % 4 ? Buffer.concat([b, Buffer.alloc(4 - (b.length % 4))]) : b;
}

function checksum(b: Buffer): number {
  const p = pad4(b);
  let sum = 0;
  for (let i = 0; i < p.length; i += 4) sum = (sum + p.readUInt32BE(i)) >>> 0;
  return sum;
}

/**
 * The font with every glyph outside `keep` (plus the components of composite glyphs) emptied; glyph ids, metrics and
 * cmap stay as they are, so nothing else needs renumbering. Layout tables (GPOS, GSUB, kern ...) and names are left
 * out: a simple PDF font uses none of them.
 */
export function subsetFont(buf: Buffer, keep: Iterable<number>): Buffer {
  const f = parseFont(buf);
  const t = f.tables;
  const glyphRange = (gid: number): [number, number] => {
    const loca = t.loca!.offset;
    return f.locaLong
      ? [buf.readUInt32BE(loca + 4 * gid), buf.readUInt32BE(loca + 4 * gid + 4)]
      : [2 * buf.readUInt16BE(loca + 2 * gid), 2 * buf.readUInt16BE(loca + 2 * gid + 2)];
  };
  const glyf = t.glyf!.offset;
  const wanted = new Set<number>([0]);
  const queue = [...keep];
  while (queue.length) {
    const gid = queue.pop()!;
    if (wanted.has(gid) && gid !== 0) continue;
    wanted.add(gid);
    const [a, b] = glyphRange(gid);
    if (b <= a || buf.readInt16BE(glyf + a) >= 0) continue;
    // Composite glyph: flags, glyphIndex, then arguments and an optional transform per component.
    let p = glyf + a + 10;
    for (;;) {
      const flags = buf.readUInt16BE(p);
      queue.push(buf.readUInt16BE(p + 2));
      p += 4 + (flags & 0x0001 ? 4 : 2) + (flags & 0x0008 ? 2 : flags & 0x0040 ? 4 : flags & 0x0080 ? 8 : 0);
      if (!(flags & 0x0020)) break;
    }
  }
  const parts: Buffer[] = [];
  const loca = Buffer.alloc(4 * (f.numGlyphs + 1));
  let at = 0;
  for (let gid = 0; gid < f.numGlyphs; gid++) {
    loca.writeUInt32BE(at, 4 * gid);
    if (!wanted.has(gid)) continue;
    const [a, b] = glyphRange(gid);
    const g = pad4(buf.subarray(glyf + a, glyf + b));
    parts.push(g);
    at += g.length;
  }
  loca.writeUInt32BE(at, 4 * f.numGlyphs);
  const head = Buffer.from(buf.subarray(t.head!.offset, t.head!.offset + t.head!.length));
  head.writeUInt32BE(0, 8); // checkSumAdjustment, set below
  head.writeInt16BE(1, 50); // long loca offsets
  const out: Record<string, Buffer> = { head, loca, glyf: Buffer.concat(parts) };
  for (const tag of ['OS/2', 'cmap', 'cvt ', 'fpgm', 'hhea', 'hmtx', 'maxp', 'prep']) {
    const e = t[tag];
    if (e) out[tag] = buf.subarray(e.offset, e.offset + e.length);
  }
  const tags = Object.keys(out).sort();
  const n = tags.length;
  const entrySelector = Math.floor(Math.log2(n));
  const header = Buffer.alloc(12 + 16 * n);
  header.writeUInt32BE(0x00010000, 0);
  header.writeUInt16BE(n, 4);
  header.writeUInt16BE(16 * 2 ** entrySelector, 6);
  header.writeUInt16BE(entrySelector, 8);
  header.writeUInt16BE(16 * n - 16 * 2 ** entrySelector, 10);
  let offset = header.length;
  const bodies: Buffer[] = [];
  tags.forEach((tag, i) => {
    const body = out[tag]!;
    const e = 12 + 16 * i;
    header.write(tag, e, 'latin1');
    header.writeUInt32BE(checksum(body), e + 4);
    header.writeUInt32BE(offset, e + 8);
    header.writeUInt32BE(body.length, e + 12);
    bodies.push(pad4(body));
    offset += pad4(body).length;
  });
  const font = Buffer.concat([header, ...bodies]);
  const headAt = header.readUInt32BE(12 + 16 * tags.indexOf('head') + 8);
  font.writeUInt32BE((0xb1b0afba - checksum(font)) >>> 0, headAt + 8);
  return font;
}

/** A PDF simple TrueType font (WinAnsiEncoding) from a .ttf file, subset to the report's characters. */
export function embedTrueType(doc: PDFDocument, path: string, name: string): PDFFont {
  const buf = readFileSync(path);
  const f = parseFont(buf);
  const scale = 1000 / f.unitsPerEm;
  const width = (code: number): number => Math.round(f.advance(f.glyphOf.get(code) ?? 0) * scale);
  const subset = subsetFont(buf, f.glyphOf.values());
  const ctx = doc.context;
  // A fixed subset tag keeps the bytes deterministic (same findings, same PDF).
  const baseName = `NEUROO+${name}`;
  const descriptor = ctx.obj({
    Type: 'FontDescriptor',
    FontName: baseName,
    Flags: 32, // nonsymbolic: WinAnsi codes map through the font's Unicode cmap
    FontBBox: f.bbox.map((v) => Math.round(v * scale)),
    ItalicAngle: f.italicAngle,
    Ascent: Math.round(f.ascender * scale),
    Descent: Math.round(f.descender * scale),
    CapHeight: Math.round(f.capHeight * scale),
    StemV: 80,
    FontFile2: ctx.register(ctx.flateStream(subset, { Length1: subset.length })),
  });
  const ref: PDFRef = ctx.register(
    ctx.obj({
      Type: 'Font',
      Subtype: 'TrueType',
      BaseFont: baseName,
      FirstChar: 32,
      LastChar: 255,
      Widths: Array.from({ length: 224 }, (_, i) => (CODES.includes(32 + i) ? width(32 + i) : 0)),
      Encoding: PDFName.of('WinAnsiEncoding'),
      FontDescriptor: ctx.register(descriptor),
    }),
  );
  const textWidth = (text: string, size: number): number => {
    let w = 0;
    for (const ch of text) w += width(ch.charCodeAt(0));
    return (w * size) / 1000;
  };
  const height = (size: number, descender = true): number => ((f.ascender - (descender ? f.descender : 0)) * size) / f.unitsPerEm;
  // The font objects are registered above, so embedding is a no-op.
  const embedder = {
    fontName: baseName,
    encodeText: (text: string) => PDFHexString.of(Buffer.from(text, 'latin1').toString('hex')),
    widthOfTextAtSize: textWidth,
    heightOfFontAtSize: (size: number, o?: { descender?: boolean }) => height(size, o?.descender ?? true),
    sizeOfFontAtHeight: (h: number) => (h * f.unitsPerEm) / (f.ascender - f.descender),
    embedIntoContext: () => Promise.resolve(),
  };
  // pdf-lib checks the embedder's class; ours answers every call itself (own properties shadow the prototype's).
  return PDFFont.of(ref, doc, Object.setPrototypeOf(embedder, CustomFontEmbedder.prototype) as CustomFontEmbedder);
}
