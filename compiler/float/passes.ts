/**
 * @fileoverview Canonicalising rewrites on the float graph, each a small rule, run to a fixpoint.
 *
 * They make the many ways exporters spell the same math look alike before lowering, and move
 * per-row scales off the ternary matmul's input so that it sums plain int8 activations:
 *   pow(x, 2)               -> mul(x, x)           (and ±0.5, −1, 1)
 *   div(a, c)               -> mul(a, 1/c)         c constant
 *   div(1, y)               -> recip(y)
 *   recip(sqrt(x))          -> rsqrt(x)
 *   div(a, sqrt(b))         -> mul(a, rsqrt(b))
 *   div(a, div(b, c))       -> div(mul(a, c), b)
 *   mul(a, div(b, c))       -> div(mul(a, b), c)
 *   reduce_max(abs(x))      -> reduce_absmax(x)
 *   T(mul(q, r))            -> mul(T(q), r)        r constant per row (broadcast over the last axis)
 *   T(div(q, s))            -> div(T(q), s)        same; T = ternary_matmul
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
  mulOfDiv(n, c) {
    if (n.op !== 'mul') return null;
    for (const k of [0, 1]) {
      const d = c.def.get(n.inputs[k]);
      if (d?.op !== 'div') continue;
      const m = mk(c.fresh(`${n.out}.num`), 'mul', [n.inputs[1 - k], d.inputs[0]], n);
      return [m, mk(n.out, 'div', [m.out, d.inputs[1]], n)];
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
      const rs = c.g.consts.get(r)?.shape ?? c.def.get(r)?.shape ?? c.g.inputs.find((i) => i.name === r)?.shape;
      if (!rs) continue;
      const perRow = numel(rs) === 1 || (rs.at(-1) === 1 && rs.length <= inShape.length);
      const q = d.inputs[1 - k];
      const qs = c.g.consts.get(q)?.shape ?? c.def.get(q)?.shape ?? c.g.inputs.find((i) => i.name === q)?.shape;
      if (!perRow || !qs || qs.length !== inShape.length || qs.some((v, i) => v !== inShape[i])) continue;
      const t = { ...n, out: c.fresh(`${n.out}.acc`), inputs: [d.inputs[1 - k], n.inputs[1]] };
      return [t, mk(n.out, d.op, [t.out, r], n)];
    }
    return null;
  },
};

/** Whether value `x` already has the full shape `shape` (so replacing a broadcast result by it is sound). */
function sameShape(c: Ctx, x: string, shape: number[]): boolean {
  const s = c.g.consts.get(x)?.shape ?? c.def.get(x)?.shape ?? c.g.inputs.find((i) => i.name === x)?.shape;
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
