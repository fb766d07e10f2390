/**
 * @fileoverview Just enough of the wasm binary format to splice sections: LEB128, the section
 * list, the memory import's limits, custom sections and the constants' segment table.
 *
 * Why hand-written: binaryen.js copies every byte of a module through its own heap, and a 370M
 * model's 150 MB of weights would cost several copies there; the compiler builds the code with
 * binaryen and appends the weights here. The host uses the same reader to choose shared or
 * unshared memory at load time (one .wasm serves one thread or many). No Node built-ins.
 */

export class WasmFormatError extends Error {}

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Reads an unsigned LEB128 at pos; returns [value, next position]. */
export function readUleb(b: Uint8Array, pos: number): [number, number] {
  let v = 0,
    mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= b.length) throw new WasmFormatError('truncated LEB128 number');
    const byte = b[pos++];
    v += (byte & 0x7f) * mul;
    if ((byte & 0x80) === 0) return [v, pos];
    mul *= 128;
  }
  throw new WasmFormatError('malformed LEB128 number');
}

export interface Section {
  id: number;
  start: number;
  end: number;
  /** payload bounds */ body: [number, number];
}

/** The module's sections, checked to tile the file exactly. */
export function readSections(b: Uint8Array): Section[] {
  if (b.length < 8 || b[0] !== 0 || b[1] !== 0x61 || b[2] !== 0x73 || b[3] !== 0x6d) {
    throw new WasmFormatError('not a WebAssembly module (bad magic number)');
  }
  if (b[4] !== 1 || b[5] !== 0 || b[6] !== 0 || b[7] !== 0) throw new WasmFormatError('unsupported WebAssembly binary version');
  const out: Section[] = [];
  let pos = 8;
  while (pos < b.length) {
    const start = pos;
    const id = b[pos++];
    const [size, p] = readUleb(b, pos);
    if (p + size > b.length) throw new WasmFormatError(`section ${id} runs past the end of the file (truncated?)`);
    out.push({ id, start, end: p + size, body: [p, p + size] });
    pos = p + size;
  }
  return out;
}

function name(s: string): number[] {
  const e = new TextEncoder().encode(s);
  return [...uleb(e.length), ...e];
}

export function section(id: number, payload: Uint8Array | number[]): Uint8Array {
  const head = [id, ...uleb(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

export function customSection(sectionName: string, payload: Uint8Array): Uint8Array {
  const n = name(sectionName);
  const body = new Uint8Array(n.length + payload.length);
  body.set(n, 0);
  body.set(payload, n.length);
  return section(0, body);
}

/** Reads the custom section `want` (the first one), or null. */
export function readCustom(b: Uint8Array, want: string): Uint8Array | null {
  for (const s of readSections(b)) {
    if (s.id !== 0) continue;
    const [len, p] = readUleb(b, s.body[0]);
    const nm = new TextDecoder().decode(b.subarray(p, p + len));
    if (nm === want) return b.subarray(p + len, s.body[1]);
  }
  return null;
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Where the imported memory's limits sit in the file, and what they say. */
function memoryImport(b: Uint8Array): { imp: Section; limStart: number; limEnd: number; pages: number; shared: boolean } {
  const imp = readSections(b).find((s) => s.id === 2);
  if (!imp) throw new WasmFormatError('module has no import section (no imported memory)');
  let pos = imp.body[0];
  let count: number;
  [count, pos] = readUleb(b, pos);
  const skipName = () => {
    let l: number;
    [l, pos] = readUleb(b, pos);
    pos += l;
  };
  for (let i = 0; i < count; i++) {
    skipName();
    skipName();
    const kind = b[pos++];
    if (kind === 0) {
      [, pos] = readUleb(b, pos);
      continue;
    } // function: type index
    if (kind === 1) {
      pos++;
      const f = b[pos++];
      [, pos] = readUleb(b, pos);
      if (f & 1) [, pos] = readUleb(b, pos);
      continue;
    } // table
    if (kind === 3) {
      pos += 2;
      continue;
    } // global: type, mutability
    if (kind !== 2) throw new WasmFormatError(`unknown import kind ${kind}`);
    const limStart = pos;
    const flags = b[pos++];
    let pages: number;
    [pages, pos] = readUleb(b, pos);
    if (flags & 1) [, pos] = readUleb(b, pos);
    return { imp, limStart, limEnd: pos, pages, shared: (flags & 2) !== 0 };
  }
  throw new WasmFormatError('module imports no memory');
}

/**
 * Rewrites the limits of the (single) imported memory: min = max = pages, shared or not.
 * Every other byte of the module is kept.
 */
export function setImportedMemory(b: Uint8Array, pages: number, shared: boolean): Uint8Array {
  const { imp, limStart, limEnd } = memoryImport(b);
  const lim = [shared ? 3 : 1, ...uleb(pages), ...uleb(pages)];
  const body = concatBytes([b.subarray(imp.body[0], limStart), Uint8Array.from(lim), b.subarray(limEnd, imp.body[1])]);
  return concatBytes([b.subarray(0, imp.start), section(2, body), b.subarray(imp.end)]);
}

/** Flips the imported memory's shared flag in place (same length: the flag is one byte whose
 *  other bit, "has a maximum", stays set). Returns the same array. */
export function setSharedFlagInPlace(b: Uint8Array, shared: boolean): Uint8Array {
  const { limStart } = memoryImport(b);
  if ((b[limStart] & 1) === 0) throw new WasmFormatError('imported memory has no maximum');
  b[limStart] = shared ? 3 : 1;
  return b;
}

/** Memory limits of the imported memory: pages and whether it is shared. */
export function importedMemory(b: Uint8Array): { pages: number; shared: boolean } {
  const { pages, shared } = memoryImport(b);
  return { pages, shared };
}

/** Bytes for linear memory at `offset` (the model's constants). */
export interface DataSegment {
  offset: number;
  bytes: Uint8Array;
}

/**
 * The payload of the constants' custom section (format.ts DATA_SECTION): a u32 count, then
 * (offset, length) u32 pairs, then the bytes of every segment in order, all little-endian. Why
 * not active data segments: an engine keeps a module's bytes as long as the module lives, so
 * weights in data segments sit in memory twice (a 370M model: 209 MiB of module beside 227 MiB
 * of linear memory); the host copies this section into memory itself and compiles only the rest.
 */
export function dataPayload(segs: DataSegment[]): Uint8Array[] {
  const head = new DataView(new ArrayBuffer(4 + 8 * segs.length));
  head.setUint32(0, segs.length, true);
  segs.forEach((s, i) => {
    head.setUint32(4 + 8 * i, s.offset, true);
    head.setUint32(8 + 8 * i, s.bytes.length, true);
  });
  return [new Uint8Array(head.buffer), ...segs.map((s) => s.bytes)];
}

/** Reads `len` bytes at `pos` of a module file (a view of bytes in memory, or a read from disk). */
export type ReadAt = (pos: number, len: number) => Uint8Array;

/** A module split for loading: the code (every section but the constants) and where the
 *  constants' segments sit in the file. */
export interface SplitModule {
  code: Uint8Array;
  segments: { offset: number; length: number; at: number }[];
}

/**
 * Walks a module of `size` bytes through `read` without holding it whole: sections are copied
 * into `code` except the custom section `dataName`, whose segment table is read and checked to
 * tile its payload exactly and to fit `memoryBytes(code)`.
 */
export function splitModule(size: number, read: ReadAt, dataName: string, memoryBytes: (code: Uint8Array) => number): SplitModule {
  const head = read(0, Math.min(8, size));
  readSections(head); // checks the magic number and version, with their errors
  const parts: Uint8Array[] = [head];
  let data: [number, number] | null = null;
  for (let pos = 8; pos < size;) {
    const h = read(pos, Math.min(16, size - pos));
    const [len, p] = readUleb(h, 1);
    const start = pos + p,
      end = start + len;
    if (end > size) throw new WasmFormatError(`section ${h[0]} runs past the end of the file (truncated?)`);
    if (h[0] === 0 && data === null) {
      const nh = read(start, Math.min(len, 5 + dataName.length));
      const [nlen, q] = readUleb(nh, 0);
      if (nlen === dataName.length && new TextDecoder().decode(nh.subarray(q, q + nlen)) === dataName) data = [start + q + nlen, end];
    }
    if (data === null || data[1] !== end) parts.push(read(pos, end - pos));
    pos = end;
  }
  const code = concatBytes(parts);
  return { code, segments: data ? segmentTable(read, data, memoryBytes(code)) : [] };
}

/** The (offset, length) table of the constants' section, checked against its payload and the memory. */
function segmentTable(read: ReadAt, [from, to]: [number, number], memory: number): SplitModule['segments'] {
  const bad = (why: string) => new WasmFormatError(`the constants section is corrupt: ${why}`);
  if (to - from < 4) throw bad('no segment count');
  const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength); // b may be a view (a Node Buffer)
  const count = view(read(from, 4)).getUint32(0, true);
  if (count > (to - from - 4) / 8) throw bad(`${count} segments do not fit its ${to - from} bytes`);
  const table = view(read(from + 4, 8 * count));
  const out: SplitModule['segments'] = [];
  let at = from + 4 + 8 * count;
  for (let i = 0; i < count; i++) {
    const offset = table.getUint32(8 * i, true),
      length = table.getUint32(8 * i + 4, true);
    if (offset + length > memory) throw bad(`segment ${i} (${length} bytes at ${offset}) lies outside the ${memory} bytes of memory`);
    out.push({ offset, length, at });
    at += length;
  }
  if (at !== to) throw bad(`its segments hold ${at - from} bytes but the section ${to - from}`);
  return out;
}
