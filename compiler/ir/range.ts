/**
 * @fileoverview Range analysis: an interval for every value, proving each fits its dtype.
 *
 * Intervals are in integer units (the raw integers, not the real numbers they stand for).
 * A node whose interval leaves its dtype fails compilation with the node named — unless the node
 * saturates explicitly (`sat` op or flag), in which case the clamp is the stated behaviour.
 */
import { TritError } from '../../common/errors.js';
import { mulShift, roundShift, type RoundMode } from './arith.js';
import { valueTypes, type IRGraph, type IRNode } from './graph.js';
import { dtypeRange, satRange, typeToString, type TensorType } from './types.js';
import { recipFixed, rsqrtFixed } from './newton.js';

/** A closed interval of integers. */
export type Interval = [number, number];

/** Computes every value's interval; throws a TritError for the first value that may overflow. */
export function analyzeRanges(g: IRGraph): Map<string, Interval> {
  const r = new Map<string, Interval>();
  const types = valueTypes(g);
  const constRange = new Map<string, Interval>();
  for (const [name, c] of g.consts) {
    let lo = Infinity,
      hi = -Infinity;
    for (const v of c.data) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    constRange.set(name, [lo, hi]);
  }
  const get = (nm: string): Interval => (nm.startsWith('@') ? constRange.get(nm)! : r.get(nm)!);
  for (const i of g.inputs) r.set(i.name, dtypeRange(i.type.dtype));
  for (const node of g.nodes) {
    let iv = transfer(g, node, get, types);
    const sat = node.attrs.sat === true || node.op === 'quantize';
    const [dlo, dhi] = dtypeRange(node.type.dtype);
    if (sat) {
      const [slo, shi] = satRange(node.type.dtype);
      iv = [Math.max(iv[0], slo), Math.min(iv[1], shi)];
    }
    if (node.op === 'state_write') {
      // A state read may be negated or abs'ed: what is written must stay in the symmetric range.
      const [slo, shi] = satRange(node.type.dtype);
      if (iv[0] < slo || iv[1] > shi) {
        throw new TritError(
          `range [${iv[0]}, ${iv[1]}] written to state '${node.attrs.state}' leaves [${slo}, ${shi}]`,
          { node: node.out },
          'saturate the new state (a `sat` flag) before writing it',
        );
      }
    }
    if (iv[0] < dlo || iv[1] > dhi) {
      throw new TritError(
        `range [${iv[0]}, ${iv[1]}] of ${node.op} does not fit ${typeToString(node.type)} (holds [${dlo}, ${dhi}])`,
        { node: node.out },
        "widen the value's dtype, lower its frac, or saturate it explicitly (a `sat` op or flag)",
      );
    }
    r.set(node.out, iv);
  }
  return r;
}

function transfer(g: IRGraph, node: IRNode, get: (n: string) => Interval, types: Map<string, TensorType>): Interval {
  const typeOf = (name: string): TensorType => (name.startsWith('@') ? g.consts.get(name)!.type : types.get(name)!);
  const a = node.attrs;
  const ins = node.inputs.map(get);
  const [x, y] = ins;
  const round = a.round as RoundMode;
  switch (node.op) {
    case 'quantize':
      return satRange(node.type.dtype);
    case 'dequantize':
      return [-Infinity, Infinity];
    case 'ternary_matmul': {
      const w = g.consts.get(node.inputs[1])!;
      const [N, K] = w.type.shape;
      let lo = 0,
        hi = 0;
      for (let o = 0; o < N; o++) {
        let p = 0,
          m = 0;
        for (let j = 0; j < K; j++) {
          const v = w.data[o * K + j];
          if (v === 1) p++;
          else if (v === -1) m++;
        }
        lo = Math.min(lo, p * x[0] - m * x[1]);
        hi = Math.max(hi, p * x[1] - m * x[0]);
      }
      return [lo, hi];
    }
    case 'add':
      return [x[0] + y[0], x[1] + y[1]];
    case 'sub':
      return [x[0] - y[1], x[1] - y[0]];
    case 'max':
      return [Math.max(x[0], y[0]), Math.max(x[1], y[1])];
    case 'min':
      return [Math.min(x[0], y[0]), Math.min(x[1], y[1])];
    case 'neg':
      return [-x[1], -x[0]];
    case 'abs':
      return x[0] >= 0 ? x : x[1] <= 0 ? [-x[1], -x[0]] : [0, Math.max(-x[0], x[1])];
    case 'shift':
      return [roundShift(x[0], a.by as number, round), roundShift(x[1], a.by as number, round)];
    case 'sat':
      return [Math.max(x[0], a.lo as number), Math.min(x[1], a.hi as number)];
    case 'mul':
    case 'mulc': {
      // Rounding after an exact product is monotone in the product, so the corners bound it.
      const s = a.shift as number;
      const ps = [mulShift(x[0], y[0], s, round), mulShift(x[0], y[1], s, round), mulShift(x[1], y[0], s, round), mulShift(x[1], y[1], s, round)];
      return [Math.min(...ps), Math.max(...ps)];
    }
    case 'divround': {
      // |a·k/b| ≤ k·max|a|/min b, with b ≥ 1 LSB where it is positive (0 otherwise).
      const k = a.mul as number,
        m = (Math.max(Math.abs(x[0]), Math.abs(x[1])) * k) / Math.max(1, y[0]);
      return [-Math.ceil(m), Math.ceil(m)];
    }
    case 'lut':
      return y;
    case 'recip':
    case 'rsqrt': {
      const f = node.op === 'recip' ? recipFixed : rsqrtFixed;
      const fi = typeOf(node.inputs[0]).frac;
      const [l, h] = [Math.max(1, x[0]), Math.max(1, x[1])];
      const args = [a.lutbits as number, a.newton as number] as const;
      // Monotone decreasing; a couple of LSBs of slack cover the seed/Newton rounding.
      const vmin = f(h, fi, node.type.frac, ...args),
        vmax = f(l, fi, node.type.frac, ...args);
      return [Math.max(0, vmin - 2), vmax + 2];
    }
    case 'reduce_sum': {
      const K = typeOf(node.inputs[0]).shape.at(-1)!;
      const sh = (a.shift as number | undefined) ?? 0; // rounding is monotone
      return sh ? [roundShift(x[0] * K, sh, a.round as RoundMode), roundShift(x[1] * K, sh, a.round as RoundMode)] : [x[0] * K, x[1] * K];
    }
    case 'reduce_max':
      return x;
    case 'reduce_absmax':
      return [x[0] >= 0 ? x[0] : x[1] <= 0 ? -x[1] : 0, Math.max(Math.abs(x[0]), Math.abs(x[1]))];
    case 'argmax':
      return [0, typeOf(node.inputs[0]).shape.at(-1)! - 1];
    case 'gather':
      return ins[0];
    case 'slice':
    case 'reshape':
      return x;
    case 'concat':
      return [Math.min(...ins.map((i) => i[0])), Math.max(...ins.map((i) => i[1]))];
    case 'state_read':
      return satRange(node.type.dtype);
    case 'state_write':
      return x;
  }
}
