/**
 * @fileoverview Just enough of the wasm binary format to splice sections: LEB128, the section
 * list, the memory import's limits, data segments and custom sections.
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

export function sleb32(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
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

/** An active data segment for memory 0. */
export interface DataSegment {
  offset: number;
  bytes: Uint8Array;
}

/** Appends active data segments to the module's data section (creating it if needed). */
export function appendData(b: Uint8Array, segs: DataSegment[]): Uint8Array {
  const secs = readSections(b);
  const data = secs.find((s) => s.id === 11);
  const parts: Uint8Array[] = [];
  let count = segs.length;
  let oldBody = new Uint8Array(0);
  if (data) {
    const [c, p] = readUleb(b, data.body[0]);
    count += c;
    oldBody = b.subarray(p, data.body[1]) as Uint8Array<ArrayBuffer>;
  }
  parts.push(Uint8Array.from(uleb(count)), oldBody);
  for (const s of segs) {
    parts.push(Uint8Array.from([0x00, 0x41, ...sleb32(s.offset | 0), 0x0b, ...uleb(s.bytes.length)]), s.bytes);
  }
  const newData = section(11, concatBytes(parts));
  // The data-count section, when present, must agree.
  const out: Uint8Array[] = [];
  let placed = false;
  out.push(b.subarray(0, 8));
  for (const s of secs) {
    if (s.id === 12) {
      out.push(section(12, uleb(count)));
      continue;
    }
    if (s.id === 11) {
      out.push(newData);
      placed = true;
      continue;
    }
    if (!placed && s.id === 0 && secs.some((t) => t.id === 10) && s.start > secs.find((t) => t.id === 10)!.start) {
      out.push(newData);
      placed = true;
    }
    out.push(b.subarray(s.start, s.end));
  }
  if (!placed) out.push(newData);
  return concatBytes(out);
}
