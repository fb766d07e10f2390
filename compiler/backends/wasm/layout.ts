/**
 * @fileoverview The wasm back-end's memory layout: where every constant, value, state, sum table
 * and thread buffer lives in the module's one linear memory (see link.ts for the map). Addresses
 * are fixed at link time, so the schedule can call kernels with constant arguments.
 */
import type { Const, IRGraph } from '../../ir/graph.js';
import { numel, type TensorType } from '../../ir/types.js';
import { recipSeedTable, rsqrtSeedTable } from '../../ir/newton.js';
import { TritError } from '../../../common/errors.js';
import type { DataSegment } from '../../../runtime-wasm/host/binary.js';
import type { TensorSlot } from '../../../runtime-wasm/host/format.js';
import { packLut, shortCodes } from './pack.js';
import { MAX_CHUNKS } from './codes.js';
import type { Fusion } from './fuse.js';
import { sha256Hex } from '../../util/hash.js';

/** The kernels' own static data sits below this address. */
export const KERNEL_STATIC = 65536;
/** Most threads a model runs with: its jobs are cut into at most MAX_CHUNKS (16) chunks, 4 per
 *  thread, so more threads would find too few chunks to balance. */
export const MAX_THREADS = 8;

export const align = (n: number, a: number) => Math.ceil(n / a) * a;

export function bytesOf(a: Int8Array | Int16Array | Int32Array | Uint8Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** A bump allocator over linear memory that also collects the constants' segments (trit.data). */
export class Layout {
  private top: number;
  readonly segments: DataSegment[] = [];
  constBytes = { weights: 0, tables: 0 };
  constructor(start: number) {
    this.top = start;
  }
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
  get end(): number {
    return this.top;
  }
}

/** Constants, each in the form its kernel reads, placed once (keyed by name and form). */
export class ConstPool {
  private placed = new Map<string, number>();
  private shortTables = new Map<string, ReturnType<typeof shortCodes>>();
  constructor(
    private L: Layout,
    private g: IRGraph,
  ) {}

  constOf(name: string): Const {
    const c = this.g.consts.get(name);
    if (!c) throw new TritError(`no constant '${name}'`, { tensor: name });
    return c;
  }
  once(key: string, make: () => number): number {
    let at = this.placed.get(key);
    if (at === undefined) this.placed.set(key, (at = make()));
    return at;
  }
  /** An i32 constant, placed once per distinct content: the lowering gives every activation its
   *  own lookup table, and they are often the same 32 KiB (all 16 of mmfree-shakespeare-char's
   *  sigmoid tables) — one copy stays in cache where sixteen did not. */
  i32(name: string): number {
    return this.once(`${name}:i32`, () => {
      const bytes = bytesOf(Int32Array.from(this.constOf(name).data));
      return this.once(`content:${bytes.length}:${sha256Hex(bytes)}`, () => this.L.data(bytes, 'tables'));
    });
  }
  /** A gather table's address and storage: i8/i16 as they are, i32 as 16-bit codes when every
   *  value has one (pack.ts shortCodes; `mant` ≥ 0), else as i32. */
  gatherTable(name: string): { at: number; bytes: 1 | 2 | 4; mant: number } {
    const c = this.constOf(name);
    if (c.type.dtype === 'i8' || c.type.dtype === 'i16') {
      const at = this.once(`${name}:gather`, () =>
        this.L.data(bytesOf(c.type.dtype === 'i8' ? Int8Array.from(c.data) : Int16Array.from(c.data)), 'tables'),
      );
      return { at, bytes: c.type.dtype === 'i8' ? 1 : 2, mant: -1 };
    }
    let short = this.shortTables.get(name);
    if (short === undefined) this.shortTables.set(name, (short = shortCodes(c.data)));
    const s = short;
    if (s) return { at: this.once(`${name}:gather`, () => this.L.data(new Uint8Array(s.codes.buffer), 'tables')), bytes: 2, mant: s.mant };
    return { at: this.once(`${name}:gather`, () => this.L.data(bytesOf(Int32Array.from(c.data)), 'tables')), bytes: 4, mant: -1 };
  }
  lutWeights(name: string): number {
    return this.once(`${name}:lut`, () => {
      const c = this.constOf(name);
      const [N, K] = c.type.shape;
      return this.L.data(packLut(c.data, N, K), 'weights');
    });
  }
  i8Weights(name: string): number {
    return this.once(`${name}:i8`, () => this.L.data(bytesOf(Int8Array.from(this.constOf(name).data)), 'weights'));
  }
  seeds(op: 'recip' | 'rsqrt', bits: number): number {
    return this.once(`seed:${op}${bits}`, () =>
      this.L.data(bytesOf(Int32Array.from(op === 'recip' ? recipSeedTable(bits) : rsqrtSeedTable(bits))), 'tables'),
    );
  }
  /** An index table of an unusual broadcast (placed while scheduling; the allocator keeps regions disjoint). */
  indexTable(key: string, idx: ArrayLike<number>): number {
    return this.once(`idx:${key}`, () => this.L.data(bytesOf(Int32Array.from(idx)), 'tables'));
  }
}

/** Places every constant first, so the mutable region sits above every constant. */
export function placeConstants(
  g: IRGraph,
  pool: ConstPool,
  typeOf: (n: string) => TensorType,
  progress: (s: string, d: number, t: number) => void,
): void {
  const matrices = g.nodes.filter((n) => n.op === 'ternary_matmul').length;
  let packed = 0;
  for (const n of g.nodes) {
    if (n.op === 'ternary_matmul') {
      progress('pack weights', ++packed, matrices);
      if (typeOf(n.inputs[0]).dtype === 'i8') pool.lutWeights(n.inputs[1]);
      else pool.i8Weights(n.inputs[1]);
    } else if (n.op === 'gather') pool.gatherTable(n.inputs[0]);
    else for (const i of n.inputs) if (i.startsWith('@')) pool.i32(i);
    if (n.op === 'recip' || n.op === 'rsqrt') pool.seeds(n.op, n.attrs.lutbits as number);
  }
}

/** Where the values live: inputs, states, every node's output (reshape and state_read alias). */
export interface Values {
  addr: Map<string, number>;
  inputs: TensorSlot[];
  states: { name: string; offset: number; bytes: number }[];
  /** state_write staging buffers copied into their states at the end of a step. */
  commits: { state: number; staging: number; bytes: number }[];
  /** Sum tables of the lookup kernel, one per distinct int8 matrix input. */
  tableAddr: Map<string, number>;
}

const valueBytes = (t: TensorType) => numel(t.shape) * 4;

export function slot(name: string, t: TensorType, offset: number): TensorSlot {
  return { name, storage: t.dtype === 'f32' ? 'f32' : 'i32', dtype: t.dtype, shape: t.shape, frac: t.frac, offset };
}

/**
 * Places inputs and states for good, then every node's output and every sum table in one arena
 * where a buffer is reused once its value is dead (`reuse`; off for debug builds, whose values the
 * layer-by-layer checks read after a step). Why reuse: one buffer per value made a 370M-shape step
 * write 19 MiB of fresh memory, out of cache, for values that live a few nodes; reused, the live
 * set is a few hundred KiB. Outputs and state-write staging live to the end of the step. A value
 * dies after the node that last reads it (through reshape aliases too), so a node's output never
 * shares a buffer with its own inputs; `advance` runs a subset of `run`'s nodes in the same order,
 * so lifetimes computed over `run` hold for it.
 */
export function placeValues(g: IRGraph, L: Layout, pool: ConstPool, typeOf: (n: string) => TensorType, reuse: boolean, fusion: Fusion): Values {
  const idLimits = new Map<string, number>();
  for (const n of g.nodes) if (n.op === 'gather') idLimits.set(n.inputs[1], pool.constOf(n.inputs[0]).type.shape[0]);
  const addr = new Map<string, number>();
  const inputs = g.inputs.map((i) => {
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
  const buffers = lifetimes(g, typeOf, fusion);
  const arena = new Arena();
  const at = new Map<string, number>();
  const starting = new Map<number, string[]>(),
    ending = new Map<number, string[]>();
  for (const [key, b] of buffers) {
    starting.set(b.first, (starting.get(b.first) ?? []).concat(key));
    ending.set(b.last, (ending.get(b.last) ?? []).concat(key));
  }
  for (let i = 0; i <= g.nodes.length; i++) {
    for (const key of starting.get(i) ?? []) at.set(key, arena.alloc(buffers.get(key)!.bytes));
    if (reuse) for (const key of ending.get(i) ?? []) arena.free(at.get(key)!, buffers.get(key)!.bytes);
  }
  const base = L.alloc(arena.size, 64);
  const commits: Values['commits'] = [];
  const tableAddr = new Map<string, number>();
  for (const n of g.nodes) {
    if (n.op === 'reshape') addr.set(n.out, addr.get(n.inputs[0])!);
    else if (n.op === 'state_read') addr.set(n.out, stateAddr.get(n.attrs.state as string)!);
    else if (fusion.internal.has(n.out)) continue;
    else addr.set(n.out, base + at.get(n.out)!);
    if (n.op === 'state_write')
      commits.push({ state: stateAddr.get(n.attrs.state as string)!, staging: addr.get(n.out)!, bytes: valueBytes(n.type) });
    if (at.has(`table:${n.inputs[0]}`)) tableAddr.set(n.inputs[0], base + at.get(`table:${n.inputs[0]}`)!);
  }
  return { addr, inputs, states, commits, tableAddr };
}

/**
 * Node outputs and sum tables: bytes, and the nodes that write first and read last (g.nodes.length
 * = the end of the step). A fused loop (fuse.ts) reads all its members' operands at its root, so
 * they live until then (a root's output must not take an operand's buffer: a broadcast operand is
 * read on every pass); values internal to a loop get no buffer.
 */
function lifetimes(g: IRGraph, typeOf: (n: string) => TensorType, fusion: Fusion): Map<string, { bytes: number; first: number; last: number }> {
  const root = new Map<string, string>(); // reshape aliases → the value that owns the buffer
  const owner = (v: string) => root.get(v) ?? v;
  const out = new Map<string, { bytes: number; first: number; last: number }>();
  const end = g.nodes.length;
  const index = new Map(g.nodes.map((n, i) => [n.out, i]));
  g.nodes.forEach((n, i) => {
    const readAt = fusion.rootOf.has(n.out) ? index.get(fusion.rootOf.get(n.out)!)! : i;
    for (const x of n.inputs) {
      const b = out.get(owner(x));
      if (b) b.last = Math.max(b.last, readAt);
    }
    if (n.op === 'reshape') root.set(n.out, owner(n.inputs[0]));
    else if (fusion.internal.has(n.out)) return;
    else if (n.op !== 'state_read') out.set(n.out, { bytes: valueBytes(n.type), first: i, last: n.op === 'state_write' ? end : i });
    if (n.op === 'ternary_matmul' && typeOf(n.inputs[0]).dtype === 'i8') {
      const xs = typeOf(n.inputs[0]).shape,
        key = `table:${n.inputs[0]}`;
      const t = out.get(key);
      if (t) t.last = i;
      else out.set(key, { bytes: (numel(xs) / xs.at(-1)!) * Math.ceil(xs.at(-1)! / 4) * 64, first: i, last: i });
    }
  });
  for (const o of g.outputs) {
    const b = out.get(owner(o.value));
    if (b) b.last = end;
  }
  return out;
}

/** First-fit allocation of 64-byte-aligned blocks in an arena that grows as needed. */
class Arena {
  private free_: [number, number][] = []; // sorted, disjoint, coalesced [start, end)
  size = 0;
  alloc(bytes: number): number {
    const n = align(Math.max(bytes, 1), 64);
    const k = this.free_.findIndex(([s, e]) => e - s >= n);
    if (k < 0) {
      const last = this.free_.at(-1);
      if (last && last[1] === this.size) {
        this.free_.pop();
        this.size = last[0] + n;
        return last[0];
      }
      this.size += n;
      return this.size - n;
    }
    const at = this.free_[k][0];
    if (this.free_[k][1] - at === n) this.free_.splice(k, 1);
    else this.free_[k][0] += n;
    return at;
  }
  free(at: number, bytes: number): void {
    const blk: [number, number] = [at, at + align(Math.max(bytes, 1), 64)];
    let k = this.free_.findIndex(([s]) => s > at);
    if (k < 0) k = this.free_.length;
    this.free_.splice(k, 0, blk);
    if (k + 1 < this.free_.length && this.free_[k][1] === this.free_[k + 1][0]) this.free_.splice(k, 2, [this.free_[k][0], this.free_[k + 1][1]]);
    if (k > 0 && this.free_[k - 1][1] === this.free_[k][0]) this.free_.splice(k - 1, 2, [this.free_[k - 1][0], this.free_[k][1]]);
  }
}

/** Partial sums of chunks 1..MAX_CHUNKS−1 for split matmuls: one `stride` (elements) per chunk. */
export function placeScratch(
  g: IRGraph,
  L: Layout,
  pool: ConstPool,
  typeOf: (n: string) => TensorType,
  minWeights: number,
): { scratch: number; stride: number } {
  let stride = 0;
  for (const n of g.nodes) {
    if (n.op !== 'ternary_matmul' || typeOf(n.inputs[0]).dtype !== 'i8') continue;
    const xs = typeOf(n.inputs[0]).shape,
      [N] = pool.constOf(n.inputs[1]).type.shape;
    const rows = numel(xs) / xs.at(-1)!;
    if (rows * N * xs.at(-1)! >= minWeights) stride = Math.max(stride, align(rows * N, 4));
  }
  return { scratch: L.alloc((MAX_CHUNKS - 1) * stride * 4, 64), stride };
}
