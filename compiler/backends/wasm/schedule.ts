/**
 * @fileoverview The wasm back-end's op table and schedule: for every IR op, the kernel calls that
 * compute it (`CALLS`, one entry per op, checked complete by the type checker), and the two
 * straight-line schedules built from them — `run` (a whole step) and `advance` (only what the
 * state writes need: prompt prefill skips the output head). Matrix work becomes jobs that worker
 * threads share (docs/wasm.md §Threads).
 */
import type { RoundMode } from '../../ir/arith.js';
import type { IRGraph, IRNode } from '../../ir/graph.js';
import type { OpName } from '../../ir/ops.js';
import { dtypeRange, numel, satRange, type TensorType } from '../../ir/types.js';
import { bIndex } from '../../ir/broadcast.js';
import { BINARY_CODES, REDUCE_CODES, UNARY_CODES, roundCode } from './codes.js';
import type { ConstPool, Values } from './layout.js';
import type { FusedLoop, Fusion } from './fuse.js';

/** A kernel argument: a constant, or 'n' — the thread count `run` was called with. */
export type Arg = number | bigint | 'n';
export interface Call {
  fn: string;
  args: Arg[];
}
/**
 * Matrix work threads share, cut into chunks that any thread may claim (`runJob(job, chunk,
 * chunks)`; runtime-wasm/assembly/threads.ts). Lookup-table matmuls split the inputs (`units` =
 * groups of 4): chunk c sums its groups into `out` (c = 0) or into its partial buffer, which
 * `combine` adds afterwards. The general kernel splits the outputs.
 */
export interface Job {
  fn: 'matmulLutShare' | 'matmulGeneric';
  fixed: Arg[];
  units: number;
  weights: number;
  build?: 0 | 1;
}

/** Beyond this many runs a broadcast uses index tables instead of one call per run. */
const MAX_RUNS = 16;

/** A fused loop as emitted: its function's name and every address it reads and writes. */
export interface FusedCall {
  name: string;
  loop: FusedLoop;
  inputs: number[];
  out: number;
}

/** What the op rules read and the matrix rule records. */
export interface Ctx {
  pool: ConstPool;
  values: Values;
  typeOf: (name: string) => TensorType;
  ctl: number;
  scratch: number;
  stride: number;
  minWeights: number;
  fusion: Fusion;
  /** The fused loops scheduled so far (`run` and `advance` call the same function). */
  fused: FusedCall[];
  jobs: Job[];
  jobFor: Map<string, number>;
  matrices: Set<string>;
  shared: Set<string>;
}

/** One node's operands as the rules see them. */
interface Site {
  n: IRNode;
  o: number;
  x: number;
  count: number;
  ctx: Ctx;
  built: Set<string>;
}
type Rule = (s: Site) => Call[];

const mode = (n: IRNode) => roundCode((n.attrs.round as RoundMode) ?? 'floor');
// A node without `sat` gets the whole i32 range: the range analysis proved its values fit its
// dtype, so there is nothing to clamp, and the kernels take their no-clamp fast paths.
function clampOf(n: IRNode): [bigint, bigint] {
  const [lo, hi] = n.attrs.sat === true ? satRange(n.type.dtype) : dtypeRange('i32');
  return [BigInt(lo), BigInt(hi)];
}

const binary: Rule = ({ n, o, count, ctx }) => binaryCalls(n, o, count, ctx);
const unary: Rule = ({ n, o, x, count }) => {
  const [lo, hi] = n.op === 'sat' ? [BigInt(n.attrs.lo as number), BigInt(n.attrs.hi as number)] : clampOf(n);
  return [{ fn: 'unary', args: [UNARY_CODES[n.op as keyof typeof UNARY_CODES], o, x, count, (n.attrs.by as number) ?? 0, mode(n), lo, hi] }];
};
const reduce: Rule = ({ n, o, x, count, ctx }) => {
  const [lo, hi] = clampOf(n);
  const K = ctx.typeOf(n.inputs[0]).shape.at(-1)!;
  return [{ fn: 'reduce', args: [REDUCE_CODES[n.op as keyof typeof REDUCE_CODES], o, x, count, K, (n.attrs.shift as number) ?? 0, mode(n), lo, hi] }];
};
const newton: Rule = ({ n, o, x, count, ctx }) => {
  const [lo, hi] = clampOf(n);
  const bits = n.attrs.lutbits as number,
    op = n.op as 'recip' | 'rsqrt';
  return [
    { fn: op, args: [o, x, count, ctx.pool.seeds(op, bits), ctx.typeOf(n.inputs[0]).frac, n.type.frac, bits, n.attrs.newton as number, lo, hi] },
  ];
};

/** The wasm back-end's op table: every IR op and the kernel calls that compute it. */
export const CALLS = {
  quantize: ({ n, o, x, count }) => {
    const [lo, hi] = satRange(n.type.dtype);
    return [{ fn: 'quantize', args: [o, x, count, 2 ** n.type.frac, mode(n), lo, hi] }];
  },
  dequantize: ({ n, o, x, count, ctx }) => [{ fn: 'dequantize', args: [o, x, count, 2 ** -ctx.typeOf(n.inputs[0]).frac] }],
  ternary_matmul: (s) => matmulCalls(s),
  add: binary,
  sub: binary,
  max: binary,
  min: binary,
  mul: binary,
  mulc: binary,
  divround: binary,
  neg: unary,
  abs: unary,
  shift: unary,
  sat: unary,
  lut: ({ n, o, x, count, ctx }) => {
    const T = ctx.pool.constOf(n.inputs[1]);
    return [
      {
        fn: 'lut',
        args: [
          o,
          x,
          count,
          ctx.pool.i32(n.inputs[1]),
          T.data.length,
          n.attrs.lo as number,
          n.attrs.step as number,
          n.attrs.interp === 'linear' ? 1 : 0,
        ],
      },
    ];
  },
  recip: newton,
  rsqrt: newton,
  reduce_sum: reduce,
  reduce_max: reduce,
  reduce_absmax: reduce,
  argmax: reduce,
  gather: ({ n, o, ctx }) => {
    const T = ctx.pool.constOf(n.inputs[0]),
      table = ctx.pool.gatherTable(n.inputs[0]);
    const ids = ctx.values.addr.get(n.inputs[1])!;
    return [{ fn: 'gather', args: [o, table.at, ids, numel(ctx.typeOf(n.inputs[1]).shape), T.type.shape[1], table.bytes, table.mant] }];
  },
  slice: ({ n, o, x, ctx }) => {
    const s = ctx.typeOf(n.inputs[0]).shape,
      ax = n.attrs.axis as number;
    const inner = numel(s.slice(ax + 1)),
      outer = numel(s.slice(0, ax));
    const start = n.attrs.start as number,
      len = (n.attrs.end as number) - start;
    return [{ fn: 'copyBlocks', args: [o, len * inner, x + start * inner * 4, s[ax] * inner, len * inner, outer] }];
  },
  concat: ({ n, o, ctx }) => {
    const ax = n.attrs.axis as number;
    const outer = numel(n.type.shape.slice(0, ax)),
      total = numel(n.type.shape.slice(ax));
    let off = 0;
    return n.inputs.map((nm) => {
      const w = numel(ctx.typeOf(nm).shape.slice(ax));
      const c: Call = { fn: 'copyBlocks', args: [o + off * 4, total, ctx.values.addr.get(nm)!, w, w, outer] };
      off += w;
      return c;
    });
  },
  reshape: () => [], // aliases its input (layout.ts)
  state_read: () => [], // reads the state buffer in place
  state_write: ({ o, x, count }) => [{ fn: 'copyBlocks', args: [o, 0, x, 0, count, 1] }],
} as const satisfies Record<OpName, Rule>;

/** A ternary matmul: one fork of its job (shared by threads when big enough), then the combine. */
function matmulCalls({ n, o, x, ctx, built }: Site): Call[] {
  const xs = ctx.typeOf(n.inputs[0]).shape;
  const K = xs.at(-1)!,
    rows = numel(xs) / K;
  const [N] = ctx.pool.constOf(n.inputs[1]).type.shape;
  const forked = N * K * rows >= ctx.minWeights;
  ctx.matrices.add(n.out); // once per node, though `run` and `advance` both schedule it
  if (forked) ctx.shared.add(n.out);
  const threads: Arg = forked ? 'n' : 1;
  if (ctx.typeOf(n.inputs[0]).dtype !== 'i8') {
    const job = jobIndex(ctx, n.out, () => ({
      fn: 'matmulGeneric',
      fixed: [o, x, ctx.pool.i8Weights(n.inputs[1]), rows, K, N],
      units: N,
      weights: N * K * rows,
    }));
    return [{ fn: 'fork', args: [ctx.ctl, job, threads, N] }];
  }
  // The first matrix reading an input builds its sum tables (inside the job, each thread its own
  // share); later ones — the MLGRU's other projections, the GLU's up — reuse them.
  const build = built.has(n.inputs[0]) ? 0 : 1;
  built.add(n.inputs[0]);
  const job = jobIndex(ctx, `${n.out}|${build}`, () => ({
    fn: 'matmulLutShare',
    fixed: [o, ctx.values.tableAddr.get(n.inputs[0])!, x, ctx.pool.lutWeights(n.inputs[1]), rows, K, N],
    units: Math.ceil(K / 4),
    weights: N * K * rows,
    build,
  }));
  const units = Math.ceil(K / 4);
  const calls: Call[] = [{ fn: 'fork', args: [ctx.ctl, job, threads, units] }];
  if (forked) calls.push({ fn: 'combine', args: [o, ctx.scratch, rows * N, ctx.stride, units, 'n'] });
  return calls;
}

function jobIndex(ctx: Ctx, key: string, make: () => Job): number {
  let job = ctx.jobFor.get(key);
  if (job === undefined) {
    ctx.jobs.push(make());
    ctx.jobFor.set(key, (job = ctx.jobs.length - 1));
  }
  return job;
}

/** Broadcast as runs where each operand advances by 0 or 1; index tables past MAX_RUNS. */
function binaryCalls(n: IRNode, o: number, count: number, ctx: Ctx): Call[] {
  const [an, bn] = n.inputs;
  const where = (v: string) => (v.startsWith('@') ? ctx.pool.i32(v) : ctx.values.addr.get(v)!);
  const pa = where(an),
    pb = where(bn);
  const ia = bIndex(n.type.shape, ctx.typeOf(an).shape),
    ib = bIndex(n.type.shape, ctx.typeOf(bn).shape);
  const [lo, hi] = n.op === 'max' || n.op === 'min' ? [0n, 0n] : clampOf(n);
  // divround's multiplier k travels in the shift slot (the kernel reads it as k).
  const shift = ((n.op === 'divround' ? n.attrs.mul : n.attrs.shift) as number) ?? 0,
    m = mode(n);
  const op = BINARY_CODES[(n.op === 'mulc' ? 'mul' : n.op) as keyof typeof BINARY_CODES];
  const runs: Call[] = [];
  for (let i = 0; i < count && runs.length <= MAX_RUNS;) {
    let sa = 0,
      sb = 0,
      j = i + 1;
    if (j < count) {
      sa = ia[j] - ia[i];
      sb = ib[j] - ib[i];
    }
    if ((sa !== 0 && sa !== 1) || (sb !== 0 && sb !== 1)) {
      sa = 0;
      sb = 0;
      j = i + 1;
    } else {
      while (j < count && ia[j] === ia[i] + (j - i) * sa && ib[j] === ib[i] + (j - i) * sb) j++;
    }
    runs.push({ fn: 'binary', args: [op, o + i * 4, pa + ia[i] * 4, sa, pb + ib[i] * 4, sb, j - i, shift, m, lo, hi] });
    i = j;
  }
  if (runs.length <= MAX_RUNS) return runs;
  const ta = ctx.pool.indexTable(`${n.out}:a`, ia),
    tb = ctx.pool.indexTable(`${n.out}:b`, ib);
  return [{ fn: 'binaryIndexed', args: [op, o, pa, ta, pb, tb, count, shift, m, lo, hi] }];
}

/** The call of a fused loop (one generated function per loop, no arguments). */
function fusedCall(loop: FusedLoop, ctx: Ctx): Call {
  let f = ctx.fused.find((c) => c.loop === loop);
  if (!f) {
    const where = (v: string) => (v.startsWith('@') ? ctx.pool.i32(v) : ctx.values.addr.get(v)!);
    f = { name: `fused${ctx.fused.length}`, loop, inputs: loop.inputs.map((x) => where(x.value)), out: ctx.values.addr.get(loop.root)! };
    ctx.fused.push(f);
  }
  return { fn: f.name, args: [] };
}

/** The calls of `run` (every node) and `advance` (only what the state writes depend on). */
export function schedule(g: IRGraph, ctx: Ctx): { runCalls: Call[]; advanceCalls: Call[] } {
  const needed = new Set<string>();
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (n.op !== 'state_write' && !needed.has(n.out)) continue;
    needed.add(n.out);
    for (const x of n.inputs) if (!x.startsWith('@')) needed.add(x);
  }
  const runCalls: Call[] = [],
    advanceCalls: Call[] = [];
  const builtRun = new Set<string>(),
    builtAdvance = new Set<string>();
  for (const n of g.nodes) {
    const site = (built: Set<string>): Site => ({
      n,
      ctx,
      built,
      o: ctx.values.addr.get(n.out)!,
      count: numel(n.type.shape),
      x: n.inputs.length && !n.inputs[0].startsWith('@') ? ctx.values.addr.get(n.inputs[0])! : 0,
    });
    if (ctx.fusion.internal.has(n.out)) continue; // computed inside its loop
    const loop = ctx.fusion.loops.get(n.out);
    const rule: Rule = loop ? () => [fusedCall(loop, ctx)] : CALLS[n.op];
    runCalls.push(...rule(site(builtRun)));
    if (needed.has(n.out)) advanceCalls.push(...rule(site(builtAdvance)));
  }
  return { runCalls, advanceCalls };
}
