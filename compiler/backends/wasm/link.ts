/**
 * @fileoverview The wasm back-end: IR → one self-contained .wasm per model.
 *
 * The module is the AssemblyScript kernels (runtime-wasm/assembly) plus, generated here with
 * binaryen: `run` and `advance` — the schedule of one step as a straight list of kernel calls
 * with every address constant — `runJob`, the matrix work that worker threads share, and
 * `reset`/`worker`/`stop`. The weights and other constants are appended as active data segments
 * (binary.ts), and the metadata as the `trit` custom section (runtime-wasm/host/format.ts).
 *
 * Memory (one imported memory; min = max, so addresses never move):
 *   [0, 64 KiB)        the kernels' own static data
 *   control block      64 bytes, thread fork/join
 *   constants          packed ternary weights, gather tables, lookup tables (data segments)
 *   values             every IR value as i32 (f32 at edges), states, staging, sum tables,
 *                      the partial sums of threads 1..7 (docs/wasm.md §Threads)
 * Every integer value is stored as i32 whatever its dtype: exact, and one kernel per op.
 */
import binaryen from 'binaryen';
import type { RoundMode } from '../../ir/arith.js';
import { BINARY_CODES, UNARY_CODES, roundCode as modeCode } from './codes.js';
import type { Const, IRGraph, IRNode } from '../../ir/graph.js';
import { dtypeRange, numel, satRange, type TensorType } from '../../ir/types.js';
import { graphStats } from '../../ir/stats.js';
import { recipSeedTable, rsqrtSeedTable } from '../../ir/newton.js';
import { bIndex } from '../../ir/broadcast.js';
import { TritError } from '../../../common/errors.js';
import { VERSION } from '../../../common/version.js';
import { appendData, customSection, concatBytes, setImportedMemory, type DataSegment } from '../../../runtime-wasm/host/binary.js';
import { META_SECTION, TOKENIZER_SECTION, WASM_FORMAT, type TensorSlot, type TokenizerFormat, type WasmMeta } from '../../../runtime-wasm/host/format.js';
import { kernelBytes, type SimdFlavour } from './kernels.js';
import { lutBytes, packLut, TILE } from './pack.js';

export interface WasmOptions {
  simd?: SimdFlavour;
  /** Record every value's address in the metadata (layer-by-layer tests). */
  debug?: boolean;
  vocab?: string[];
  classes?: string[];
  /** A tokenizer file carried in the module (runtime-wasm/host/format.ts, TOKENIZER_SECTION). */
  tokenizer?: { format: TokenizerFormat; file: string; bytes: Uint8Array; addBos: boolean };
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
}

/** Largest memory a wasm32 module can declare: 65536 pages of 64 KiB. */
export const WASM32_MAX_BYTES = 2 ** 32;
/** Engines refuse larger modules (V8's kV8MaxWasmModuleSize is 1 GiB). */
export const MAX_MODULE_BYTES = 2 ** 30;

const KERNEL_STATIC = 65536;
const REDUCE_OPS: Record<string, number> = { reduce_sum: 0, reduce_max: 1, reduce_absmax: 2, argmax: 3 };
/** Beyond this many runs a broadcast uses index tables instead of one call per run. */
const MAX_RUNS = 16;

/** A kernel argument: a constant, or 'n' — the thread count `run` was called with. */
type Arg = number | bigint | 'n';
interface Call { fn: string; args: Arg[] }
/**
 * A share of matrix work, run by `runJob(job, tid, n)` on every thread. Lookup-table matmuls split
 * the inputs (`units` = groups of 4): thread t sums its groups into `out` (t = 0) or into its
 * partial buffer, which `combine` adds afterwards. The general kernel splits the outputs.
 */
interface Job { fn: 'matmulLutShare' | 'matmulGeneric'; fixed: Arg[]; units: number; weights: number; build?: 0 | 1 }

/** Threads a model can be run with (the partial-sum buffers are sized for this many). */
export const MAX_THREADS = 8;

const align = (n: number, a: number) => Math.ceil(n / a) * a;

/** Bytes one element of a gather table takes. */
const WIDTH = { i8: 1, i16: 2, i32: 4, f32: 4 } as const;

class Layout {
  private top: number;
  readonly segments: DataSegment[] = [];
  constBytes = { weights: 0, tables: 0 };
  constructor(start: number) { this.top = start; }
  alloc(bytes: number, a = 16): number {
    this.top = align(this.top, a);
    const at = this.top;
    this.top += Math.max(bytes, 0);
    return at;
  }
  data(bytes: Uint8Array, kind: 'weights' | 'tables'): number {
    const at = this.alloc(bytes.length);
    this.segments.push({ offset: at, bytes });
    this.constBytes[kind] += bytes.length;
    return at;
  }
  get end(): number { return this.top; }
}

function bytesOf(a: Int8Array | Int16Array | Int32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Links IR into a .wasm. */
export function linkWasm(g: IRGraph, opts: WasmOptions = {}): LinkedWasm {
  const simd = opts.simd ?? 'fixed';
  const minWeights = opts.threadMinWeights ?? 1 << 19;
  const kernels = kernelBytes(simd);
  const L = new Layout(KERNEL_STATIC);
  const ctl = L.alloc(64, 64);
  const types = new Map<string, TensorType>();
  for (const i of g.inputs) types.set(i.name, i.type);
  for (const n of g.nodes) types.set(n.out, n.type);
  const typeOf = (name: string): TensorType => (name.startsWith('@') ? constOf(name).type : types.get(name)!);
  const constOf = (name: string): Const => {
    const c = g.consts.get(name);
    if (!c) throw new TritError(`no constant '${name}'`, { tensor: name });
    return c;
  };

  // ---- constants, each in the form its kernel reads, placed once ----------------------------
  const placed = new Map<string, number>();
  const once = (key: string, make: () => number) => {
    let at = placed.get(key);
    if (at === undefined) placed.set(key, (at = make()));
    return at;
  };
  const constI32 = (name: string) => once(`${name}:i32`, () => L.data(bytesOf(Int32Array.from(constOf(name).data)), 'tables'));
  const gatherTable = (name: string) => once(`${name}:gather`, () => {
    const c = constOf(name);
    const d = c.type.dtype === 'i8' ? Int8Array.from(c.data) : c.type.dtype === 'i16' ? Int16Array.from(c.data) : Int32Array.from(c.data);
    return L.data(bytesOf(d), 'tables');
  });
  const lutWeights = (name: string) => once(`${name}:lut`, () => {
    const c = constOf(name);
    const [N, K] = c.type.shape;
    return L.data(packLut(c.data, N, K), 'weights');
  });
  const i8Weights = (name: string) => once(`${name}:i8`, () => L.data(bytesOf(Int8Array.from(constOf(name).data)), 'weights'));
  const seeds = (op: 'recip' | 'rsqrt', bits: number) => once(`seed:${op}${bits}`, () =>
    L.data(bytesOf(Int32Array.from(op === 'recip' ? recipSeedTable(bits) : rsqrtSeedTable(bits))), 'tables'));

  // Place constants first so the mutable region sits above every data segment.
  const progress = opts.onProgress ?? (() => {});
  const matrices = g.nodes.filter((n) => n.op === 'ternary_matmul').length;
  let packed = 0;
  for (const n of g.nodes) {
    if (n.op === 'ternary_matmul') progress('pack weights', ++packed, matrices);
    if (n.op === 'ternary_matmul') {
      if (typeOf(n.inputs[0]).dtype === 'i8') lutWeights(n.inputs[1]); else i8Weights(n.inputs[1]);
    } else if (n.op === 'gather') gatherTable(n.inputs[0]);
    else for (const i of n.inputs) if (i.startsWith('@')) constI32(i);
    if (n.op === 'recip' || n.op === 'rsqrt') seeds(n.op, n.attrs.lutbits as number);
  }

  const activationStart = L.end;
  const idLimits = new Map<string, number>();
  for (const n of g.nodes) if (n.op === 'gather') idLimits.set(n.inputs[1], constOf(n.inputs[0]).type.shape[0]);
  // ---- values -------------------------------------------------------------------------------
  const addr = new Map<string, number>();
  const valueBytes = (t: TensorType) => numel(t.shape) * 4;
  const inputs: TensorSlot[] = g.inputs.map((i) => {
    const offset = L.alloc(valueBytes(i.type));
    addr.set(i.name, offset);
    const sl = slot(i.name, i.type, offset);
    if (idLimits.has(i.name)) sl.limit = idLimits.get(i.name);
    return sl;
  });
  const stateAddr = new Map<string, number>();
  const states = g.states.map((s) => {
    const offset = L.alloc(valueBytes(s.type));
    stateAddr.set(s.name, offset);
    return { name: s.name, offset, bytes: valueBytes(s.type) };
  });
  const commits: { state: number; staging: number; bytes: number }[] = [];
  for (const n of g.nodes) {
    if (n.op === 'reshape') addr.set(n.out, addr.get(n.inputs[0])!);
    else if (n.op === 'state_read') addr.set(n.out, stateAddr.get(n.attrs.state as string)!);
    else addr.set(n.out, L.alloc(valueBytes(n.type)));
    if (n.op === 'state_write') commits.push({ state: stateAddr.get(n.attrs.state as string)!, staging: addr.get(n.out)!, bytes: valueBytes(n.type) });
  }
  // Sum tables of the lookup kernel, one per distinct matrix input.
  const tableAddr = new Map<string, number>();
  for (const n of g.nodes) {
    if (n.op !== 'ternary_matmul' || typeOf(n.inputs[0]).dtype !== 'i8' || tableAddr.has(n.inputs[0])) continue;
    const xs = typeOf(n.inputs[0]).shape;
    const rows = numel(xs) / xs.at(-1)!;
    tableAddr.set(n.inputs[0], L.alloc(rows * Math.ceil(xs.at(-1)! / 4) * 64));
  }
  // ---- the schedule -------------------------------------------------------------------------
  const jobs: Job[] = [];
  const matrixNodes = new Set<string>(), sharedMatrices = new Set<string>();
  const roundCode = (n: IRNode) => modeCode((n.attrs.round as RoundMode) ?? 'floor');
  // A node without `sat` gets the whole i32 range: the range analysis proved its values fit its
  // dtype, so there is nothing to clamp, and the kernels take their no-clamp fast paths.
  const clampOf = (n: IRNode): [bigint, bigint] => {
    const [lo, hi] = n.attrs.sat === true ? satRange(n.type.dtype) : dtypeRange('i32');
    return [BigInt(lo), BigInt(hi)];
  };
  const jobFor = new Map<string, number>();
  // Partial sums of threads 1..MAX_THREADS−1 for split matmuls: one stride per thread.
  let stride = 0;
  for (const n of g.nodes) {
    if (n.op !== 'ternary_matmul' || typeOf(n.inputs[0]).dtype !== 'i8') continue;
    const xs = typeOf(n.inputs[0]).shape, [N] = constOf(n.inputs[1]).type.shape;
    if ((numel(xs) / xs.at(-1)!) * N * xs.at(-1)! >= minWeights) stride = Math.max(stride, align((numel(xs) / xs.at(-1)!) * N, 4));
  }
  const scratch = L.alloc((MAX_THREADS - 1) * stride * 4, 64);

  /** Kernel calls for one node (`built` tracks which sum tables this function has filled). */
  function callsFor(n: IRNode, built: Set<string>): Call[] {
    const o = addr.get(n.out)!;
    const x = n.inputs.length && !n.inputs[0].startsWith('@') ? addr.get(n.inputs[0])! : 0;
    const count = numel(n.type.shape);
    switch (n.op) {
      case 'quantize': {
        const [lo, hi] = satRange(n.type.dtype);
        return [{ fn: 'quantize', args: [o, x, count, 2 ** n.type.frac, roundCode(n), lo, hi] }];
      }
      case 'dequantize':
        return [{ fn: 'dequantize', args: [o, x, count, 2 ** -typeOf(n.inputs[0]).frac] }];
      case 'ternary_matmul': {
        const xs = typeOf(n.inputs[0]).shape;
        const K = xs.at(-1)!, rows = numel(xs) / K;
        const [N] = constOf(n.inputs[1]).type.shape;
        const out: Call[] = [];
        const forked = N * K * rows >= minWeights;
        matrixNodes.add(n.out); // once per node, though `run` and `advance` both schedule it
        if (forked) sharedMatrices.add(n.out);
        if (typeOf(n.inputs[0]).dtype === 'i8') {
          // The first matrix reading an input builds its sum tables (inside the job, each thread
          // its own share); later ones — the MLGRU's other projections, the GLU's up — reuse them.
          const build = built.has(n.inputs[0]) ? 0 : 1;
          built.add(n.inputs[0]);
          const key = `${n.out}|${build}`;
          let job = jobFor.get(key);
          if (job === undefined) {
            jobs.push({ fn: 'matmulLutShare', fixed: [o, tableAddr.get(n.inputs[0])!, x, lutWeights(n.inputs[1]), rows, K, N], units: Math.ceil(K / 4), weights: N * K * rows, build });
            jobFor.set(key, (job = jobs.length - 1));
          }
          out.push({ fn: 'fork', args: [ctl, job, forked ? 'n' : 1] });
          if (forked) out.push({ fn: 'combine', args: [o, scratch, rows * N, stride, 'n'] });
        } else {
          let job = jobFor.get(n.out);
          if (job === undefined) {
            jobs.push({ fn: 'matmulGeneric', fixed: [o, x, i8Weights(n.inputs[1]), rows, K, N], units: N, weights: N * K * rows });
            jobFor.set(n.out, (job = jobs.length - 1));
          }
          out.push({ fn: 'fork', args: [ctl, job, forked ? 'n' : 1] });
        }
        return out;
      }
      case 'add': case 'sub': case 'max': case 'min': case 'mul': case 'mulc': case 'divround':
        return binaryCalls(n, o, count);
      case 'neg': case 'abs': case 'shift': case 'sat': {
        const [lo, hi] = n.op === 'sat' ? [BigInt(n.attrs.lo as number), BigInt(n.attrs.hi as number)] : clampOf(n);
        return [{ fn: 'unary', args: [UNARY_CODES[n.op], o, x, count, (n.attrs.by as number) ?? 0, roundCode(n), lo, hi] }];
      }
      case 'lut': {
        const T = constOf(n.inputs[1]);
        return [{ fn: 'lut', args: [o, x, count, constI32(n.inputs[1]), T.data.length, n.attrs.lo as number, n.attrs.step as number, n.attrs.interp === 'linear' ? 1 : 0] }];
      }
      case 'recip': case 'rsqrt': {
        const [lo, hi] = clampOf(n);
        const bits = n.attrs.lutbits as number;
        return [{ fn: n.op, args: [o, x, count, seeds(n.op, bits), typeOf(n.inputs[0]).frac, n.type.frac, bits, n.attrs.newton as number, lo, hi] }];
      }
      case 'reduce_sum': case 'reduce_max': case 'reduce_absmax': case 'argmax': {
        const [lo, hi] = clampOf(n);
        return [{ fn: 'reduce', args: [REDUCE_OPS[n.op], o, x, count, typeOf(n.inputs[0]).shape.at(-1)!, lo, hi] }];
      }
      case 'gather': {
        const T = constOf(n.inputs[0]);
        return [{ fn: 'gather', args: [o, gatherTable(n.inputs[0]), addr.get(n.inputs[1])!, numel(typeOf(n.inputs[1]).shape), T.type.shape[1], WIDTH[T.type.dtype]] }];
      }
      case 'slice': {
        const s = typeOf(n.inputs[0]).shape, ax = n.attrs.axis as number;
        const inner = numel(s.slice(ax + 1)), outer = numel(s.slice(0, ax));
        const start = n.attrs.start as number, len = (n.attrs.end as number) - start;
        return [{ fn: 'copyBlocks', args: [o, len * inner, x + start * inner * 4, s[ax] * inner, len * inner, outer] }];
      }
      case 'concat': {
        const ax = n.attrs.axis as number;
        const outer = numel(n.type.shape.slice(0, ax)), total = numel(n.type.shape.slice(ax));
        let off = 0;
        return n.inputs.map((nm) => {
          const w = numel(typeOf(nm).shape.slice(ax));
          const c: Call = { fn: 'copyBlocks', args: [o + off * 4, total, addr.get(nm)!, w, w, outer] };
          off += w;
          return c;
        });
      }
      case 'reshape': case 'state_read':
        return [];
      case 'state_write':
        return [{ fn: 'copyBlocks', args: [o, 0, x, 0, count, 1] }];
    }
  }

  /** Broadcast as runs where each operand advances by 0 or 1; index tables past MAX_RUNS. */
  function binaryCalls(n: IRNode, o: number, count: number): Call[] {
    const [an, bn] = n.inputs;
    const pa = an.startsWith('@') ? constI32(an) : addr.get(an)!;
    const pb = bn.startsWith('@') ? constI32(bn) : addr.get(bn)!;
    const ia = bIndex(n.type.shape, typeOf(an).shape), ib = bIndex(n.type.shape, typeOf(bn).shape);
    const [lo, hi] = n.op === 'max' || n.op === 'min' ? [0n, 0n] : clampOf(n);
    // divround's multiplier k travels in the shift slot (the kernel's DIV reads it as k).
    const shift = ((n.op === 'divround' ? n.attrs.mul : n.attrs.shift) as number) ?? 0, mode = roundCode(n), op = BINARY_CODES[n.op === 'mulc' ? 'mul' : n.op as keyof typeof BINARY_CODES];
    const runs: Call[] = [];
    for (let i = 0; i < count && runs.length <= MAX_RUNS;) {
      let sa = 0, sb = 0, j = i + 1;
      if (j < count) { sa = ia[j] - ia[i]; sb = ib[j] - ib[i]; }
      if ((sa !== 0 && sa !== 1) || (sb !== 0 && sb !== 1)) { sa = 0; sb = 0; j = i + 1; } else {
        while (j < count && ia[j] === ia[i] + (j - i) * sa && ib[j] === ib[i] + (j - i) * sb) j++;
      }
      runs.push({ fn: 'binary', args: [op, o + i * 4, pa + ia[i] * 4, sa, pb + ib[i] * 4, sb, j - i, shift, mode, lo, hi] });
      i = j;
    }
    if (runs.length <= MAX_RUNS) return runs;
    const ta = once(`idx:${n.out}:a`, () => L.data(bytesOf(Int32Array.from(ia)), 'tables'));
    const tb = once(`idx:${n.out}:b`, () => L.data(bytesOf(Int32Array.from(ib)), 'tables'));
    return [{ fn: 'binaryIndexed', args: [op, o, pa, ta, pb, tb, count, shift, mode, lo, hi] }];
  }

  // `advance` runs only what the state writes depend on (prefill skips the output head).
  const needed = new Set<string>();
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (n.op === 'state_write' || needed.has(n.out)) {
      needed.add(n.out);
      for (const x of n.inputs) if (!x.startsWith('@')) needed.add(x);
    }
  }
  const runCalls: Call[] = [], advanceCalls: Call[] = [];
  const builtRun = new Set<string>(), builtAdvance = new Set<string>();
  for (const n of g.nodes) {
    runCalls.push(...callsFor(n, builtRun));
    if (needed.has(n.out)) advanceCalls.push(...callsFor(n, builtAdvance));
  }
  // (Index tables for unusual broadcasts are placed while scheduling, after the values: the
  // allocator keeps every region disjoint, so that is fine.)
  const finalBytes = align(L.end, 65536);
  const finalPages = finalBytes / 65536;
  const memLimit = opts.limits?.memoryBytes ?? WASM32_MAX_BYTES;
  if (finalBytes > memLimit) {
    throw new TritError(
      `the model needs ${(finalBytes / 2 ** 20).toFixed(0)} MiB of linear memory; ${opts.limits?.device ?? 'wasm32'} addresses at most ${(memLimit / 2 ** 20).toFixed(0)} MiB ` +
        `(weights ${(L.constBytes.weights / 2 ** 20).toFixed(0)} MiB, other constants ${(L.constBytes.tables / 2 ** 20).toFixed(0)} MiB)`,
      { file: g.name }, 'a smaller model, or narrower embedding tables (lower tableBits)');
  }
  progress('optimize (binaryen)', 0, 1);
  const bytes = emit(kernels, { runCalls, advanceCalls, jobs, ctl, commits, states, pages: finalPages, scratch, stride }, opts.optimize ?? 2);
  progress('optimize (binaryen)', 1, 1);
  const meta: WasmMeta = {
    format: WASM_FORMAT,
    tritVersion: VERSION,
    model: g.name,
    sourceSha256: g.meta.source_sha256 ?? '',
    kind: guessKind(g),
    vocab: opts.vocab,
    classes: opts.classes,
    tokenizer: opts.tokenizer && { format: opts.tokenizer.format, file: opts.tokenizer.file, bytes: opts.tokenizer.bytes.length, addBos: opts.tokenizer.addBos },
    inputs,
    outputs: g.outputs.map((out) => slot(out.name, types.get(out.value)!, addr.get(out.value)!)),
    primary: primaryOutput(g),
    states,
    pages: finalPages,
    ctl,
    maxThreads: MAX_THREADS,
    threading: { matrices: matrixNodes.size, shared: sharedMatrices.size, minWeights },
    simd,
    sizes: { weights: L.constBytes.weights, tables: L.constBytes.tables, activations: L.end - activationStart, kernels: kernels.length },
    stats: Object.fromEntries(Object.entries(graphStats(g)).filter(([, v]) => typeof v === 'number')) as Record<string, number>,
    irMeta: g.meta,
  };
  if (opts.debug) {
    meta.values = {};
    for (const [k, v] of addr) meta.values[k] = { offset: v, n: numel(types.get(k)!.shape) };
  }
  // Declared shared: where shared memory exists the host compiles the file untouched (streaming
  // from disk in Node); a page without cross-origin isolation gets it flipped to unshared.
  let out = setImportedMemory(bytes, finalPages, true);
  out = appendData(out, L.segments);
  out = concatBytes([out, customSection(META_SECTION, new TextEncoder().encode(JSON.stringify(meta))),
    ...(opts.tokenizer ? [customSection(TOKENIZER_SECTION, opts.tokenizer.bytes)] : [])]);
  const modLimit = opts.limits?.moduleBytes ?? MAX_MODULE_BYTES;
  if (out.length > modLimit) {
    throw new TritError(`the .wasm would be ${(out.length / 2 ** 20).toFixed(0)} MiB; ${opts.limits?.device ?? 'engines'} refuse modules over ${(modLimit / 2 ** 20).toFixed(0)} MiB${opts.limits ? '' : ' (V8)'}`,
      { file: g.name }, 'a smaller model, or narrower embedding tables (--table-bits 8)');
  }
  return { bytes: out, meta };
}

function slot(name: string, t: TensorType, offset: number): TensorSlot {
  return { name, storage: t.dtype === 'f32' ? 'f32' : 'i32', dtype: t.dtype, shape: t.shape, frac: t.frac, offset };
}

/** The output a user wants (logits, scores): 'logits' if present, else the first that is not a state. */
function primaryOutput(g: IRGraph): string {
  const stateValues = new Set(g.nodes.filter((n) => n.op === 'state_write').map((n) => n.out));
  return (g.outputs.find((o) => o.name === 'logits') ?? g.outputs.find((o) => !stateValues.has(o.value)) ?? g.outputs[0]).name;
}

function guessKind(g: IRGraph): WasmMeta['kind'] {
  if (g.states.length && g.inputs.some((i) => i.type.dtype !== 'f32')) return 'lm';
  if (g.inputs.length === 1 && g.inputs[0].type.dtype === 'f32') return 'classifier';
  return 'other';
}

interface Schedule {
  runCalls: Call[];
  advanceCalls: Call[];
  jobs: Job[];
  ctl: number;
  commits: { state: number; staging: number; bytes: number }[];
  states: { offset: number; bytes: number }[];
  pages: number;
  /** Partial-sum buffers of threads 1.., one `stride` (elements) each. */
  scratch: number;
  stride: number;
}

/** Builds the code with binaryen: the kernels plus the generated schedule functions. */
function emit(kernels: Uint8Array, s: Schedule, level: number): Uint8Array {
  const m = binaryen.readBinary(kernels);
  try {
    m.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128 | binaryen.Features.BulkMemory |
      binaryen.Features.BulkMemoryOpt | binaryen.Features.Atomics | binaryen.Features.SignExt | binaryen.Features.NontrappingFPToInt |
      binaryen.Features.MutableGlobals | binaryen.Features.RelaxedSIMD);
    const { i32, i64, f64, none } = binaryen;
    // Kernel exports → internal names and parameter types.
    const fns = new Map<string, { name: string; params: number[] }>();
    for (let i = 0; i < m.getNumExports(); i++) {
      const e = binaryen.getExportInfo(m.getExportByIndex(i));
      if (e.kind !== binaryen.ExternalFunction) continue;
      const f = binaryen.getFunctionInfo(m.getFunction(e.value));
      fns.set(e.name, { name: e.value, params: binaryen.expandType(f.params) });
    }
    const konst = (v: number | bigint, t: number): number => {
      if (t === i64) {
        return (m.i64.const as unknown as (v: bigint) => number)(BigInt.asIntN(64, BigInt(v)));
      }
      if (t === f64) return m.f64.const(Number(v));
      return m.i32.const(Number(v) | 0);
    };
    const nthreads = () => m.local.get(0, i32);
    const call = (c: Call): number => {
      const f = fns.get(c.fn);
      if (!f) throw new Error(`kernel ${c.fn} is missing from the kernel module`);
      const args = c.args.map((a, i) => (a === 'n' ? nthreads() : konst(a, f.params[i])));
      return m.call(f.name, args, none);
    };
    const commit = s.commits.map((c) => m.memory.copy(m.i32.const(c.state), m.i32.const(c.staging), m.i32.const(c.bytes)));
    const body = (calls: Call[]) => m.block(null, [...calls.map(call), ...commit]);
    m.addFunction('run', binaryen.createType([i32]), none, [], body(s.runCalls));
    m.addFunction('advance', binaryen.createType([i32]), none, [], body(s.advanceCalls));
    m.addFunction('reset', none, none, [],
      m.block(null, s.states.map((st) => m.memory.fill(m.i32.const(st.offset), m.i32.const(0), m.i32.const(st.bytes))).concat([m.nop()])));
    // runJob(job, tid, n): a br_table over the jobs; each runs units [u·tid/n, u·(tid+1)/n).
    const job = () => m.local.get(0, i32), tid = () => m.local.get(1, i32), nt = () => m.local.get(2, i32);
    const share = (units: number, which: number) =>
      m.i32.div_u(m.i32.mul(m.i32.const(units), which ? m.i32.add(tid(), m.i32.const(1)) : tid()), nt());
    const labels = s.jobs.map((_, i) => `j${i}`);
    let cur = m.block(labels[0] ?? 'jdef', [m.switch(labels, 'jdef', job())]);
    s.jobs.forEach((jb, i) => {
      const f = fns.get(jb.fn)!;
      let args: number[];
      if (jb.fn === 'matmulLutShare') {
        // Thread 0 writes the result; thread t > 0 its partial buffer, which combine adds.
        const [o, ...rest] = jb.fixed as number[];
        const outT = m.select(m.i32.eqz(tid()), m.i32.const(o),
          m.i32.add(m.i32.const(s.scratch), m.i32.mul(m.i32.sub(tid(), m.i32.const(1)), m.i32.const(s.stride * 4))));
        args = [outT, ...rest.map((a, k) => konst(a, f.params[k + 1])), share(jb.units, 0), share(jb.units, 1), m.i32.const(jb.build ?? 0)];
      } else {
        args = [...jb.fixed.map((a, k) => konst(a as number, f.params[k])), share(jb.units, 0), share(jb.units, 1)];
      }
      cur = m.block(i + 1 < labels.length ? labels[i + 1] : 'jdef', [cur, m.call(f.name, args, none), m.return()]);
    });
    if (!s.jobs.length) cur = m.block('jdef', [m.drop(job())]);
    // Replace the kernels' imported runJob with the generated one.
    let runJobName = '';
    for (let i = 0; i < m.getNumFunctions(); i++) {
      const f = binaryen.getFunctionInfo(m.getFunctionByIndex(i));
      if (f.module === 'trit' && f.base === 'runJob') runJobName = f.name;
    }
    if (!runJobName) throw new Error('kernel module does not import trit.runJob');
    m.removeFunction(runJobName);
    m.addFunction(runJobName, binaryen.createType([i32, i32, i32]), none, [], cur);
    m.addFunction('worker', binaryen.createType([i32, i32, i32]), none, [],
      m.call(fns.get('workerLoop')!.name, [m.i32.const(s.ctl), m.local.get(0, i32), m.local.get(1, i32), m.local.get(2, i32)], none));
    m.addFunction('stop', binaryen.createType([i32]), none, [], m.call(fns.get('stopWorkers')!.name, [m.i32.const(s.ctl), m.local.get(0, i32)], none));
    for (const name of [...fns.keys()]) if (name !== 'memory') m.removeExport(name);
    for (const name of ['run', 'advance', 'reset', 'worker', 'stop']) m.addFunctionExport(name, name);
    if (!m.validate()) throw new Error('binaryen rejected the generated module (a trit bug)');
    binaryen.setOptimizeLevel(level);
    binaryen.setShrinkLevel(0);
    if (level > 0) m.optimize();
    // TRIT_WASM_NAMES=1 keeps function names (profiling). `globalThis.process`: the compiler
    // also runs in browsers (the demo compiles dropped ONNX files), where there is no process.
    binaryen.setDebugInfo((globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.TRIT_WASM_NAMES === '1');
    return m.emitBinary();
  } finally {
    m.dispose();
  }
}
