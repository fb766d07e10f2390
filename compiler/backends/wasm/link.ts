/**
 * @fileoverview The wasm back-end: IR → one self-contained .wasm per model.
 *
 * The module is the AssemblyScript kernels (runtime-wasm/assembly) plus generated functions:
 * `run` and `advance` — the schedule of one step as a straight list of kernel calls with every
 * address constant — `runJob`, the matrix work that worker threads share, and
 * `reset`/`worker`/`stop`. The weights and other constants go into the `trit.data` custom section,
 * which the host copies into memory (runtime-wasm/host/load.ts), and the metadata into the `trit`
 * custom section (runtime-wasm/host/format.ts).
 *
 * One file a phase: layout.ts (addresses), schedule.ts (the op table: kernel calls per IR op),
 * emit.ts (binaryen; the only file that imports it), meta.ts (the custom section); this file
 * runs them in order and checks the limits.
 *
 * Memory (one imported memory; min = max, so addresses never move):
 *   [0, 64 KiB)        the kernels' own static data
 *   control block      64 bytes, thread fork/join
 *   constants          packed ternary weights, gather tables, lookup tables (the trit.data section)
 *   values             inputs and states; an arena of node outputs and sum tables whose
 *                      buffers are reused once dead (layout.ts placeValues); the partial sums
 *                      of chunks 1..15 (docs/wasm.md §Threads)
 * Every integer value is stored as i32 whatever its dtype: exact, and one kernel per op.
 */
import type { IRGraph } from '../../ir/graph.js';
import type { TensorType } from '../../ir/types.js';
import { TritError } from '../../../common/errors.js';
import { customSection, concatBytes, dataPayload, setImportedMemory } from '../../../runtime-wasm/host/binary.js';
import { DATA_SECTION, META_SECTION, TOKENIZER_SECTION, type TokenizerFormat, type WasmMeta } from '../../../runtime-wasm/host/format.js';
import { kernelBytes, type SimdFlavour } from './kernels.js';
import { align, ConstPool, KERNEL_STATIC, Layout, MAX_THREADS, placeConstants, placeScratch, placeValues } from './layout.js';
import { schedule, type Ctx } from './schedule.js';
import { emitModule } from './emit.js';
import { fuseElementwise, noFusion } from './fuse.js';
import { buildMeta } from './meta.js';

export { MAX_THREADS } from './layout.js';

export interface WasmOptions {
  simd?: SimdFlavour;
  /** Record every value's address in the metadata (layer-by-layer tests). */
  debug?: boolean;
  vocab?: string[];
  classes?: string[];
  /** A tokenizer file carried in the module (runtime-wasm/host/format.ts, TOKENIZER_SECTION). */
  tokenizer?: { format: TokenizerFormat; file: string; bytes: Uint8Array; addBos: boolean };
  /** Fuse chains of elementwise nodes into generated loops (fuse.ts; default true). Off: one
   *  kernel call per node, every value in memory (A/B measurements, debugging a kernel). */
  fuse?: boolean;
  /** Matrices with fewer weights run on one thread (fork/join costs more than they do). */
  threadMinWeights?: number;
  /** binaryen optimisation level (0–4). */
  optimize?: number;
  /** Limits to refuse at (default: wasm32's 4 GiB of memory, V8's 1 GiB per module). */
  limits?: { memoryBytes?: number; moduleBytes?: number; device?: string };
  /** Progress: stage ('pack', 'optimize', 'assemble') and how far along. */
  onProgress?: (stage: string, done: number, total: number) => void;
}

export interface LinkedWasm {
  bytes: Uint8Array;
  meta: WasmMeta;
  /** Values computed inside fused loops, which have no buffer (absent from meta.values). */
  internal: Set<string>;
}

/** Largest memory a wasm32 module can declare: 65536 pages of 64 KiB. */
export const WASM32_MAX_BYTES = 2 ** 32;
/** Engines refuse to compile larger modules (V8's kV8MaxWasmModuleSize is 1 GiB); the constants
 *  are not compiled (they travel in DATA_SECTION), so this bounds code, metadata and tokenizer. */
export const MAX_MODULE_BYTES = 2 ** 30;

/** Links IR into a .wasm. */
export function linkWasm(source: IRGraph, opts: WasmOptions = {}): LinkedWasm {
  const simd = opts.simd ?? 'fixed';
  const minWeights = opts.threadMinWeights ?? 1 << 19;
  const progress = opts.onProgress ?? (() => {});
  const kernels = kernelBytes(simd);
  const L = new Layout(KERNEL_STATIC);
  const ctl = L.alloc(64, 64);
  const pool = new ConstPool(L, source);
  const types = new Map<string, TensorType>([
    ...source.inputs.map((i) => [i.name, i.type] as const),
    ...source.nodes.map((n) => [n.out, n.type] as const),
  ]);
  const typeOf = (name: string): TensorType => (name.startsWith('@') ? pool.constOf(name).type : types.get(name)!);
  const fusion = opts.fuse === false ? noFusion(source) : fuseElementwise(source, typeOf);
  const g = fusion.graph;

  placeConstants(g, pool, typeOf, progress);
  const activationStart = L.end;
  const values = placeValues(g, L, pool, typeOf, !opts.debug, fusion);
  const { scratch, stride } = placeScratch(g, L, pool, typeOf, minWeights);
  const ctx: Ctx = {
    pool,
    values,
    typeOf,
    ctl,
    scratch,
    stride,
    minWeights,
    fusion,
    fused: [],
    jobs: [],
    jobFor: new Map(),
    matrices: new Set(),
    shared: new Set(),
  };
  const { runCalls, advanceCalls } = schedule(g, ctx);
  const pages = align(L.end, 65536) / 65536;
  checkMemory(g, L, pages * 65536, opts.limits);

  progress('optimize (binaryen)', 0, 1);
  const code = emitModule(
    kernels,
    {
      runCalls,
      advanceCalls,
      jobs: ctx.jobs,
      ctl,
      commits: values.commits,
      states: values.states,
      scratch,
      stride,
      fused: ctx.fused,
    },
    opts.optimize ?? 2,
  );
  progress('optimize (binaryen)', 1, 1);
  const meta = buildMeta(g, {
    values,
    typeOf,
    pages,
    ctl,
    maxThreads: MAX_THREADS,
    simd,
    vocab: opts.vocab,
    classes: opts.classes,
    threading: { matrices: ctx.matrices.size, shared: ctx.shared.size, minWeights },
    sizes: { weights: L.constBytes.weights, tables: L.constBytes.tables, activations: L.end - activationStart, kernels: kernels.length },
    tokenizer: opts.tokenizer && {
      format: opts.tokenizer.format,
      file: opts.tokenizer.file,
      bytes: opts.tokenizer.bytes.length,
      addBos: opts.tokenizer.addBos,
    },
  });
  if (opts.debug)
    meta.values = Object.fromEntries([...values.addr].map(([k, v]) => [k, { offset: v, n: typeOf(k).shape.reduce((a, b) => a * b, 1) }]));
  // Declared shared: where shared memory exists the host compiles the file untouched (streaming
  // from disk in Node); a page without cross-origin isolation gets it flipped to unshared.
  // The constants travel in their own custom section, which the host copies into memory: as data
  // segments, the engine would keep them in the module's bytes beside the memory (binary.ts).
  // Engines limit what they compile — everything but the constants.
  const compiled = [
    setImportedMemory(code, pages, true),
    customSection(META_SECTION, new TextEncoder().encode(JSON.stringify(meta))),
    ...(opts.tokenizer ? [customSection(TOKENIZER_SECTION, opts.tokenizer.bytes)] : []),
  ];
  checkModule(
    g,
    compiled.reduce((n, b) => n + b.length, 0),
    opts.limits,
  );
  const out = concatBytes([compiled[0], customSection(DATA_SECTION, concatBytes(dataPayload(L.segments))), ...compiled.slice(1)]);
  return { bytes: out, meta, internal: fusion.internal };
}

function checkMemory(g: IRGraph, L: Layout, bytes: number, limits: WasmOptions['limits']): void {
  const limit = limits?.memoryBytes ?? WASM32_MAX_BYTES;
  if (bytes <= limit) return;
  throw new TritError(
    `the model needs ${(bytes / 2 ** 20).toFixed(0)} MiB of linear memory; ${limits?.device ?? 'wasm32'} addresses at most ${(limit / 2 ** 20).toFixed(0)} MiB ` +
      `(weights ${(L.constBytes.weights / 2 ** 20).toFixed(0)} MiB, other constants ${(L.constBytes.tables / 2 ** 20).toFixed(0)} MiB)`,
    { file: g.name },
    'a smaller model, or narrower embedding tables (lower tableBits)',
  );
}

function checkModule(g: IRGraph, bytes: number, limits: WasmOptions['limits']): void {
  const limit = limits?.moduleBytes ?? MAX_MODULE_BYTES;
  if (bytes <= limit) return;
  throw new TritError(
    `the .wasm's code and metadata would be ${(bytes / 2 ** 20).toFixed(0)} MiB; ${limits?.device ?? 'engines'} refuse modules over ${(limit / 2 ** 20).toFixed(0)} MiB${limits ? '' : ' (V8)'}`,
    { file: g.name },
    'a smaller model, or a smaller vocabulary or tokenizer (the metadata carries them)',
  );
}
