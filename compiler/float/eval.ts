/**
 * @fileoverview Float evaluator of the float graph (float64): constant folding and calibration.
 *
 * Not an oracle for the back-ends — that is the integer interpreter. This exists so the compiler
 * can fold constant subgraphs and learn the value ranges the fixed-point formats must hold.
 */
import { TritError } from '../../common/errors.js';
import { broadcastShapes, numel } from '../ir/types.js';
import { roundReal } from '../ir/arith.js';
import type { FData, FGraph, FNode, FOp } from './graph.js';
import { bIndex } from '../ir/broadcast.js';

/** What a rule reads: the node, its operands' values and shapes, and the output buffer. */
interface Site {
  n: FNode;
  xs: ArrayLike<number>[];
  shapes: number[][];
  out: Float64Array;
}
type Rule = (s: Site) => Float64Array;

const unary =
  (f: (v: number, n: FNode) => number): Rule =>
  ({ n, xs, out }) => {
    for (let i = 0; i < out.length; i++) out[i] = f(xs[0][i], n);
    return out;
  };
const binary =
  (f: (u: number, v: number) => number): Rule =>
  ({ n, xs, shapes, out }) => {
    if (!broadcastShapes(shapes[0], shapes[1])) throw new TritError(`shapes [${shapes[0]}] and [${shapes[1]}] do not broadcast`, { node: n.src });
    const ia = bIndex(n.shape, shapes[0]),
      ib = bIndex(n.shape, shapes[1]);
    for (let i = 0; i < out.length; i++) out[i] = f(xs[0][ia[i]], xs[1][ib[i]]);
    return out;
  };
const copy: Rule = ({ xs, out }) => {
  for (let i = 0; i < out.length; i++) out[i] = xs[0][i];
  return out;
};
const reduction: Rule = ({ n, xs, shapes, out }) => reduce(n, xs[0], shapes[0], out);

/** The float graph's semantics, in float64: one entry per op. */
const EVAL: Record<FOp, Rule> = {
  add: binary((u, v) => u + v),
  sub: binary((u, v) => u - v),
  mul: binary((u, v) => u * v),
  div: binary((u, v) => u / v),
  max: binary((u, v) => Math.max(u, v)),
  min: binary((u, v) => Math.min(u, v)),
  pow: binary((u, v) => u ** v),
  neg: unary((v) => -v),
  abs: unary(Math.abs),
  sqrt: unary(Math.sqrt),
  recip: unary((v) => 1 / v),
  rsqrt: unary((v) => 1 / Math.sqrt(v)),
  sigmoid: unary((v) => 1 / (1 + Math.exp(-v))),
  tanh: unary(Math.tanh),
  exp: unary(Math.exp),
  relu: unary((v) => Math.max(0, v)),
  round: unary((v) => roundReal(v, 'half_even')),
  trunc: unary(Math.trunc),
  clip: unary((v, n) => Math.min(n.attrs.hi ?? Infinity, Math.max(n.attrs.lo ?? -Infinity, v))),
  identity: copy,
  reshape: copy,
  reduce_sum: reduction,
  reduce_mean: reduction,
  reduce_max: reduction,
  reduce_absmax: reduction,
  argmax: reduction,
  cumsum: reduction,
  matmul: ({ xs: [x, w], shapes, out }) => {
    const K = shapes[0].at(-1)!,
      N = shapes[1].at(-1)!;
    for (let m = 0; m < numel(shapes[0]) / K; m++)
      for (let o = 0; o < N; o++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += x[m * K + k] * w[k * N + o];
        out[m * N + o] = s;
      }
    return out;
  },
  ternary_matmul: ({ n, xs: [x, w], shapes, out }) => {
    const K = shapes[0].at(-1)!,
      N = shapes[1][0];
    const c = n.attrs.scale ?? 1;
    for (let m = 0; m < numel(shapes[0]) / K; m++)
      for (let o = 0; o < N; o++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += x[m * K + k] * w[o * K + k];
        out[m * N + o] = s * c;
      }
    return out;
  },
  gather: ({ n, xs: [table, ids], shapes, out }) => {
    const D = numel(shapes[0].slice(1)),
      V = shapes[0][0];
    for (let i = 0; i < ids.length; i++) {
      let id = ids[i];
      if (id < 0) id += V;
      if (!(id >= 0 && id < V)) throw new TritError(`Gather index ${ids[i]} is out of range [0, ${V})`, { node: n.src });
      for (let j = 0; j < D; j++) out[i * D + j] = table[id * D + j];
    }
    return out;
  },
  slice: ({ n, xs, shapes, out }) => {
    const s = shapes[0],
      ax = n.attrs.axis!,
      start = n.attrs.start!;
    const inner = numel(s.slice(ax + 1)),
      outer = numel(s.slice(0, ax)),
      len = n.attrs.end! - start;
    let k = 0;
    for (let o = 0; o < outer; o++) for (let j = 0; j < len * inner; j++) out[k++] = xs[0][(o * s[ax] + start) * inner + j];
    return out;
  },
  concat: ({ n, xs, shapes, out }) => {
    const ax = n.attrs.axis!;
    let k = 0;
    for (let o = 0; o < numel(n.shape.slice(0, ax)); o++)
      xs.forEach((x, i) => {
        const w = numel(shapes[i].slice(ax));
        for (let j = 0; j < w; j++) out[k++] = x[o * w + j];
      });
    return out;
  },
  transpose: ({ n, xs, shapes, out }) => transpose(xs[0], shapes[0], n.attrs.perm!, n.shape, out),
};

/** Evaluates one node on float inputs with the given shapes (float64). */
export function evalNode(n: FNode, xs: ArrayLike<number>[], shapes: number[][]): Float64Array {
  return EVAL[n.op]({ n, xs, shapes, out: new Float64Array(numel(n.shape)) });
}

/** out[k] = x at the input index whose axes, permuted by `perm`, give k's. */
function transpose(x: ArrayLike<number>, s: number[], perm: number[], outShape: number[], out: Float64Array): Float64Array {
  const inStr: number[] = [];
  let st = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    inStr[i] = st;
    st *= s[i];
  }
  const idx = new Array(perm.length).fill(0);
  for (let k = 0; k < out.length; k++) {
    let off = 0;
    for (let i = 0; i < perm.length; i++) off += idx[i] * inStr[perm[i]];
    out[k] = x[off];
    for (let i = perm.length - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  return out;
}

function reduce(n: FNode, x: ArrayLike<number>, s: number[], out: Float64Array): Float64Array {
  const ax = n.attrs.axis!;
  const inner = numel(s.slice(ax + 1)),
    outer = numel(s.slice(0, ax)),
    K = s[ax];
  for (let o = 0; o < outer; o++)
    for (let j = 0; j < inner; j++) {
      let acc = n.op === 'reduce_max' || n.op === 'argmax' ? -Infinity : 0,
        arg = 0;
      for (let k = 0; k < K; k++) {
        const v = x[(o * K + k) * inner + j];
        if (n.op === 'cumsum') {
          acc += v;
          out[(o * K + k) * inner + j] = acc;
          continue;
        }
        if (n.op === 'reduce_sum' || n.op === 'reduce_mean') acc += v;
        else if (n.op === 'reduce_absmax') acc = Math.max(acc, Math.abs(v));
        else if (v > acc) {
          acc = v;
          arg = k;
        }
      }
      if (n.op === 'cumsum') continue;
      out[o * inner + j] = n.op === 'argmax' ? arg : n.op === 'reduce_mean' ? acc / K : acc;
    }
  return out;
}

/** Runs the whole float graph once. `states` supplies state inputs; returns every value. */
export function evalGraph(g: FGraph, inputs: Record<string, ArrayLike<number>>): Map<string, FData> {
  const env = new Map<string, FData>();
  const shapes = new Map<string, number[]>();
  for (const [k, c] of g.consts) {
    env.set(k, c.data);
    shapes.set(k, c.shape);
  }
  for (const i of g.inputs) {
    const v = inputs[i.name];
    if (!v) throw new TritError(`missing input '${i.name}'`, { tensor: i.name });
    env.set(i.name, Float64Array.from(v));
    shapes.set(i.name, i.shape);
  }
  for (const n of g.nodes) {
    env.set(
      n.out,
      evalNode(
        n,
        n.inputs.map((x) => env.get(x)!),
        n.inputs.map((x) => shapes.get(x)!),
      ),
    );
    shapes.set(n.out, n.shape);
  }
  return env;
}
