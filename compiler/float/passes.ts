/**
 * @fileoverview Canonicalising rewrites on the float graph, each a small rule, run to a fixpoint.
 *
 * They make the many ways exporters spell the same math look alike before lowering, and move
 * per-row scales off the ternary matmul's input so that it sums plain int8 activations:
 *   pow(x, 2)               -> mul(x, x)           (and ±0.5, −1, 1)
 *   div(a, c)               -> mul(a, 1/c)         c constant
 *   div(1, y)               -> recip(y)
 *   mul(recip(y), k)        -> div(k, y)           k a scalar constant (torch writes 127/M so)
 *   recip(sqrt(x))          -> rsqrt(x)
 *   div(a, sqrt(b))         -> mul(a, rsqrt(b))
 *   div(a, div(b, c))       -> div(mul(a, c), b)
 *   mul(a, div(b, c))       -> div(mul(a, b), c)
 *   reduce_max(abs(x))      -> reduce_absmax(x)
 *   x·rsqrt(mean(x²) + ε)   -> u·rsqrt(mean(u²) + ε·r²), u = x·r, r = 1/max(max|x|, √ε)
 *                                                  (RMSNorm with its row scaled to max|u| = 1:
 *                                                  the same value, every format provable)
 *   T(mul(q, r))            -> mul(T(q), r)        r constant per row (broadcast over the last axis)
 *   T(div(q, s))            -> div(T(q), s)        same; T = ternary_matmul
 *   mul(mul(a, r), k)       -> mul(a, mul(r, k))   r per row, k a scalar constant: the scalar
 *                                                  meets the row, not every element
 *   mul(T·s, r)             -> mul(T, mul(r, s))   the matmul's scale s joins its row scale r
 *   add(x, sub(y, x))       -> y                   (a straight-through estimator: x + (q − x).detach())
 *   op(c1, c2, …)           -> c                   every input constant (rules above can make such nodes)
 *   op(identity(x), …)      -> op(x, …)            so the rules above see through the identities
 *                                                  the straight-through rule leaves
 *   identity(x)             -> x
 * followed by dead-code elimination.
 */
import { TritError } from '../../common/errors.js';
import { evalNode } from './eval.js';
import { numel } from '../ir/types.js';
import type { FGraph, FNode, FOp } from './graph.js';

/** A rewrite: returns replacement nodes for `n` (last one produces n.out), or null to keep it. */
type Rule = (n: FNode, ctx: Ctx) => FNode[] | null;

interface Ctx {
  g: FGraph;
  def: Map<string, FNode>;
  fresh: (base: string) => string;
  constScalar: (name: string) => number | null;
}

const mk = (out: string, op: FOp, inputs: string[], like: FNode, shape = like.shape, int = false): FNode => ({
  out,
  op,
  inputs,
  attrs: {},
  shape,
  int,
  src: like.src,
});

const RULES: Record<string, Rule> = {
  foldConstants(n, c) {
    if (n.inputs.length === 0 || !n.inputs.every((x) => c.g.consts.has(x)) || n.op === 'ternary_matmul') return null;
    const ks = n.inputs.map((x) => c.g.consts.get(x)!);
    c.g.consts.set(n.out, {
      shape: n.shape,
      data: evalNode(
        n,
        ks.map((k) => k.data),
        ks.map((k) => k.shape),
      ),
      int: n.int,
    });
    return [];
  },
  bypassIdentity(n, c) {
    // Rules match on the producer of an input; an identity in between (a straight-through
    // estimator just replaced, an exporter's Identity) would hide it until the very end.
    const ins = n.inputs.map((x) => (c.def.get(x)?.op === 'identity' ? c.def.get(x)!.inputs[0] : x));
    return ins.some((x, i) => x !== n.inputs[i]) ? [{ ...n, inputs: ins }] : null;
  },
  straightThrough(n, c) {
    // x + (y − x) is y in exact arithmetic; exporters write a straight-through estimator this way
    // and the rounding difference between the two spellings is float noise, not model behaviour.
    if (n.op !== 'add') return null;
    for (const k of [0, 1]) {
      const d = c.def.get(n.inputs[1 - k]);
      if (d?.op === 'sub' && d.inputs[1] === n.inputs[k] && sameShape(c, d.inputs[0], n.shape))
        return [mk(n.out, 'identity', [d.inputs[0]], n, n.shape, n.int)];
    }
    return null;
  },
  powToBasicOps(n, c) {
    if (n.op !== 'pow') return null;
    const k = c.constScalar(n.inputs[1]);
    const x = n.inputs[0];
    if (k === 2) return [mk(n.out, 'mul', [x, x], n)];
    if (k === 0.5) return [mk(n.out, 'sqrt', [x], n)];
    if (k === -0.5) return [mk(n.out, 'rsqrt', [x], n)];
    if (k === -1) return [mk(n.out, 'recip', [x], n)];
    if (k === 1) return [mk(n.out, 'identity', [x], n, n.shape, n.int)];
    throw new TritError(
      `Pow with exponent ${k === null ? 'that is not a constant scalar' : k} is not supported`,
      { node: n.src },
      'trit supports exponents 2, 1, 0.5, −0.5 and −1',
    );
  },
  divByConstToMul(n, c) {
    if (n.op !== 'div' || !c.g.consts.has(n.inputs[1])) return null;
    const k = c.g.consts.get(n.inputs[1])!;
    const name = c.fresh(`${n.inputs[1]}.inv`);
    c.g.consts.set(name, { shape: k.shape, data: Float64Array.from(k.data, (v) => 1 / v), int: false });
    return [mk(n.out, 'mul', [n.inputs[0], name], n)];
  },
  oneOverToRecip(n, c) {
    return n.op === 'div' && c.constScalar(n.inputs[0]) === 1 ? [mk(n.out, 'recip', [n.inputs[1]], n)] : null;
  },
  recipTimesConst(n, c) {
    // torch.onnx.export spells upstream's `127 / x.abs().max().clamp(min=1e-5)` as
    // Reciprocal(M)·127; as a division it meets the rules that expose round(127·y / M).
    // A node with a proved bound (rmsRowScale's) keeps its form: its recip is shared on purpose.
    if (n.op !== 'mul' || n.attrs.bound !== undefined) return null;
    for (const j of [0, 1]) {
      const d = c.def.get(n.inputs[1 - j]);
      if (d?.op === 'recip' && c.constScalar(n.inputs[j]) !== null) return [mk(n.out, 'div', [n.inputs[j], d.inputs[0]], n)];
    }
    return null;
  },
  recipSqrtToRsqrt(n, c) {
    const d = c.def.get(n.inputs[0]);
    return n.op === 'recip' && d?.op === 'sqrt' ? [mk(n.out, 'rsqrt', [d.inputs[0]], n)] : null;
  },
  divBySqrtToRsqrt(n, c) {
    const d = c.def.get(n.inputs[1]);
    if (n.op !== 'div' || d?.op !== 'sqrt') return null;
    const r = mk(c.fresh(`${n.out}.rsqrt`), 'rsqrt', [d.inputs[0]], d);
    return [r, mk(n.out, 'mul', [n.inputs[0], r.out], n)];
  },
  divOfDiv(n, c) {
    const d = c.def.get(n.inputs[1]);
    if (n.op !== 'div' || d?.op !== 'div') return null;
    const m = mk(c.fresh(`${n.out}.num`), 'mul', [n.inputs[0], d.inputs[1]], n);
    return [m, mk(n.out, 'div', [m.out, d.inputs[0]], n)];
  },
  rmsRowScale,
  mulOfDiv(n, c) {
    // A square stays a square, so that rmsRowScale sees mean(x·x) (and x² costs one product).
    if (n.op !== 'mul' || n.inputs[0] === n.inputs[1]) return null;
    for (const k of [0, 1]) {
      const d = c.def.get(n.inputs[k]);
      if (d?.op !== 'div') continue;
      const m = mk(c.fresh(`${n.out}.num`), 'mul', [n.inputs[1 - k], d.inputs[0]], n);
      return [m, mk(n.out, 'div', [m.out, d.inputs[1]], n)];
    }
    return null;
  },
  rowScaleFirst(n, c) {
    // A BitLinear's output is acc·s·r·k (matmul scale, row scale, 1/127): three elementwise
    // roundings and passes become one once the scalars multiply the row scale first.
    if (n.op !== 'mul') return null;
    for (const j of [0, 1]) {
      const k = n.inputs[j];
      if (c.constScalar(k) === null) continue;
      const d = c.def.get(n.inputs[1 - j]);
      if (d?.op !== 'mul') continue;
      for (const i of [0, 1]) {
        const r = d.inputs[i],
          a = d.inputs[1 - i];
        if (c.g.consts.has(r) || !isRowOf(c, r, n.shape) || isRowOf(c, a, n.shape)) continue;
        const rk = mk(c.fresh(`${n.out}.row`), 'mul', [r, k], n, shapeOf(c, r)!);
        return [rk, mk(n.out, 'mul', [a, rk.out], n)];
      }
    }
    return null;
  },
  matmulScaleToRow(n, c) {
    if (n.op !== 'mul') return null;
    for (const j of [0, 1]) {
      const t = c.def.get(n.inputs[j]),
        r = n.inputs[1 - j];
      const s = t?.attrs.scale;
      if (t?.op !== 'ternary_matmul' || s === undefined || s === 1 || c.g.consts.has(r) || !isRowOf(c, r, n.shape)) continue;
      if (c.g.outputs.some((o) => o.value === t.out) || c.g.nodes.some((x) => x !== n && x.inputs.includes(t.out))) continue;
      const name = c.fresh(`${t.out}.scale`);
      c.g.consts.set(name, { shape: [], data: Float64Array.of(s), int: false });
      const rs = mk(c.fresh(`${n.out}.row`), 'mul', [r, name], n, shapeOf(c, r)!);
      const t1: FNode = { ...t, out: c.fresh(`${t.out}.unit`), attrs: { ...t.attrs, scale: 1 } };
      return [t1, rs, mk(n.out, 'mul', [t1.out, rs.out], n)];
    }
    return null;
  },
  absmax(n, c) {
    const d = c.def.get(n.inputs[0]);
    if (n.op !== 'reduce_max' || d?.op !== 'abs') return null;
    return [{ ...n, op: 'reduce_absmax', inputs: [d.inputs[0]] }];
  },
  hoistRowScaleThroughTernary(n, c) {
    if (n.op !== 'ternary_matmul') return null;
    const d = c.def.get(n.inputs[0]);
    if (!d || (d.op !== 'mul' && d.op !== 'div')) return null;
    const inShape = d.shape;
    for (const k of d.op === 'mul' ? [0, 1] : [1]) {
      const r = d.inputs[k];
      const rs = shapeOf(c, r);
      if (!rs) continue;
      const perRow = numel(rs) === 1 || (rs.at(-1) === 1 && rs.length <= inShape.length);
      const q = d.inputs[1 - k];
      const qs = shapeOf(c, q);
      if (!perRow || !qs || qs.length !== inShape.length || qs.some((v, i) => v !== inShape[i])) continue;
      const t = { ...n, out: c.fresh(`${n.out}.acc`), inputs: [d.inputs[1 - k], n.inputs[1]] };
      return [t, mk(n.out, d.op, [t.out, r], n)];
    }
    return null;
  },
};

/**
 * RMSNorm, y = x·rsqrt(mean(x²) + ε) over the last axis, computed on the row scaled to max|u| = 1:
 * u = x·r with r = 1/max(max|x|, √ε), then y = u·rsqrt(mean(u²) + ε·r²) — the same value for any
 * r > 0 (numerator and root scale together), so the rewrite is exact in real arithmetic. What it
 * buys is fixed-point precision: mean(x²) spans the square of a row's dynamic range (rows 400×
 * below the calibrated maximum lost 5 bits of rstd in the shakespeare model, and each lost bit
 * flips int8 codes downstream, docs/IR.md §6), while every value here has a bound from the math:
 * |u| ≤ 1, mean(u²) + ε·r² ∈ [1/K, 2] (max|u| = 1 puts one term of K at 1; below √ε the ε term
 * is 1), so rsqrt ≤ √(2K), |y| ≤ √K and r ≤ 1/√ε. The bounds ride on the nodes (`bound`) and
 * the lowering sizes those formats from them, not from calibration. r's own rounding cancels.
 */
function rmsRowScale(n: FNode, c: Ctx): FNode[] | null {
  if (n.op !== 'mul') return null;
  for (const k of [0, 1]) {
    const x = n.inputs[1 - k],
      rs = c.def.get(n.inputs[k]);
    if (rs?.op !== 'rsqrt') continue;
    const m = meanSquarePlusEps(rs.inputs[0], x, c);
    if (!m) continue;
    const { eps, K, row } = m;
    const axis = { axis: row.length - 1 };
    const scalar = (base: string, v: number) => {
      const name = c.fresh(base);
      c.g.consts.set(name, { shape: [], data: Float64Array.of(v), int: false });
      return name;
    };
    const node = (base: string, op: FOp, inputs: string[], shape: number[], attrs: FNode['attrs'] = {}): FNode => ({
      ...mk(c.fresh(`${n.out}.${base}`), op, inputs, n, shape),
      attrs,
    });
    const d = Math.sqrt(eps);
    const am = node('absmax', 'reduce_absmax', [x], row, axis);
    const md = node('floor', 'max', [am.out, scalar(`${n.out}.sqrteps`, d)], row);
    const r = node('r', 'recip', [md.out], row, { bound: 1 / d });
    const u = node('u', 'mul', [x, r.out], n.shape, { bound: 1 });
    const sq = node('u2', 'mul', [u.out, u.out], n.shape, { bound: 1 });
    const ms = node('ms', 'reduce_mean', [sq.out], row, { ...axis, bound: 1 });
    const t = node('t', 'mul', [r.out, scalar(`${n.out}.sqrteps`, d)], row, { bound: 1 });
    const e = node('eps', 'mul', [t.out, t.out], row, { bound: 1 });
    const a = node('var', 'add', [ms.out, e.out], row);
    const af = node('varfloor', 'max', [a.out, scalar(`${n.out}.halfInvK`, 0.5 / K)], row);
    const s = node('rstd', 'rsqrt', [af.out], row, { bound: Math.sqrt(2 * K) });
    const y: FNode = { ...mk(n.out, 'mul', [u.out, s.out], n), attrs: { bound: Math.sqrt(K) } };
    return [am, md, r, u, sq, ms, t, e, a, af, s, y];
  }
  return null;
}

/** v = mean(x·x over the last axis) + ε (reshapes between allowed), ε a positive scalar constant;
 *  `row` is v's shape, one value per row of x. */
function meanSquarePlusEps(v: string, x: string, c: Ctx): { eps: number; K: number; row: number[] } | null {
  const d = c.def.get(v);
  if (d?.op !== 'add') return null;
  for (const j of [0, 1]) {
    const eps = c.constScalar(d.inputs[j]);
    if (eps === null || !(eps > 0)) continue;
    let m = c.def.get(d.inputs[1 - j]);
    while (m?.op === 'reshape') m = c.def.get(m.inputs[0]);
    if (m?.op !== 'reduce_mean') return null;
    const sq = c.def.get(m.inputs[0]);
    const xs = sq?.shape;
    if (sq?.op !== 'mul' || sq.inputs[0] !== x || sq.inputs[1] !== x || !xs) return null;
    const K = xs.at(-1)!;
    if (m.attrs.axis !== xs.length - 1 || !isRowOf(c, v, xs) || d.shape.length !== xs.length || K < 1) return null;
    return { eps, K, row: d.shape };
  }
  return null;
}

/** The shape of value `x` (constant, node or graph input). */
function shapeOf(c: Ctx, x: string): number[] | undefined {
  return c.g.consts.get(x)?.shape ?? c.def.get(x)?.shape ?? c.g.inputs.find((i) => i.name === x)?.shape;
}

/** Whether `x` is one value per row of `shape` (or a scalar): [..., 1] broadcast over the last axis. */
function isRowOf(c: Ctx, x: string, shape: number[]): boolean {
  const s = shapeOf(c, x);
  return !!s && (numel(s) === 1 || (s.length === shape.length && s.at(-1) === 1 && s.every((d, i) => i === s.length - 1 || d === shape[i])));
}

/** Whether value `x` already has the full shape `shape` (so replacing a broadcast result by it is sound). */
function sameShape(c: Ctx, x: string, shape: number[]): boolean {
  const s = shapeOf(c, x);
  return !!s && s.length === shape.length && s.every((d, i) => d === shape[i]);
}

/** Runs every rule to a fixpoint, then removes identities and dead nodes. */
export function canonicalize(g: FGraph): FGraph {
  let counter = 0;
  const fresh = (b: string) => `${b}.c${++counter}`;
  for (let iter = 0; iter < 100; iter++) {
    const def = new Map(g.nodes.map((n) => [n.out, n]));
    const ctx: Ctx = {
      g,
      def,
      fresh,
      constScalar: (nm) => {
        const k = g.consts.get(nm);
        return k && numel(k.shape) === 1 ? k.data[0] : null;
      },
    };
    let changed = false;
    const out: FNode[] = [];
    for (const n of g.nodes) {
      let rep: FNode[] | null = null;
      for (const rule of Object.values(RULES)) {
        rep = rule(n, ctx);
        if (rep) break;
      }
      if (rep) {
        changed = true;
        out.push(...rep);
        for (const r of rep) def.set(r.out, r);
      } else out.push(n);
    }
    g.nodes = out;
    if (!changed) break;
  }
  removeIdentities(g);
  eliminateDeadCode(g);
  return g;
}

function removeIdentities(g: FGraph): void {
  const alias = new Map<string, string>();
  const outputs = new Set(g.outputs.map((o) => o.value));
  g.nodes = g.nodes.filter((n) => {
    if (n.op !== 'identity' || outputs.has(n.out) || g.consts.has(n.inputs[0])) return true;
    alias.set(n.out, alias.get(n.inputs[0]) ?? n.inputs[0]);
    return false;
  });
  for (const n of g.nodes) n.inputs = n.inputs.map((x) => alias.get(x) ?? x);
}

/** Drops nodes and constants nothing reaches from the outputs. */
export function eliminateDeadCode(g: FGraph): void {
  const live = new Set(g.outputs.map((o) => o.value));
  for (let i = g.nodes.length - 1; i >= 0; i--) {
    const n = g.nodes[i];
    if (live.has(n.out)) for (const x of n.inputs) live.add(x);
  }
  g.nodes = g.nodes.filter((n) => live.has(n.out));
  for (const k of [...g.consts.keys()]) if (!live.has(k)) g.consts.delete(k);
}
