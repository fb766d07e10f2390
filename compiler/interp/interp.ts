/**
 * @fileoverview The IR interpreter: the executable definition of every op, and the oracle that the
 * wasm and Verilog back-ends must match bit for bit.
 *
 * Deliberately plain: one loop per op, values held as exact integers in Float64Arrays (exact below
 * 2^53; products past that go through BigInt in arith.ts). Every result is checked against its
 * declared dtype: a value that does not fit is a TritError naming the node, never a wrap-around.
 * Nodes flagged `sat` clamp instead, and the interpreter counts how often they did.
 */
import { clamp, divRound, mulShift, roundReal, roundShift, type RoundMode } from '../ir/arith.js';
import { valueTypes, type Const, type IRGraph, type IRNode } from '../ir/graph.js';
import { dtypeRange, numel, satRange, type TensorType } from '../ir/types.js';
import { TritError } from '../../common/errors.js';
import { recipFixed, rsqrtFixed } from '../ir/newton.js';
import { bIndex } from '../ir/broadcast.js';

/** A tensor handed to or returned by the interpreter. */
export type Values = Float64Array;

/** What one step returns. */
export interface StepResult {
  outputs: Record<string, Values>;
  /** Every node's output, when `record` was asked for (layer-by-layer comparison). */
  values?: Map<string, Values>;
  /** Per node: how many elements were clamped by a `sat` flag or op this step. */
  saturations: Map<string, number>;
}

/** Runs an IR graph step by step, carrying its recurrent state. */
export class Interpreter {
  readonly graph: IRGraph;
  private state = new Map<string, Values>();
  private ternaryRows = new Map<string, { pos: Int32Array[]; neg: Int32Array[] }>();
  private constValues = new Map<string, Values>();
  private types: Map<string, TensorType>;

  constructor(graph: IRGraph) {
    this.graph = graph;
    this.types = valueTypes(graph);
    this.reset();
  }

  /** Zeroes every recurrent state. */
  reset(): void {
    for (const s of this.graph.states) this.state.set(s.name, new Float64Array(numel(s.type.shape)));
  }

  /** Current value of a state buffer (a copy). */
  getState(name: string): Values {
    const s = this.state.get(name);
    if (!s) throw new TritError(`no state named '${name}'`);
    return s.slice();
  }

  /** Runs one step. Integer inputs must hold integers; f32 inputs any finite numbers. */
  run(inputs: Record<string, ArrayLike<number>>, opts: { record?: boolean } = {}): StepResult {
    const env = new Map<string, Values>();
    const saturations = new Map<string, number>();
    for (const inp of this.graph.inputs) {
      const v = inputs[inp.name];
      if (!v) throw new TritError(`missing input '${inp.name}'`, { tensor: inp.name });
      const n = numel(inp.type.shape);
      if (v.length !== n) {
        throw new TritError(`input '${inp.name}' has ${v.length} elements, expected ${n} (shape [${inp.type.shape}])`, { tensor: inp.name });
      }
      const a = Float64Array.from(v);
      if (inp.type.dtype !== 'f32') {
        const [lo, hi] = dtypeRange(inp.type.dtype);
        for (const x of a) {
          if (!Number.isInteger(x) || x < lo || x > hi)
            throw new TritError(`input '${inp.name}' holds ${x}, not an ${inp.type.dtype}`, { tensor: inp.name });
        }
      }
      env.set(inp.name, a);
    }
    const writes = new Map<string, Values>();
    for (const node of this.graph.nodes) {
      const out = this.exec(node, env, writes, saturations);
      env.set(node.out, out);
    }
    for (const [k, v] of writes) this.state.set(k, v);
    const outputs: Record<string, Values> = {};
    for (const o of this.graph.outputs) outputs[o.name] = env.get(o.value)!;
    return { outputs, values: opts.record ? env : undefined, saturations };
  }

  private operand(name: string, env: Map<string, Values>): Values {
    if (name.startsWith('@')) {
      let c = this.constValues.get(name);
      if (!c) this.constValues.set(name, (c = Float64Array.from(this.constOf(name).data)));
      return c;
    }
    const v = env.get(name);
    if (!v) throw new TritError(`value '${name}' used before it is defined`, { tensor: name });
    return v;
  }

  private constOf(name: string): Const {
    const c = this.graph.consts.get(name);
    if (!c) throw new TritError(`no constant '${name}'`, { tensor: name });
    return c;
  }

  private typeOf(name: string): TensorType {
    if (name.startsWith('@')) return this.constOf(name).type;
    const ty = this.types.get(name);
    if (ty) return ty;
    throw new TritError(`value '${name}' has no type`, { tensor: name });
  }

  private exec(node: IRNode, env: Map<string, Values>, writes: Map<string, Values>, sats: Map<string, number>): Values {
    const t = node.type;
    const n = numel(t.shape);
    const a = node.attrs;
    const round = a.round as RoundMode;
    const out = new Float64Array(n);
    const x = node.inputs.length > 0 && node.op !== 'gather' ? this.operand(node.inputs[0], env) : new Float64Array(0);
    const binary = (f: (u: number, v: number) => number) => {
      const y = this.operand(node.inputs[1], env);
      const ia = bIndex(t.shape, this.typeOf(node.inputs[0]).shape);
      const ib = bIndex(t.shape, this.typeOf(node.inputs[1]).shape);
      for (let i = 0; i < n; i++) out[i] = f(x[ia[i]], y[ib[i]]);
    };
    const K = () => this.typeOf(node.inputs[0]).shape.at(-1)!;
    switch (node.op) {
      case 'quantize':
        for (let i = 0; i < n; i++) {
          if (!Number.isFinite(x[i])) throw new TritError(`input holds ${x[i]}`, { node: node.out });
          out[i] = roundReal(Math.fround(x[i]) * 2 ** t.frac, round);
        }
        return this.saturate(node, out, sats, true);
      case 'dequantize':
        for (let i = 0; i < n; i++) out[i] = Math.fround(x[i] * 2 ** -this.typeOf(node.inputs[0]).frac);
        return out;
      case 'ternary_matmul':
        ternaryMatmul(x, this.ternary(node.inputs[1]), K(), out);
        return this.fit(node, out, sats);
      case 'add':
        binary((u, v) => u + v);
        return this.fit(node, out, sats);
      case 'sub':
        binary((u, v) => u - v);
        return this.fit(node, out, sats);
      case 'max':
        binary((u, v) => Math.max(u, v));
        return this.fit(node, out, sats);
      case 'min':
        binary((u, v) => Math.min(u, v));
        return this.fit(node, out, sats);
      case 'mul':
        binary((u, v) => mulShift(u, v, a.shift as number, round));
        return this.fit(node, out, sats);
      case 'mulc':
        binary((u, v) => mulShift(u, v, a.shift as number, round));
        return this.fit(node, out, sats);
      case 'divround':
        binary((u, v) => divRound(u, a.mul as number, v, round));
        return this.fit(node, out, sats);
      case 'neg':
        for (let i = 0; i < n; i++) out[i] = -x[i];
        return this.fit(node, out, sats);
      case 'abs':
        for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]);
        return this.fit(node, out, sats);
      case 'shift':
        for (let i = 0; i < n; i++) out[i] = roundShift(x[i], a.by as number, round);
        return this.fit(node, out, sats);
      case 'sat': {
        const lo = a.lo as number,
          hi = a.hi as number;
        let c = 0;
        for (let i = 0; i < n; i++) {
          const v = clamp(x[i], lo, hi);
          if (v !== x[i]) c++;
          out[i] = v;
        }
        if (c) sats.set(node.out, (sats.get(node.out) ?? 0) + c);
        return this.fit(node, out, sats);
      }
      case 'lut':
        lookup(x, this.constOf(node.inputs[1]).data, a, out);
        return this.fit(node, out, sats);
      case 'recip':
      case 'rsqrt': {
        const fi = this.typeOf(node.inputs[0]).frac;
        const f = node.op === 'recip' ? recipFixed : rsqrtFixed;
        for (let i = 0; i < n; i++) out[i] = f(x[i], fi, t.frac, a.lutbits as number, a.newton as number);
        return this.fit(node, out, sats);
      }
      case 'reduce_sum':
        // The row's exact sum (|Σ| < 2^53: K·2^31 for K ≤ 2^21), then one rounding shift.
        reduceRows(node.op, x, K(), out);
        if (a.shift) for (let i = 0; i < out.length; i++) out[i] = roundShift(out[i], a.shift as number, a.round as RoundMode);
        return this.fit(node, out, sats);
      case 'reduce_max':
      case 'reduce_absmax':
      case 'argmax':
        reduceRows(node.op, x, K(), out);
        return this.fit(node, out, sats);
      case 'gather': {
        const table = this.constOf(node.inputs[0]);
        const ids = this.operand(node.inputs[1], env);
        const [V, D] = table.type.shape;
        for (let i = 0; i < ids.length; i++) {
          const id = ids[i];
          if (!(id >= 0 && id < V)) throw new TritError(`id ${id} is out of range [0, ${V})`, { node: node.out, tensor: node.inputs[1] });
          for (let j = 0; j < D; j++) out[i * D + j] = table.data[id * D + j];
        }
        return out;
      }
      case 'slice':
        sliceAxis(x, this.typeOf(node.inputs[0]).shape, a.axis as number, a.start as number, a.end as number, out);
        return out;
      case 'concat': {
        const ax = a.axis as number;
        const outer = numel(t.shape.slice(0, ax));
        let k = 0;
        const parts = node.inputs.map((nm) => ({ v: this.operand(nm, env), w: numel(this.typeOf(nm).shape.slice(ax)) }));
        for (let o = 0; o < outer; o++) for (const p of parts) for (let j = 0; j < p.w; j++) out[k++] = p.v[o * p.w + j];
        return out;
      }
      case 'reshape':
        out.set(x);
        return out;
      case 'state_read':
        out.set(this.state.get(a.state as string)!);
        return out;
      case 'state_write':
        writes.set(a.state as string, x.slice());
        out.set(x);
        return out;
    }
  }

  /** Applies the node's `sat` flag, then proves the result fits its dtype. */
  private fit(node: IRNode, out: Values, sats: Map<string, number>): Values {
    return this.saturate(node, out, sats, node.attrs.sat === true);
  }

  private saturate(node: IRNode, out: Values, sats: Map<string, number>, clampIt: boolean): Values {
    const [lo, hi] = clampIt ? satRange(node.type.dtype) : dtypeRange(node.type.dtype);
    let c = 0;
    for (let i = 0; i < out.length; i++) {
      const v = out[i];
      if (v < lo || v > hi) {
        if (!clampIt) {
          throw new TritError(`value ${v} does not fit ${node.type.dtype} (op ${node.op}); the range analysis should have refused this graph`, {
            node: node.out,
          });
        }
        out[i] = v < lo ? lo : hi;
        c++;
      }
    }
    if (c) sats.set(node.out, (sats.get(node.out) ?? 0) + c);
    return out;
  }

  private ternary(name: string): { pos: Int32Array[]; neg: Int32Array[] } {
    let r = this.ternaryRows.get(name);
    if (r) return r;
    const c = this.constOf(name);
    const [N, K] = c.type.shape;
    r = { pos: [], neg: [] };
    for (let o = 0; o < N; o++) {
      const p: number[] = [],
        q: number[] = [];
      for (let j = 0; j < K; j++) {
        const w = c.data[o * K + j];
        if (w === 1) p.push(j);
        else if (w === -1) q.push(j);
      }
      r.pos.push(Int32Array.from(p));
      r.neg.push(Int32Array.from(q));
    }
    this.ternaryRows.set(name, r);
    return r;
  }
}

/** Σ of the inputs where the weight is +1 minus where it is −1, for each output of each row. */
function ternaryMatmul(x: Values, rows: { pos: Int32Array[]; neg: Int32Array[] }, k: number, out: Values): void {
  const N = rows.pos.length;
  for (let r = 0; r < out.length / N; r++) {
    const base = r * k;
    for (let o = 0; o < N; o++) {
      let acc = 0;
      for (const j of rows.pos[o]) acc += x[base + j];
      for (const j of rows.neg[o]) acc -= x[base + j];
      out[r * N + o] = acc;
    }
  }
}

/** A table lookup: entry ⌊(x − lo)/2^step⌋, clamped to the table, linearly interpolated when asked (half-even). */
function lookup(x: Values, T: ArrayLike<number>, a: IRNode['attrs'], out: Values): void {
  const lo = a.lo as number,
    step = a.step as number,
    last = T.length - 1;
  const span = 2 ** step;
  for (let i = 0; i < out.length; i++) {
    const d = x[i] - lo;
    const j = Math.floor(d / span);
    if (d < 0) out[i] = T[0];
    else if (j >= last) out[i] = T[last];
    else if (a.interp === 'linear') out[i] = T[j] + mulShift(T[j + 1] - T[j], d - j * span, step, 'half_even');
    else out[i] = T[j];
  }
}

/** Reductions over the last axis (k elements a row); argmax keeps the first maximum. */
function reduceRows(op: 'reduce_sum' | 'reduce_max' | 'reduce_absmax' | 'argmax', x: Values, k: number, out: Values): void {
  for (let r = 0; r < out.length; r++) {
    let acc = op === 'reduce_sum' || op === 'reduce_absmax' ? 0 : -Infinity;
    let arg = 0;
    for (let j = 0; j < k; j++) {
      const v = x[r * k + j];
      if (op === 'reduce_sum') acc += v;
      else if (op === 'reduce_absmax') acc = Math.max(acc, Math.abs(v));
      else if (v > acc) {
        acc = v;
        arg = j;
      }
    }
    out[r] = op === 'argmax' ? arg : acc;
  }
}

/** Elements [start, end) of one axis. */
function sliceAxis(x: Values, inShape: number[], ax: number, start: number, end: number, out: Values): void {
  const inner = numel(inShape.slice(ax + 1)),
    outer = numel(inShape.slice(0, ax)),
    len = end - start;
  let k = 0;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < len * inner; j++) out[k++] = x[(o * inShape[ax] + start) * inner + j];
  }
}
