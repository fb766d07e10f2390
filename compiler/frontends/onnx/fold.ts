/**
 * @fileoverview Constant folding with ONNX semantics, one table entry per ONNX op.
 *
 * Exporters compute a lot at graph level that trit must evaluate at import: torch writes `chunk`
 * as Shape → Gather → Add → Div on int64, upstream's BitLinear quantizes its weights at run time
 * (Abs → ReduceMean → Div → Round → Clip), a TWN-style quantizer uses Greater/Less/Where. Every
 * node whose inputs are all constants is evaluated here, by the ONNX definition for its element
 * type (onnx.ai/onnx/operators): integer Div truncates toward zero, Mod follows its `fmod`
 * attribute, a float→int Cast truncates, FLOAT results are rounded to float32 after every op (what
 * onnxruntime computes), FLOAT16/BFLOAT16 to theirs, integers wrap at their width. What ONNX
 * leaves undefined (a float→int Cast out of range, integer division by zero) and what float64
 * cannot hold exactly (int64 beyond 2^53) is refused by name instead of guessed.
 *
 * Values are float64 arrays (exact for every integer up to 2^53 and every float32); Int8Array
 * for INT8 data (ternary weights: one byte each).
 */
import { budget } from '../../../common/budget.js';
import { TritError, type ErrorSite } from '../../../common/errors.js';
import { broadcastShapes, numel } from '../../ir/types.js';
import { bIndex } from '../../ir/broadcast.js';
import { roundReal } from '../../ir/arith.js';
import { attrs as readAttrs, checkedNumel, type NodeProto } from './proto.js';

/** A constant tensor with its ONNX element type (1 FLOAT, 7 INT64, 9 BOOL, … as TensorProto.DataType). */
export interface CT {
  dtype: number;
  shape: number[];
  data: Float64Array | Int8Array;
}

export const FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  UINT16 = 4,
  INT16 = 5,
  INT32 = 6,
  INT64 = 7,
  BOOL = 9,
  FLOAT16 = 10,
  DOUBLE = 11,
  UINT32 = 12,
  UINT64 = 13,
  BFLOAT16 = 16;

const INT_BITS: Record<number, [number, boolean]> = {
  [UINT8]: [8, false],
  [INT8]: [8, true],
  [UINT16]: [16, false],
  [INT16]: [16, true],
  [INT32]: [32, true],
  [UINT32]: [32, false],
  [INT64]: [64, true],
  [UINT64]: [64, false],
};

export const isFloatType = (t: number) => t === FLOAT || t === DOUBLE || t === FLOAT16 || t === BFLOAT16;

const f32 = new Float32Array(1),
  u32 = new Uint32Array(f32.buffer);

/** Rounds to bfloat16 (nearest, ties to even), through float32 as onnxruntime does. */
function toBf16(v: number): number {
  f32[0] = v;
  if (Number.isNaN(f32[0])) return NaN;
  const b = u32[0];
  u32[0] = ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) << 16;
  return f32[0];
}

/** Rounds to IEEE half (nearest, ties to even), overflowing to ±Infinity. */
function toF16(v: number): number {
  if (!Number.isFinite(v) || v === 0) return v;
  const a = Math.abs(v);
  if (a >= 65520) return Math.sign(v) * Infinity;
  const e = Math.max(Math.floor(Math.log2(a)), -14);
  const q = 2 ** (e - 10);
  return Math.sign(v) * roundReal(a / q, 'half_even') * q;
}

/** Brings an exact real result into element type t: float rounding, integer wrap-around. */
function fit(v: number, t: number, site: ErrorSite): number {
  if (t === FLOAT) return Math.fround(v);
  if (t === DOUBLE) return v;
  if (t === FLOAT16) return toF16(v);
  if (t === BFLOAT16) return toBf16(v);
  if (t === BOOL) return v ? 1 : 0;
  const ib = INT_BITS[t];
  if (!ib) throw new TritError(`element type #${t} cannot be folded`, site);
  const [bits, signed] = ib;
  if (bits === 64) {
    if (!Number.isSafeInteger(v))
      throw new TritError(
        `folding gives the 64-bit integer ${v}, beyond the 2^53 trit evaluates exactly`,
        site,
        'shape arithmetic this large is not a model trit can compile',
      );
    return v;
  }
  const m = 2 ** bits;
  let w = ((v % m) + m) % m;
  if (signed && w >= m / 2) w -= m;
  return w;
}

/** Context of one fold: the node (attributes, messages) and the opset. */
interface Ctx {
  node: NodeProto;
  A: ReturnType<typeof readAttrs>;
  opset: number;
  site: ErrorSite;
  /** The most elements a result may hold: the budget, or the largest input (no growth). */
  limit: number;
  fail(msg: string, hint?: string): never;
}

type Folder = (ins: (CT | undefined)[], c: Ctx) => CT[];

const mk = (dtype: number, shape: number[], data: Float64Array | Int8Array): CT => ({ dtype, shape, data });

function need(x: CT | undefined, what: string, c: Ctx): CT {
  if (!x) c.fail(`${what} is missing`);
  return x!;
}

function ints(x: CT | undefined): number[] {
  return x ? Array.from(x.data) : [];
}

function axisOf(a: number, rank: number, c: Ctx): number {
  const ax = a < 0 ? a + rank : a;
  if (!(ax >= 0 && ax < Math.max(rank, 1))) c.fail(`axis ${a} is out of range for rank ${rank}`);
  return ax;
}

function alloc(shape: number[], c: Ctx): Float64Array {
  return new Float64Array(checkedNumel(shape, c.site, c.limit));
}

/** Elementwise over broadcast inputs; `t` is the result type. */
function elementwise(xs: CT[], t: number, f: (...v: number[]) => number, c: Ctx): CT {
  let shape: number[] = xs[0].shape;
  for (const x of xs.slice(1)) {
    const s = broadcastShapes(shape, x.shape);
    if (!s) c.fail(`operand shapes [${shape}] and [${x.shape}] do not broadcast`);
    shape = s!;
  }
  const out = alloc(shape, c);
  const n = out.length;
  // Same-shape and scalar operands index directly (a weight matrix needs no index map).
  const idx = xs.map((x) => (x.data.length === n ? null : x.data.length === 1 ? 0 : bIndex(shape, x.shape)));
  const v: number[] = new Array(xs.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < xs.length; k++) {
      const m = idx[k];
      v[k] = xs[k].data[m === null ? i : m === 0 ? 0 : m[i]];
    }
    out[i] = fit(f(...v), t, c.site);
  }
  return mk(t, shape, out);
}

const unary =
  (f: (v: number, t: number, c: Ctx) => number): Folder =>
  ([x], c) => [elementwise([need(x, 'input', c)], x!.dtype, (v) => f(v, x!.dtype, c), c)];
const binary =
  (f: (a: number, b: number, t: number, c: Ctx) => number): Folder =>
  ([a, b], c) => [elementwise([need(a, 'input A', c), need(b, 'input B', c)], a!.dtype, (u, v) => f(u, v, a!.dtype, c), c)];
const compare =
  (f: (a: number, b: number) => boolean): Folder =>
  ([a, b], c) => [elementwise([need(a, 'input A', c), need(b, 'input B', c)], BOOL, (u, v) => (f(u, v) ? 1 : 0), c)];
const variadic =
  (f: (a: number, b: number) => number): Folder =>
  (ins, c) => {
    const xs = ins.filter(Boolean) as CT[];
    if (xs.length === 0) c.fail('has no inputs');
    return [elementwise(xs, xs[0].dtype, (...v) => v.reduce(f), c)];
  };

function intDiv(a: number, b: number, t: number, c: Ctx): number {
  if (isFloatType(t)) return a / b;
  if (b === 0) c.fail('integer division by zero while folding constants', 'ONNX leaves it undefined; fix the exported shape arithmetic');
  return Math.trunc(a / b);
}

function mod(a: number, b: number, t: number, c: Ctx): number {
  const fmod = c.A.int('fmod', 0);
  if (isFloatType(t) && !fmod) c.fail('Mod of floating-point values needs fmod=1 (ONNX)');
  if (b === 0) {
    if (isFloatType(t)) return NaN;
    c.fail('integer Mod by zero while folding constants');
  }
  const r = a % b; // C fmod: the sign of the dividend
  return fmod || r === 0 || Math.sign(r) === Math.sign(b) ? r : r + b;
}

function cast(x: CT, to: number, c: Ctx): CT {
  const out = alloc(x.shape, c);
  for (let i = 0; i < out.length; i++) {
    const v = x.data[i];
    if (to === BOOL) {
      out[i] = v !== 0 ? 1 : 0;
      continue;
    }
    if (isFloatType(to)) {
      out[i] = fit(v, to, c.site);
      continue;
    }
    const tv = isFloatType(x.dtype) ? Math.trunc(v) : v;
    const [bits, signed] = INT_BITS[to] ?? c.fail(`Cast to type #${to} is not supported`);
    const lo = signed ? -(2 ** (bits - 1)) : 0,
      hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
    if (isFloatType(x.dtype) && !(tv >= lo && tv <= hi)) {
      c.fail(
        `Cast of ${v} to a ${bits}-bit ${signed ? '' : 'un'}signed integer is out of range`,
        'ONNX leaves this conversion undefined; clamp the value before the Cast',
      );
    }
    out[i] = fit(tv, to, c.site);
  }
  return mk(to, x.shape, out);
}

/** Reduction over `axes` (all when empty), keeping or dropping them. */
function reduce(kind: 'sum' | 'mean' | 'max' | 'min' | 'prod' | 'sumsq' | 'l1' | 'l2', ins: (CT | undefined)[], c: Ctx): CT[] {
  const x = need(ins[0], 'data', c);
  const fromInput = kind === 'sum' ? c.opset >= 13 : c.opset >= 18;
  let axes = fromInput ? (ins[1] ? ints(ins[1]) : undefined) : c.A.ints('axes');
  if ((!axes || axes.length === 0) && c.A.int('noop_with_empty_axes', 0)) return [x];
  const r = x.shape.length;
  axes = !axes || axes.length === 0 ? x.shape.map((_, i) => i) : axes.map((a) => axisOf(a, r, c));
  const keep = c.A.int('keepdims', 1) === 1;
  // Runtimes disagree on reductions of empty tensors (onnxruntime keeps the input's shape); no
  // model needs one, so it is refused rather than guessed.
  if (x.data.length === 0) c.fail(`reducing an empty tensor [${x.shape}] is not supported`);
  const red = new Set(axes);
  const kept = x.shape.map((d, i) => (red.has(i) ? 1 : d));
  const out = alloc(kept, c);
  const init = kind === 'max' ? -Infinity : kind === 'min' ? Infinity : kind === 'prod' ? 1 : 0;
  out.fill(init);
  const oi = out.length === 1 ? null : bIndex(x.shape, kept); // input element → its output slot
  const count = new Float64Array(out.length);
  for (let i = 0; i < x.data.length; i++) {
    const v = x.data[i],
      o = oi ? oi[i] : 0;
    count[o]++;
    switch (kind) {
      case 'sum':
      case 'mean':
        out[o] += v;
        break;
      case 'sumsq':
      case 'l2':
        out[o] += v * v;
        break;
      case 'l1':
        out[o] += Math.abs(v);
        break;
      case 'max':
        out[o] = Math.max(out[o], v);
        break;
      case 'min':
        out[o] = Math.min(out[o], v);
        break;
      case 'prod':
        out[o] *= v;
        break;
    }
  }
  for (let o = 0; o < out.length; o++) {
    let v = out[o];
    if (kind === 'mean') v = intDiv(v, count[o], x.dtype, c);
    if (kind === 'l2') v = Math.sqrt(v);
    out[o] = fit(v, x.dtype, c.site);
  }
  return [mk(x.dtype, keep ? kept : x.shape.filter((_, i) => !red.has(i)), out)];
}

function transpose(x: CT, perm: number[], c: Ctx): CT {
  const s = x.shape;
  if (perm.length !== s.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i))
    c.fail(`bad Transpose perm [${perm}] for rank ${s.length}`);
  const shape = perm.map((p) => s[p]);
  const inStr: number[] = [];
  let st = 1;
  for (let i = s.length - 1; i >= 0; i--) {
    inStr[i] = st;
    st *= s[i];
  }
  const out = alloc(shape, c);
  const idx = new Array(perm.length).fill(0);
  for (let k = 0; k < out.length; k++) {
    let off = 0;
    for (let i = 0; i < perm.length; i++) off += idx[i] * inStr[perm[i]];
    out[k] = x.data[off];
    for (let i = perm.length - 1; i >= 0; i--) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
  return mk(x.dtype, shape, out);
}

/** Gathers along `axis` by index lists per axis (the general strided copy behind Slice/Gather). */
function pick(x: CT, sel: number[][], c: Ctx): CT {
  const shape = sel.map((s) => s.length);
  const out = alloc(shape, c);
  const str: number[] = [];
  let st = 1;
  for (let i = x.shape.length - 1; i >= 0; i--) {
    str[i] = st;
    st *= x.shape[i];
  }
  const idx = new Array(shape.length).fill(0);
  for (let k = 0; k < out.length; k++) {
    let off = 0;
    for (let i = 0; i < shape.length; i++) off += sel[i][idx[i]] * str[i];
    out[k] = x.data[off];
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
  return mk(x.dtype, shape, out);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Slice by the ONNX rules: negative starts/ends count from the end, clamped per step's sign. */
function slice(ins: (CT | undefined)[], c: Ctx): CT {
  const x = need(ins[0], 'data', c);
  const starts = ints(need(ins[1], 'starts', c)),
    ends = ints(need(ins[2], 'ends', c));
  const r = x.shape.length;
  const axes = ins[3] ? ints(ins[3]).map((a) => axisOf(a, r, c)) : starts.map((_, i) => i);
  const steps = ins[4] ? ints(ins[4]) : starts.map(() => 1);
  if (new Set(axes).size !== axes.length) c.fail('Slice repeats an axis');
  const sel = x.shape.map((d) => range(d));
  axes.forEach((ax, i) => {
    const d = x.shape[ax],
      step = steps[i];
    if (!step) c.fail('Slice step 0');
    const norm = (p: number) => (p < 0 ? p + d : p);
    let b = norm(starts[i]),
      e = norm(ends[i]);
    if (step > 0) {
      b = Math.min(Math.max(b, 0), d);
      e = Math.min(Math.max(e, 0), d);
    } else {
      b = Math.min(Math.max(b, 0), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
    }
    const list: number[] = [];
    for (let p = b; step > 0 ? p < e : p > e; p += step) list.push(p);
    sel[ax] = list;
  });
  return pick(x, sel, c);
}

function gather(data: CT, idx: CT, c: Ctx): CT {
  const ax = axisOf(c.A.int('axis', 0), data.shape.length, c);
  const d = data.shape[ax];
  const ids = Array.from(idx.data, (v) => {
    const k = v < 0 ? v + d : v;
    if (!(k >= 0 && k < d)) c.fail(`Gather index ${v} is out of range for a dimension of ${d}`);
    return k;
  });
  const shape = [...data.shape.slice(0, ax), ...idx.shape, ...data.shape.slice(ax + 1)];
  const inner = numel(data.shape.slice(ax + 1)),
    outer = numel(data.shape.slice(0, ax));
  const out = alloc(shape, c);
  let k = 0;
  for (let o = 0; o < outer; o++) for (const id of ids) for (let j = 0; j < inner; j++) out[k++] = data.data[(o * d + id) * inner + j];
  return mk(data.dtype, shape, out);
}

function reshapeTo(x: CT, want: number[], allowzero: boolean, c: Ctx): number[] {
  const shape = want.map((d, i) => (d === 0 && !allowzero ? x.shape[i] : d));
  if (shape.some((d) => d === undefined || d < -1) || shape.filter((d) => d === -1).length > 1)
    c.fail(`bad Reshape target [${want}] for [${x.shape}]`);
  const known = shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const full = shape.map((d) => (d === -1 ? (known === 0 ? 0 : x.data.length / known) : d));
  if (!full.every((d) => Number.isInteger(d) && d >= 0) || numel(full) !== x.data.length) c.fail(`cannot reshape [${x.shape}] to [${want}]`);
  return full;
}

function unsqueezeShape(s: number[], axes: number[], c: Ctx): number[] {
  const r = s.length + axes.length;
  const ax = new Set(axes.map((a) => axisOf(a, r, c)));
  if (ax.size !== axes.length) c.fail('Unsqueeze repeats an axis');
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < r; i++) out.push(ax.has(i) ? 1 : s[k++]);
  return out;
}

function concat(xs: CT[], c: Ctx): CT {
  const r = xs[0].shape.length;
  const ax = axisOf(c.A.int('axis'), r, c);
  for (const x of xs)
    if (x.shape.length !== r || x.shape.some((d, i) => i !== ax && d !== xs[0].shape[i]))
      c.fail(`Concat operand [${x.shape}] does not match [${xs[0].shape}] off axis ${ax}`);
  const shape = xs[0].shape.slice();
  shape[ax] = xs.reduce((p, x) => p + x.shape[ax], 0);
  const out = alloc(shape, c);
  const outer = numel(shape.slice(0, ax));
  let k = 0;
  for (let o = 0; o < outer; o++)
    for (const x of xs) {
      const w = numel(x.shape.slice(ax));
      for (let j = 0; j < w; j++) out[k++] = x.data[o * w + j];
    }
  return mk(xs[0].dtype, shape, out);
}

function matmul(a: CT, b: CT, c: Ctx): CT {
  if ((a.shape.length !== 2 && a.shape.length !== 1) || b.shape.length !== 2) c.fail('folding MatMul of constants supports [M,K]×[K,N] only');
  const M = a.shape.length === 2 ? a.shape[0] : 1,
    K = a.shape.at(-1)!,
    N = b.shape[1];
  if (b.shape[0] !== K) c.fail(`MatMul shapes [${a.shape}] × [${b.shape}] do not fit`);
  const out = alloc(a.shape.length === 2 ? [M, N] : [N], c);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a.data[m * K + k] * b.data[k * N + n];
      out[m * N + n] = fit(s, a.dtype, c.site);
    }
  return mk(a.dtype, a.shape.length === 2 ? [M, N] : [N], out);
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** The fold table: every ONNX op trit can evaluate on constants. */
export const FOLD: Record<string, Folder> = {
  Identity: ([x], c) => [need(x, 'input', c)],
  Dropout: ([x], c) => [need(x, 'input', c)],
  Add: binary((a, b) => a + b),
  Sub: binary((a, b) => a - b),
  Mul: binary((a, b) => a * b),
  Div: binary(intDiv),
  Mod: binary(mod),
  Pow: ([a, b], c) => [elementwise([need(a, 'X', c), need(b, 'Y', c)], a!.dtype, (u, v) => u ** v, c)],
  Max: variadic((a, b) => Math.max(a, b)),
  Min: variadic((a, b) => Math.min(a, b)),
  Sum: variadic((a, b) => a + b),
  Neg: unary((v) => -v),
  Abs: unary(Math.abs),
  Sign: unary(Math.sign),
  Floor: unary(Math.floor),
  Ceil: unary(Math.ceil),
  Round: unary((v) => roundReal(v, 'half_even')),
  Sqrt: unary(Math.sqrt),
  Reciprocal: unary((v) => 1 / v),
  Exp: unary(Math.exp),
  Log: unary(Math.log),
  Sigmoid: unary(sigmoid),
  Tanh: unary(Math.tanh),
  Relu: unary((v) => Math.max(v, 0)),
  Not: ([x], c) => [elementwise([need(x, 'X', c)], BOOL, (v) => (v ? 0 : 1), c)],
  And: compare((a, b) => !!a && !!b),
  Or: compare((a, b) => !!a || !!b),
  Xor: compare((a, b) => !!a !== !!b),
  Equal: compare((a, b) => a === b),
  Greater: compare((a, b) => a > b),
  Less: compare((a, b) => a < b),
  GreaterOrEqual: compare((a, b) => a >= b),
  LessOrEqual: compare((a, b) => a <= b),
  Where: ([k, a, b], c) => [elementwise([need(k, 'condition', c), need(a, 'X', c), need(b, 'Y', c)], a!.dtype, (q, u, v) => (q ? u : v), c)],
  Clip: ([x, lo, hi], c) => {
    const l = lo ? lo.data[0] : c.opset < 11 ? c.A.float('min', -Infinity) : -Infinity;
    const h = hi ? hi.data[0] : c.opset < 11 ? c.A.float('max', Infinity) : Infinity;
    return [elementwise([need(x, 'input', c)], x!.dtype, (v) => Math.min(Math.max(v, l), h), c)];
  },
  Cast: ([x], c) => [cast(need(x, 'input', c), c.A.int('to'), c)],
  CastLike: ([x, like], c) => [cast(need(x, 'input', c), need(like, 'target_type', c).dtype, c)],
  ReduceSum: (ins, c) => reduce('sum', ins, c),
  ReduceMean: (ins, c) => reduce('mean', ins, c),
  ReduceMax: (ins, c) => reduce('max', ins, c),
  ReduceMin: (ins, c) => reduce('min', ins, c),
  ReduceProd: (ins, c) => reduce('prod', ins, c),
  ReduceSumSquare: (ins, c) => reduce('sumsq', ins, c),
  ReduceL1: (ins, c) => reduce('l1', ins, c),
  ReduceL2: (ins, c) => reduce('l2', ins, c),
  Shape: ([x], c) => {
    const s = need(x, 'data', c).shape,
      r = s.length;
    const cl = (p: number) => Math.min(Math.max(p < 0 ? p + r : p, 0), r);
    const sl = s.slice(cl(c.A.int('start', 0)), cl(c.A.int('end', r)));
    return [mk(INT64, [sl.length], Float64Array.from(sl))];
  },
  Size: ([x], c) => [mk(INT64, [], Float64Array.of(need(x, 'data', c).data.length))],
  Gather: ([d, i], c) => [gather(need(d, 'data', c), need(i, 'indices', c), c)],
  Slice: (ins, c) => [slice(ins, c)],
  Concat: (ins, c) => [concat(ins.filter(Boolean) as CT[], c)],
  Reshape: ([x, s], c) => {
    const X = need(x, 'data', c);
    return [mk(X.dtype, reshapeTo(X, ints(need(s, 'shape', c)), !!c.A.int('allowzero', 0), c), X.data)];
  },
  Flatten: ([x], c) => {
    const X = need(x, 'input', c),
      r = X.shape.length;
    const a = c.A.int('axis', 1),
      ax = a < 0 ? a + r : a;
    if (ax < 0 || ax > r) c.fail(`Flatten axis ${a} is out of range for rank ${r}`);
    return [mk(X.dtype, [numel(X.shape.slice(0, ax)), numel(X.shape.slice(ax))], X.data)];
  },
  Unsqueeze: ([x, a], c) => {
    const X = need(x, 'data', c);
    return [mk(X.dtype, unsqueezeShape(X.shape, c.opset >= 13 ? ints(need(a, 'axes', c)) : (c.A.ints('axes') ?? []), c), X.data)];
  },
  Squeeze: ([x, a], c) => {
    const X = need(x, 'data', c),
      r = X.shape.length;
    const given = c.opset >= 13 ? (a ? ints(a) : []) : (c.A.ints('axes') ?? []);
    const ax = given.length ? given.map((v) => axisOf(v, r, c)) : X.shape.flatMap((d, i) => (d === 1 ? [i] : []));
    for (const v of ax) if (X.shape[v] !== 1) c.fail(`cannot squeeze axis ${v} of size ${X.shape[v]}`);
    return [
      mk(
        X.dtype,
        X.shape.filter((_, i) => !ax.includes(i)),
        X.data,
      ),
    ];
  },
  Transpose: ([x], c) => {
    const X = need(x, 'data', c);
    return [transpose(X, c.A.ints('perm') ?? X.shape.map((_, i) => X.shape.length - 1 - i), c)];
  },
  Expand: ([x, s], c) => {
    const X = need(x, 'input', c);
    const shape = broadcastShapes(X.shape, ints(need(s, 'shape', c)));
    if (!shape) c.fail(`cannot expand [${X.shape}] to [${ints(s)}]`);
    const out = alloc(shape!, c),
      idx = bIndex(shape!, X.shape);
    for (let i = 0; i < out.length; i++) out[i] = X.data[idx[i]];
    return [mk(X.dtype, shape!, out)];
  },
  Tile: ([x, r], c) => {
    const X = need(x, 'input', c),
      reps = ints(need(r, 'repeats', c));
    if (reps.length !== X.shape.length || reps.some((k) => k < 0)) c.fail(`Tile repeats [${reps}] do not fit rank ${X.shape.length}`);
    checkedNumel(
      X.shape.map((d, i) => d * reps[i]),
      c.site,
      c.limit,
    );
    return [
      pick(
        X,
        X.shape.map((d, i) => range(d * reps[i]).map((p) => p % d)),
        c,
      ),
    ];
  },
  Range: ([s, l, d], c) => {
    const a = need(s, 'start', c).data[0],
      lim = need(l, 'limit', c).data[0],
      dl = need(d, 'delta', c).data[0];
    if (!dl) c.fail('Range with delta 0');
    const n = Math.max(Math.ceil((lim - a) / dl), 0);
    checkedNumel([n], c.site, c.limit);
    return [
      mk(
        s!.dtype,
        [n],
        Float64Array.from({ length: n }, (_, i) => fit(a + i * dl, s!.dtype, c.site)),
      ),
    ];
  },
  ConstantOfShape: ([s], c) => {
    const shape = ints(need(s, 'shape', c));
    const t = c.A.tensor('value');
    const dtype = t?.dataType ?? FLOAT;
    const v = t ? Number(t.floatData?.[0] ?? t.int32Data?.[0] ?? t.int64Data?.[0] ?? t.doubleData?.[0] ?? rawScalar(t.rawData, dtype)) : 0;
    return [mk(dtype, shape, alloc(shape, c).fill(v))];
  },
  CumSum: ([x, a], c) => {
    const X = need(x, 'x', c);
    const ax = axisOf(need(a, 'axis', c).data[0], X.shape.length, c);
    const excl = c.A.int('exclusive', 0),
      rev = c.A.int('reverse', 0);
    const inner = numel(X.shape.slice(ax + 1)),
      outer = numel(X.shape.slice(0, ax)),
      K = X.shape[ax];
    const out = alloc(X.shape, c);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < inner; j++) {
        let acc = 0;
        for (let q = 0; q < K; q++) {
          const k = rev ? K - 1 - q : q,
            at = (o * K + k) * inner + j;
          if (excl) {
            out[at] = fit(acc, X.dtype, c.site);
            acc += X.data[at];
          } else {
            acc += X.data[at];
            out[at] = fit(acc, X.dtype, c.site);
          }
        }
      }
    return [mk(X.dtype, X.shape, out)];
  },
  Softmax: ([x], c) => {
    const X = need(x, 'input', c);
    if (c.opset < 13) c.fail('folding Softmax before opset 13 (a 2-D coerced axis) is not supported');
    const ax = axisOf(c.A.int('axis', -1), X.shape.length, c);
    const inner = numel(X.shape.slice(ax + 1)),
      outer = numel(X.shape.slice(0, ax)),
      K = X.shape[ax];
    const out = alloc(X.shape, c);
    for (let o = 0; o < outer; o++)
      for (let j = 0; j < inner; j++) {
        const at = (k: number) => (o * K + k) * inner + j;
        // As runtimes compute it in the element type: e = exp(x − max) rounded, the sum rounded once,
        // each e / sum rounded (a checkpoint's lower bounds fold to the same values this way).
        const f = (v: number) => fit(v, X.dtype, c.site);
        let m = -Infinity,
          s = 0;
        for (let k = 0; k < K; k++) m = Math.max(m, X.data[at(k)]);
        const e = Array.from({ length: K }, (_, k) => f(Math.exp(f(X.data[at(k)] - m))));
        for (let k = 0; k < K; k++) s += e[k];
        s = f(s);
        for (let k = 0; k < K; k++) out[at(k)] = f(e[k] / s);
      }
    return [mk(X.dtype, X.shape, out)];
  },
  MatMul: ([a, b], c) => [matmul(need(a, 'A', c), need(b, 'B', c), c)],
};

function rawScalar(raw: Uint8Array | null | undefined, dtype: number): number {
  if (!raw || raw.length === 0) return 0;
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case FLOAT:
      return dv.getFloat32(0, true);
    case DOUBLE:
      return dv.getFloat64(0, true);
    case INT64:
      return Number(dv.getBigInt64(0, true));
    case INT32:
      return dv.getInt32(0, true);
    case INT8:
      return dv.getInt8(0);
    case UINT8:
    case BOOL:
      return dv.getUint8(0);
    default:
      return 0;
  }
}

/** Folds one node whose inputs are all constant; undefined when the op is not in the table. */
export function foldNode(node: NodeProto, ins: (CT | undefined)[], opset: number, site: ErrorSite): CT[] | undefined {
  const f = FOLD[node.opType ?? ''];
  if (!f) return undefined;
  const c: Ctx = {
    node,
    opset,
    site,
    limit: Math.max(budget().elements, ...ins.map((x) => (x ? x.data.length : 0))),
    A: readAttrs(node),
    fail: (msg, hint) => {
      throw new TritError(msg, site, hint);
    },
  };
  return f(ins, c);
}
