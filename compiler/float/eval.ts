/**
 * @fileoverview Float evaluator of the float graph (float64): constant folding and calibration.
 *
 * Not an oracle for the back-ends — that is the integer interpreter. This exists so the compiler
 * can fold constant subgraphs and learn the value ranges the fixed-point formats must hold.
 */
import { TritError } from '../../common/errors.js';
import { broadcastShapes, numel } from '../ir/types.js';
import { roundReal } from '../ir/arith.js';
import type { FData, FGraph, FNode } from './graph.js';
import { bIndex } from '../ir/broadcast.js';

/** Evaluates one node on float inputs with the given shapes. */
export function evalNode(n: FNode, xs: ArrayLike<number>[], shapes: number[][]): Float64Array {
  const out = new Float64Array(numel(n.shape));
  const a = n.attrs;
  const unary = (f: (v: number) => number) => {
    const x = xs[0];
    for (let i = 0; i < out.length; i++) out[i] = f(x[i]);
    return out;
  };
  const binary = (f: (u: number, v: number) => number) => {
    const s = broadcastShapes(shapes[0], shapes[1]);
    if (!s) throw new TritError(`shapes [${shapes[0]}] and [${shapes[1]}] do not broadcast`, { node: n.src });
    const ia = bIndex(n.shape, shapes[0]),
      ib = bIndex(n.shape, shapes[1]);
    for (let i = 0; i < out.length; i++) out[i] = f(xs[0][ia[i]], xs[1][ib[i]]);
    return out;
  };
  switch (n.op) {
    case 'add':
      return binary((u, v) => u + v);
    case 'sub':
      return binary((u, v) => u - v);
    case 'mul':
      return binary((u, v) => u * v);
    case 'div':
      return binary((u, v) => u / v);
    case 'max':
      return binary((u, v) => Math.max(u, v));
    case 'min':
      return binary((u, v) => Math.min(u, v));
    case 'pow':
      return binary((u, v) => u ** v);
    case 'neg':
      return unary((v) => -v);
    case 'abs':
      return unary(Math.abs);
    case 'sqrt':
      return unary(Math.sqrt);
    case 'recip':
      return unary((v) => 1 / v);
    case 'rsqrt':
      return unary((v) => 1 / Math.sqrt(v));
    case 'sigmoid':
      return unary((v) => 1 / (1 + Math.exp(-v)));
    case 'tanh':
      return unary(Math.tanh);
    case 'exp':
      return unary(Math.exp);
    case 'relu':
      return unary((v) => Math.max(0, v));
    case 'round':
      return unary((v) => roundReal(v, 'half_even'));
    case 'trunc':
      return unary(Math.trunc);
    case 'clip':
      return unary((v) => Math.min(a.hi ?? Infinity, Math.max(a.lo ?? -Infinity, v)));
    case 'identity':
    case 'reshape':
      for (let i = 0; i < out.length; i++) out[i] = xs[0][i];
      return out;
    case 'reduce_sum':
    case 'reduce_mean':
    case 'reduce_max':
    case 'reduce_absmax':
    case 'argmax':
    case 'cumsum':
      return reduce(n, xs[0], shapes[0], out);
    case 'matmul': {
      const [x, w] = xs;
      const K = shapes[0].at(-1)!,
        N = shapes[1].at(-1)!;
      const M = numel(shapes[0]) / K;
      for (let m = 0; m < M; m++)
        for (let o = 0; o < N; o++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += x[m * K + k] * w[k * N + o];
          out[m * N + o] = s;
        }
      return out;
    }
    case 'ternary_matmul': {
      const [x, w] = xs;
      const K = shapes[0].at(-1)!,
        N = shapes[1][0];
      const M = numel(shapes[0]) / K;
      const c = a.scale ?? 1;
      for (let m = 0; m < M; m++)
        for (let o = 0; o < N; o++) {
          let s = 0;
          for (let k = 0; k < K; k++) s += x[m * K + k] * w[o * K + k];
          out[m * N + o] = s * c;
        }
      return out;
    }
    case 'gather': {
      const [table, ids] = xs;
      const D = numel(shapes[0].slice(1)),
        V = shapes[0][0];
      for (let i = 0; i < ids.length; i++) {
        let id = ids[i];
        if (id < 0) id += V;
        if (!(id >= 0 && id < V)) throw new TritError(`Gather index ${ids[i]} is out of range [0, ${V})`, { node: n.src });
        for (let j = 0; j < D; j++) out[i * D + j] = table[id * D + j];
      }
      return out;
    }
    case 'slice': {
      const s = shapes[0],
        ax = a.axis!;
      const inner = numel(s.slice(ax + 1)),
        outer = numel(s.slice(0, ax)),
        len = a.end! - a.start!;
      let k = 0;
      for (let o = 0; o < outer; o++) for (let j = 0; j < len * inner; j++) out[k++] = xs[0][(o * s[ax] + a.start!) * inner + j];
      return out;
    }
    case 'concat': {
      const ax = a.axis!;
      const outer = numel(n.shape.slice(0, ax));
      let k = 0;
      for (let o = 0; o < outer; o++)
        xs.forEach((x, i) => {
          const w = numel(shapes[i].slice(ax));
          for (let j = 0; j < w; j++) out[k++] = x[o * w + j];
        });
      return out;
    }
    case 'transpose': {
      const s = shapes[0],
        perm = a.perm!;
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
        out[k] = xs[0][off];
        for (let i = perm.length - 1; i >= 0; i--) {
          if (++idx[i] < n.shape[i]) break;
          idx[i] = 0;
        }
      }
      return out;
    }
  }
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
