/**
 * @fileoverview Elementwise fusion for the wasm back-end: chains of elementwise nodes become one
 * generated SIMD loop each (render-fused.ts), their intermediates kept in registers instead of
 * written to memory and read back by the next kernel call.
 *
 * A node joins the loop of the node that reads it when it is elementwise with a SIMD form whose
 * result equals the kernel's (`fusible`), produces as many elements as its reader, every operand
 * is either that many elements or one (a broadcast scalar), and its value has no other reader (no
 * other node, no graph output). Such a value is *internal*: it gets no buffer and no address.
 * The members of a loop are moved to sit just before its root (the last node), which keeps the
 * order topological: an internal value's one reader is in its loop, and every other operand of a
 * member was computed before that member and so before the root.
 *
 * The loop's arithmetic is the kernels' own (runtime-wasm/assembly/elementwise.ts binary4 and
 * unary4): the same lanes, rounding and clamps, so fused and unfused results are bit-identical,
 * and the exactness tests compare every value that still has a buffer with the interpreter.
 */
import type { RoundMode } from '../../ir/arith.js';
import type { IRGraph, IRNode } from '../../ir/graph.js';
import { dtypeRange, numel, satRange, type TensorType } from '../../ir/types.js';

/** One operand of a fused loop: a buffer read four lanes at a time, or one value broadcast. */
export interface FusedInput {
  value: string;
  scalar: boolean;
}
/** A reference to an operand (`in`) or to an earlier step's result (`step`). */
export type FusedRef = { in: number } | { step: number };
/** One node of the loop, in the kernels' terms; lo/hi = the i32 range means no clamp. */
export interface FusedStep {
  op: 'add' | 'sub' | 'max' | 'min' | 'neg' | 'abs' | 'sat' | 'shift' | 'mul' | 'divround';
  args: FusedRef[];
  /** Rounding shift (shift's `by`, mul's `shift`), 0..62; divround's multiplier. */
  shift: number;
  round: RoundMode;
  lo: number;
  hi: number;
}
/** A generated loop: `count` outputs of its root from its inputs through its steps. */
export interface FusedLoop {
  root: string;
  count: number;
  inputs: FusedInput[];
  steps: FusedStep[];
}

export interface Fusion {
  /** The graph with every loop's members moved just before its root. */
  graph: IRGraph;
  /** Root output → its loop. */
  loops: Map<string, FusedLoop>;
  /** Values computed inside a loop and never stored. */
  internal: Set<string>;
  /** Every member of a loop (root included) → its root: where the loop reads its operands. */
  rootOf: Map<string, string>;
}

/** No fusion: every node its own kernel call (debug builds that want every value, A/B runs). */
export function noFusion(g: IRGraph): Fusion {
  return { graph: g, loops: new Map(), internal: new Set(), rootOf: new Map() };
}

const I32 = dtypeRange('i32');
const SIMD_OPS = new Set(['add', 'sub', 'max', 'min', 'neg', 'abs', 'sat', 'shift', 'mul', 'mulc', 'divround']);
/** divround in f64 lanes is exact while |quotient| < 2^20 (the kernel's own fast path); a result
 *  bounded by this, by its clamp or its proved dtype, is exact beyond it too: a float quotient
 *  ≥ 2^20 means an exact one ≥ 2^20 − 1, which the bound clamps to the same value. */
const DIVROUND_BOUND = 2 ** 20 - 2;

/** divround's result bound: its clamp, or the dtype the range analysis proved it fits. */
const divroundRange = (n: IRNode): [number, number] => (n.attrs.sat === true ? satRange(n.type.dtype) : dtypeRange(n.type.dtype));

/** Whether `n` has a SIMD form equal to its kernel's result (the kernels' own conditions). */
function fusible(n: IRNode, typeOf: (v: string) => TensorType): boolean {
  if (!SIMD_OPS.has(n.op)) return false;
  const count = numel(n.type.shape);
  for (const x of n.inputs) {
    const c = numel(typeOf(x).shape);
    if (c !== count && c !== 1) return false;
  }
  if (n.op === 'shift') return (n.attrs.by as number) >= 0 && (n.attrs.by as number) <= 62;
  if (n.op === 'mul' || n.op === 'mulc') return (n.attrs.shift as number) >= 0 && (n.attrs.shift as number) <= 62;
  if (n.op === 'sat') return (n.attrs.lo as number) >= I32[0] && (n.attrs.hi as number) <= I32[1];
  if (n.op === 'divround') return Math.max(...divroundRange(n).map(Math.abs)) <= DIVROUND_BOUND;
  return true;
}

/** Groups fusible chains and reorders the graph (see the file comment). */
export function fuseElementwise(g: IRGraph, typeOf: (v: string) => TensorType): Fusion {
  const uses = new Map<string, number>();
  for (const n of g.nodes) for (const x of n.inputs) uses.set(x, (uses.get(x) ?? 0) + 1);
  for (const o of g.outputs) uses.set(o.value, (uses.get(o.value) ?? 0) + 2);
  const producer = new Map(g.nodes.map((n) => [n.out, n]));
  const members = new Map<string, IRNode[]>(); // fusible node → its loop so far (itself last)
  const absorbed = new Set<string>();
  for (const n of g.nodes) {
    if (!fusible(n, typeOf)) continue;
    const own: IRNode[] = [];
    for (const x of new Set(n.inputs)) {
      const p = producer.get(x);
      if (!p || !members.has(x) || uses.get(x) !== 1 || numel(p.type.shape) !== numel(n.type.shape)) continue;
      own.push(...members.get(x)!);
      absorbed.add(x);
    }
    own.push(n);
    members.set(n.out, own);
  }
  const loops = new Map<string, FusedLoop>(),
    internal = new Set<string>(),
    rootOf = new Map<string, string>();
  for (const [root, ms] of members) {
    if (absorbed.has(root) || ms.length < 2) continue;
    loops.set(root, loopOf(ms, typeOf));
    for (const m of ms) rootOf.set(m.out, root);
    for (const m of ms.slice(0, -1)) internal.add(m.out);
  }
  const order = new Map(g.nodes.map((n, i) => [n.out, i]));
  const nodes: IRNode[] = [];
  for (const n of g.nodes) {
    if (loops.has(n.out)) nodes.push(...members.get(n.out)!.sort((a, b) => order.get(a.out)! - order.get(b.out)!));
    else if (!rootOf.has(n.out)) nodes.push(n);
  }
  return { graph: { ...g, nodes }, loops, internal, rootOf };
}

/** The loop of one group (members in an order where each follows the members it reads): its
 *  external operands and one step per member. */
function loopOf(ms: IRNode[], typeOf: (v: string) => TensorType): FusedLoop {
  const root = ms[ms.length - 1];
  const count = numel(root.type.shape);
  const stepOf = new Map<string, number>();
  const inputs: FusedInput[] = [];
  const inputOf = new Map<string, number>();
  const ref = (x: string): FusedRef => {
    const s = stepOf.get(x);
    if (s !== undefined) return { step: s };
    let i = inputOf.get(x);
    if (i === undefined) {
      inputOf.set(x, (i = inputs.length));
      inputs.push({ value: x, scalar: numel(typeOf(x).shape) === 1 && count > 1 });
    }
    return { in: i };
  };
  const steps: FusedStep[] = [];
  for (const n of ms) {
    steps.push(stepFor(n, n.inputs.map(ref)));
    stepOf.set(n.out, steps.length - 1);
  }
  return { root: root.out, count, inputs, steps };
}

/** A node in the kernels' terms: which lanes op, which rounding, which clamp. */
function stepFor(n: IRNode, args: FusedRef[]): FusedStep {
  const [lo, hi] =
    n.op === 'sat'
      ? [n.attrs.lo as number, n.attrs.hi as number]
      : n.op === 'divround'
        ? divroundRange(n)
        : n.attrs.sat === true
          ? satRange(n.type.dtype)
          : I32;
  const round = (n.attrs.round as RoundMode) ?? 'floor';
  const shift = ((n.op === 'shift' ? n.attrs.by : n.op === 'divround' ? n.attrs.mul : n.attrs.shift) as number) ?? 0;
  const op = n.op === 'mulc' ? 'mul' : (n.op as FusedStep['op']);
  return { op, args, shift, round, lo, hi };
}
