/**
 * @fileoverview Opening a model file for loading: its code (every section but the constants) to
 * compile, and its constants (format.ts DATA_SECTION) copied straight into linear memory.
 *
 * Why: an engine keeps a compiled module's bytes for the module's lifetime, so constants carried
 * as data segments were held twice, and a whole file read first made it three times (the 370M:
 * 745 MiB peak for 227 MiB of memory). A path in Node is read a section at a time, and the
 * constants go from the file into memory without a copy in between; bytes or a fetched file are
 * split the same way and can be dropped once copied.
 */
import { TritError } from '../../common/errors.js';
import { importedMemory, splitModule, WasmFormatError, type ReadAt, type SplitModule } from './binary.js';
import { DATA_SECTION } from './format.js';
import { importNode, isNode } from './node.js';

/** A model: its bytes, or a path (Node) or URL to fetch. */
export type Source = Uint8Array | ArrayBuffer | string | URL;

/** An opened model file. `fill` copies the constants into memory; `close` lets the file go. */
export interface OpenModule {
  name: string;
  /** The module without its constants: ours to modify (a copy, never the caller's bytes). */
  code: Uint8Array;
  fill(memory: WebAssembly.Memory): void;
  close(): void;
}

/** Reads of a file on disk through Node's synchronous fs, a piece at a time. */
interface DiskFile {
  size: number;
  read: ReadAt;
  readInto(at: number, into: Uint8Array): void;
  close(): void;
}

/** A WasmFormatError as the user sees it: the file named, what to do. Other errors pass through. */
export const notWasm = (e: unknown, name: string): unknown =>
  e instanceof WasmFormatError
    ? new TritError(`not a valid .wasm: ${e.message}`, { file: name }, 'recompile it with `trit compile <model.onnx> --target wasm`')
    : e;

function split(size: number, read: ReadAt, name: string): SplitModule {
  try {
    return splitModule(size, read, DATA_SECTION, (code) => importedMemory(code).pages * 65536);
  } catch (e) {
    throw notWasm(e, name);
  }
}

/** Opens a model from bytes, a URL (fetched) or, in Node, a path (read piece by piece). */
export async function openModule(src: Source, nameOpt?: string): Promise<OpenModule> {
  const name = nameOpt ?? (typeof src === 'string' ? src : src instanceof URL ? src.href : 'model.wasm');
  let bytes: Uint8Array | null = src instanceof Uint8Array ? src : src instanceof ArrayBuffer ? new Uint8Array(src) : null;
  const s = String(src);
  if (!bytes && (/^(https?|blob|data):/.test(s) || !isNode())) {
    const r = await fetch(s);
    if (!r.ok) throw new TritError(`HTTP ${r.status} fetching the model`, { file: s });
    bytes = new Uint8Array(await r.arrayBuffer());
  }
  if (bytes) {
    const b = bytes;
    const { code, segments } = split(b.length, (pos, len) => b.subarray(pos, pos + len), name);
    return {
      name,
      code,
      fill: (memory) => {
        for (const g of segments) new Uint8Array(memory.buffer, g.offset, g.length).set(b.subarray(g.at, g.at + g.length));
      },
      close: () => {
        bytes = null;
      },
    };
  }
  const path = s.startsWith('file:') ? (await importNode<typeof import('node:url')>('url')).fileURLToPath(s) : s;
  const file = await openDisk(path);
  try {
    const { code, segments } = split(file.size, file.read, path);
    return {
      name: nameOpt ?? path,
      code,
      fill: (memory) => {
        for (const g of segments) file.readInto(g.at, new Uint8Array(memory.buffer, g.offset, g.length));
      },
      close: () => file.close(),
    };
  } catch (e) {
    file.close();
    throw e;
  }
}

/** Opens a regular file for reads at positions; refuses directories, FIFOs and devices by name. */
async function openDisk(path: string): Promise<DiskFile> {
  const fs = await importNode<typeof import('node:fs')>('fs');
  let fd: number;
  try {
    fd = fs.openSync(path, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new TritError(`cannot read the model: ${(e as Error).message}`, { file: path });
  }
  const st = fs.fstatSync(fd);
  if (!st.isFile()) {
    fs.closeSync(fd);
    throw new TritError('not a regular file (a directory, pipe or device)', { file: path }, 'give the path of a compiled .wasm');
  }
  const readInto = (at: number, into: Uint8Array) => {
    for (let done = 0; done < into.length;) {
      const n = fs.readSync(fd, into, done, Math.min(into.length - done, 1 << 26), at + done);
      if (n === 0) throw new TritError('the file ended early (it changed while being read?)', { file: path }, 'read it again');
      done += n;
    }
  };
  return {
    size: st.size,
    read: (pos, len) => {
      const b = new Uint8Array(len);
      readInto(pos, b);
      return b;
    },
    readInto,
    close: () => fs.closeSync(fd),
  };
}
