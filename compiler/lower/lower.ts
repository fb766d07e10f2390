/**
 * @fileoverview Lowering: float graph → addition-only IR, choosing every value's fixed-point format.
 *
 * The rule (docs/IR.md §Formats): each lowered value carries *provable* real bounds, derived by
 * interval arithmetic from its operands. Ops that only combine inputs (add, max, slice, matmul …)
 * take the coarsest operand frac that still holds the provable bound. Ops that create new
 * magnitudes (mul, recip, rsqrt) size their output from min(provable bound, headroom × calibrated
 * range); where the calibrated bound is the tighter one the op saturates explicitly (`sat` flag),
 * so overflow is either impossible or a stated, counted clamp. Every i32 value keeps ≥ 1 bit of
 * headroom below 2^31.
 */
import { TritError } from '../../common/errors.js';
import { roundReal } from '../ir/arith.js';
import { allocInt, emptyGraph, type IRGraph } from '../ir/graph.js';
import type { Attrs, OpName } from '../ir/ops.js';
import { broadcastShapes, dtypeFor, dtypeRange, numel, satRange, type DType, type TensorType } from '../ir/types.js';
import { bIndex } from '../ir/broadcast.js';
import type { FGraph, FNode } from '../float/graph.js';
import type { CalibRanges } from './calibrate.js';
import { maxAbs as maxAbsOf, minMax } from '../util/minmax.js';

/** Tunables of the lowering; the defaults are what docs/IR.md states. */
export interface LowerOptions {
  /** Calibrated bounds are multiplied by this before sizing a format. */
  headroom: number;
  /** Seed-table bits and Newton steps of recip/rsqrt. */
  lutBits: number;
  newton: number;
  /** Sigmoid/tanh tables: points per unit of input, and the input span covered. */
  lutDensity: number;
  /** Headroom of sums sized from calibration: wider than `headroom`, since a sum of many terms
   *  moves with the input distribution (random calibration images vs MNIST) more than one value. */
  sumHeadroom: number;
  /** Bits of constant multipliers (mulc): 24 keeps x·c below 2^53 (exact in every evaluator). */
  constBits: number;
  /** Bits of gathered tables (embeddings): 16 halves their size, 32 keeps float32-level fidelity. */
  tableBits: 16 | 32;
  /** Abs-max activation quantization q = round(k·y / max|y|) as an exact `divround` of the
   *  values with per-row scales cancelled (docs/IR.md §6); off: through the reciprocal unit, the
   *  form an FPGA build falls back to when the part cannot hold the divider (hdl-gen compileForDevice). */
  exactQuant: boolean;
}

export const DEFAULT_LOWER: LowerOptions = {
  headroom: 2,
  sumHeadroom: 16,
  lutBits: 8,
  newton: 2,
  lutDensity: 64,
  constBits: 24,
  tableBits: 32,
  exactQuant: true,
};

/** A lowered value: the IR operand, its type, and provable bounds of the real number it holds. */
interface LV {
  v: string;
  t: TensorType;
  lo: number;
  hi: number;
  int: boolean;
}

const maxAbs = (x: { lo: number; hi: number }) => Math.max(Math.abs(x.lo), Math.abs(x.hi));

/** Largest frac (≤ 40) that keeps |bound|·2^frac ≤ 2^30 in an i32. */
export function fracFor(bound: number): number {
  if (!(bound > 0)) return 24;
  if (!Number.isFinite(bound)) return -Infinity;
  return Math.min(40, Math.floor(30 - Math.log2(bound)));
}

/** Where a float-graph (ONNX) tensor lives in the IR: the value and its fraction bits. */
export type ValueMap = Map<string, { value: string; frac: number }>;

/**
 * Lowers `g` using calibrated ranges `cal`; also returns where each ONNX tensor went, and how many
 * values have a format sized from calibration (they saturate beyond it; proved bounds not counted).
 */
export function lowerToIR(
  g: FGraph,
  cal: CalibRanges,
  opts: Partial<LowerOptions> = {},
): { ir: IRGraph; valueMap: ValueMap; calibrationSized: number } {
  const l = new Lowering(g, cal, { ...DEFAULT_LOWER, ...opts });
  const ir = l.run();
  return { ir, valueMap: l.valueMap(), calibrationSized: l.calibrationSized.size };
}

class Lowering {
  private ir: IRGraph;
  private lv = new Map<string, LV>();
  private names = new Set<string>();
  /** Values whose format `sized` took from calibration. */
  readonly calibrationSized = new Set<string>();
  private constKeys = new Map<string, string>();
  private lutTables = new Map<string, string>();
  private defs: Map<string, FNode> | null = null;
  private src = '';

  constructor(
    private g: FGraph,
    private cal: CalibRanges,
    private o: LowerOptions,
  ) {
    this.ir = emptyGraph(g.name);
    this.ir.meta = { ...g.meta };
  }

  private fail(msg: string, hint?: string): never {
    throw new TritError(msg, { node: this.src }, hint);
  }

  /** A broken invariant of the lowering itself: still a TritError naming the node, and it says
   *  what a user can do (the random-graph test keeps valid models from reaching these). */
  private invariant(msg: string): never {
    this.fail(
      `trit could not lower this node (${msg})`,
      'this is a bug in trit: please report it with the model file; meanwhile, simplifying the node (e.g. folding its constants before export) or passing representative inputs with --calibration may avoid it',
    );
  }

  /** Fixed point holds values within about 2^±62 of one: an extreme constant, an infinity or a
   *  division by zero in the model asks for a format beyond that. */
  private checkFrac(frac: number): void {
    if (Number.isInteger(frac) && Math.abs(frac) <= 62) return;
    this.fail(
      `a value here needs ${Number.isFinite(frac) ? `2^${-frac}` : 'infinite'} scale, beyond the ±2^62 trit's fixed point holds`,
      'the model multiplies or adds an extreme constant (beyond about 1e18 or below 1e-18), an infinity, or divides by a zero constant; rescale or remove it before export',
    );
  }

  private name(base: string): string {
    let b = base.replace(/[^A-Za-z0-9_.:/-]/g, '_') || 'v';
    if (this.names.has(b)) {
      let k = 1;
      while (this.names.has(`${b}.${k}`)) k++;
      b = `${b}.${k}`;
    }
    this.names.add(b);
    return b;
  }

  private emit(op: OpName, inputs: string[], attrs: Attrs, t: TensorType, base: string): string {
    this.checkFrac(t.frac);
    const out = this.name(base);
    this.ir.nodes.push({ out, op, inputs, attrs, type: t });
    return out;
  }

  /** Adds an integer constant (deduplicated by content). */
  private constant(base: string, dtype: Exclude<DType, 'f32'>, shape: number[], frac: number, ints: ArrayLike<number>, ternary = false): string {
    const data = allocInt(dtype, numel(shape));
    for (let i = 0; i < data.length; i++) data[i] = ints[i];
    // Small constants (scalars, tables, norm vectors) are shared by content; big ones are unique.
    const key = data.length <= 4096 ? `${dtype}|${shape}|${frac}|${ternary}|${data.join(',')}` : null;
    const hit = key ? this.constKeys.get(key) : undefined;
    if (hit) return hit;
    this.checkFrac(frac);
    const name = '@' + this.name(base);
    this.ir.consts.set(name, { name, type: { dtype, shape, frac }, ternary, data });
    if (key) this.constKeys.set(key, name);
    return name;
  }

  /** Quantizes a float constant at a given frac into an i32 (or narrower) constant LV. */
  private quantConst(base: string, data: ArrayLike<number>, shape: number[], frac: number, dtype?: Exclude<DType, 'f32'>): LV {
    const ints = Float64Array.from(data, (v) => roundReal(v * 2 ** frac, 'half_even'));
    const [lo, hi] = minMax(ints);
    const dt = dtype ?? dtypeFor(lo, hi);
    const [a, b] = dtypeRange(dt);
    if (lo < a || hi > b) this.fail(`constant '${base}' does not fit ${dt} at frac ${frac}`);
    const v = this.constant(base, dt, shape, frac, ints);
    return { v, t: { dtype: dt, shape, frac }, lo: lo * 2 ** -frac, hi: hi * 2 ** -frac, int: Number.isInteger(frac) && frac <= 0 };
  }

  /** Brings x to frac f (and dtype), by an exact left shift or a half-even right shift. */
  private toFrac(x: LV, f: number, dtype: Exclude<DType, 'f32'> = 'i32', base = 'align'): LV {
    if (x.t.frac === f && x.t.dtype === dtype) return x;
    if (x.v.startsWith('@') && x.t.frac !== f) this.invariant('a constant was needed at a second precision');
    const by = x.t.frac - f;
    const t = { dtype, shape: x.t.shape, frac: f };
    const [a, b] = dtypeRange(dtype);
    if (maxAbs(x) * 2 ** f > Math.min(b, -a)) this.invariant(`value ${x.v} does not fit ${dtype} at frac ${f}`);
    const v = this.emit('shift', [x.v], { by, round: 'half_even' }, t, `${x.v.replace(/^@/, '')}.${base}`);
    return { ...x, v, t };
  }

  private lvOf(name: string): LV {
    const l = this.lv.get(name);
    if (l) return l;
    const c = this.g.consts.get(name);
    if (!c) this.invariant(`'${name}' was used before it was lowered`);
    // A constant used as a full operand: quantize at a frac fitting its range.
    const [lo, hi] = minMax(c!.data);
    return this.quantConst(name, c!.data, c!.shape, c!.int ? 0 : fracFor(Math.max(Math.abs(lo), Math.abs(hi))));
  }

  valueMap(): ValueMap {
    const m: ValueMap = new Map();
    for (const [k, x] of this.lv) if (!x.v.startsWith('@')) m.set(k, { value: x.v, frac: x.t.frac });
    return m;
  }

  run(): IRGraph {
    const g = this.g;
    const stateIns = new Map(g.states.map((s) => [s.input, s]));
    const stateFmt = new Map<string, TensorType>();
    for (const i of g.inputs) {
      this.src = i.name;
      if (stateIns.has(i.name)) {
        const s = stateIns.get(i.name)!;
        const outV = g.outputs.find((o) => o.name === s.output)!.value;
        const c1 = this.cal.get(i.name),
          c2 = this.cal.get(outV);
        const m = Math.max(...[c1, c2].filter(Boolean).flatMap((c) => c!.map(Math.abs)), 1e-3) * this.o.headroom;
        const t: TensorType = { dtype: 'i32', shape: i.shape, frac: fracFor(m) };
        this.ir.states.push({ name: this.name(i.name), type: t });
        stateFmt.set(i.name, t);
        const v = this.emit('state_read', [], { state: this.ir.states.at(-1)!.name }, t, `${i.name}.read`);
        const [a, b] = satRange('i32');
        this.lv.set(i.name, { v, t, lo: a * 2 ** -t.frac, hi: b * 2 ** -t.frac, int: false });
        this.ir.meta[`state:${this.ir.states.at(-1)!.name}`] = `${i.name} -> ${s.output}`;
      } else if (i.int) {
        const t: TensorType = { dtype: 'i32', shape: i.shape, frac: 0 };
        const name = this.name(i.name);
        this.ir.inputs.push({ name, type: t });
        this.lv.set(i.name, { v: name, t, lo: -(2 ** 31), hi: 2 ** 31 - 1, int: true });
      } else {
        const name = this.name(i.name);
        this.ir.inputs.push({ name, type: { dtype: 'f32', shape: i.shape, frac: 0 } });
        const c = this.cal.get(i.name);
        if (!c) this.fail(`no calibration range for input '${i.name}'`, 'pass calibration inputs');
        const m = Math.max(Math.abs(c![0]), Math.abs(c![1]), 1e-3) * this.o.headroom;
        const t: TensorType = { dtype: 'i32', shape: i.shape, frac: fracFor(m) };
        const v = this.emit('quantize', [name], { round: 'half_even' }, t, `${i.name}.q`);
        const [a, b] = satRange('i32');
        this.lv.set(i.name, { v, t, lo: a * 2 ** -t.frac, hi: b * 2 ** -t.frac, int: false });
      }
    }
    for (const n of g.nodes) {
      this.src = n.src;
      this.lv.set(n.out, this.lower(n));
    }
    for (const o of g.outputs) {
      this.src = o.name;
      let x = this.lvOf(o.value);
      const st = g.states.find((s) => s.output === o.name);
      if (st) {
        const t = stateFmt.get(st.input)!;
        const by = x.t.frac - t.frac;
        const v = this.emit('shift', [x.v], { by, round: 'half_even', sat: true }, t, `${o.name}.next`);
        const sname = this.ir.states.find((s) => this.ir.meta[`state:${s.name}`]?.startsWith(`${st.input} `))!.name;
        const w = this.emit('state_write', [v], { state: sname }, t, `${o.name}.write`);
        x = { ...x, v: w, t };
      }
      if (x.t.dtype !== 'f32' && (!x.int || st)) {
        const v = this.emit('dequantize', [x.v], {}, { dtype: 'f32', shape: x.t.shape, frac: 0 }, `${o.name}.f32`);
        this.ir.outputs.push({ name: o.name, value: v });
      } else {
        this.ir.outputs.push({
          name: o.name,
          value: x.v.startsWith('@') ? this.emit('reshape', [this.toFrac(x, x.t.frac).v], {}, x.t, o.name) : x.v,
        });
      }
    }
    return this.ir;
  }

  // ---- per-op lowering ------------------------------------------------------------------------

  private lower(n: FNode): LV {
    const X = () => this.lvOf(n.inputs[0]);
    const shape = n.shape;
    switch (n.op) {
      case 'add':
      case 'sub':
        return this.addSub(n);
      case 'max':
      case 'min':
        return this.maxMin(n, n.inputs[1]);
      case 'relu':
        return this.maxMin({ ...n, op: 'max' }, null);
      case 'neg': {
        const x = X();
        return { ...x, v: this.emit('neg', [x.v], {}, { ...x.t, shape }, n.out), lo: -x.hi, hi: -x.lo };
      }
      case 'abs': {
        const x = X();
        const hi = maxAbs(x),
          lo = x.lo >= 0 ? x.lo : x.hi <= 0 ? -x.hi : 0;
        return { ...x, v: this.emit('abs', [x.v], {}, { ...x.t, shape }, n.out), lo, hi };
      }
      case 'mul':
        return this.mul(n);
      case 'div': {
        const r = this.recip(n, this.lvOf(n.inputs[1]), n.inputs[1]);
        return this.mulVar(n, this.lvOf(n.inputs[0]), r);
      }
      case 'recip':
        return this.recip(n, X(), n.inputs[0], n.out);
      case 'rsqrt':
        return this.rsqrt(n, X(), n.inputs[0], n.out);
      case 'sqrt': {
        const x = X();
        const r = this.rsqrt(n, x, n.inputs[0]);
        const hi = Math.sqrt(Math.max(x.hi, 0));
        return this.mulVar(n, x, r, hi);
      }
      case 'round':
      case 'trunc':
        return this.roundOrTrunc(n, X, shape);
      case 'clip':
        return this.clip(n, X, shape);
      case 'sigmoid':
        return this.lut(n, X(), (v) => 1 / (1 + Math.exp(-v)), 16, 0, 1);
      case 'tanh':
        return this.lut(n, X(), Math.tanh, 8, -1, 1);
      case 'reduce_sum':
      case 'reduce_mean':
      case 'reduce_max':
      case 'reduce_absmax':
      case 'argmax':
        return this.reduce(n, X());
      case 'ternary_matmul':
        return this.ternary(n, X());
      case 'gather':
        return this.gather(n, shape);
      case 'reshape': {
        const x = X();
        return { ...x, v: this.emit('reshape', [x.v], {}, { ...x.t, shape }, n.out), t: { ...x.t, shape } };
      }
      case 'identity':
        return X();
      case 'slice': {
        const x = X();
        const t = { ...x.t, shape };
        return { ...x, v: this.emit('slice', [x.v], { axis: n.attrs.axis!, start: n.attrs.start!, end: n.attrs.end! }, t, n.out), t };
      }
      case 'concat':
        return this.concat(n, shape);
      default:
        this.fail(
          `${n.op} is not supported on values that depend on the input`,
          n.op === 'exp' || n.op === 'cumsum' || n.op === 'transpose' ? 'trit lowers it only when it folds to a constant' : undefined,
        );
    }
  }

  // ---- per-op lowering: the longer cases

  private roundOrTrunc(n: FNode, X: () => LV, shape: number[]): LV {
    const q = n.op === 'round' && this.o.exactQuant ? this.absmaxQuant(n) : null;
    if (q) return q;
    const x = X();
    if (x.int && x.t.frac === 0) return x;
    const lo = Math.floor(x.lo) - 1,
      hi = Math.ceil(x.hi) + 1;
    const t: TensorType = { dtype: dtypeFor(lo, hi), shape, frac: 0 };
    const v = this.emit('shift', [x.v], { by: x.t.frac, round: n.op === 'round' ? 'half_even' : 'trunc' }, t, n.out);
    return { v, t, lo, hi, int: true };
  }

  private clip(n: FNode, X: () => LV, shape: number[]): LV {
    const x = X();
    const f = x.t.frac;
    const [a, b] = dtypeRange(x.t.dtype);
    const lo = Math.max(a, Math.ceil((n.attrs.lo ?? -Infinity) * 2 ** f));
    const hi = Math.min(b, Math.floor((n.attrs.hi ?? Infinity) * 2 ** f));
    const rlo = Math.max(x.lo, lo * 2 ** -f),
      rhi = Math.min(x.hi, hi * 2 ** -f);
    const dt = dtypeFor(Math.floor(rlo * 2 ** f), Math.ceil(rhi * 2 ** f));
    const [c, d] = dtypeRange(dt);
    const v = this.emit('sat', [x.v], { lo: Math.max(lo, c), hi: Math.min(hi, d) }, { dtype: dt, shape, frac: f }, n.out);
    return { v, t: { dtype: dt, shape, frac: f }, lo: rlo, hi: rhi, int: x.int };
  }

  private gather(n: FNode, shape: number[]): LV {
    const table = this.g.consts.get(n.inputs[0]);
    if (!table) this.fail('Gather from a computed tensor is not supported', 'gather rows of a constant table (an embedding)');
    const ids = this.lvOf(n.inputs[1]);
    if (!ids.int) this.fail('Gather indices must be integers');
    const [V] = table!.shape;
    const D = numel(table!.shape.slice(1));
    const m = maxAbsOf(table!.data);
    const dt = this.o.tableBits === 16 ? 'i16' : 'i32';
    const frac = this.o.tableBits === 16 ? (m > 0 ? Math.floor(Math.log2(32767 / m)) : 0) : fracFor(m);
    const tc = this.quantConst(n.inputs[0], table!.data, [V, D], frac, dt);
    const t: TensorType = { dtype: dt, shape: [...ids.t.shape, D], frac };
    let v = this.emit('gather', [tc.v, ids.v], {}, t, n.out);
    if (numel(shape) !== numel(t.shape)) this.invariant('the gathered rows do not match the output shape');
    if (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i])) v = this.emit('reshape', [v], {}, { ...t, shape }, `${n.out}.r`);
    return { v, t: { ...t, shape }, lo: tc.lo, hi: tc.hi, int: table!.int };
  }

  private concat(n: FNode, shape: number[]): LV {
    const xs = n.inputs.map((i) => this.lvOf(i));
    const f = Math.min(...xs.map((x) => x.t.frac));
    const lo = Math.min(...xs.map((x) => x.lo)),
      hi = Math.max(...xs.map((x) => x.hi));
    const dt = f === 0 && xs.every((x) => x.int) ? dtypeFor(lo, hi) : 'i32';
    const al = n.inputs.map((name) => this.at(name, f, dt));
    const t: TensorType = { dtype: dt, shape, frac: f };
    return {
      v: this.emit(
        'concat',
        al.map((x) => x.v),
        { axis: n.attrs.axis! },
        t,
        n.out,
      ),
      t,
      lo,
      hi,
      int: xs.every((x) => x.int),
    };
  }

  // ---- abs-max activation quantization -------------------------------------------------------

  /**
   * round(k·y / M) with M = max(max|y|, ε) over the last axis — a BitLinear's int8 codes, as the
   * canonical rewrites leave them (div(mul(y, k), M)). Positive per-row factors of y (the RMSNorm's
   * rstd) cancel between y and max|y|, so with u = y without them, q = round(k·u / max|u|): one
   * exact `divround` whose codes equal the float model's except where the float model itself is
   * within its rounding of a tie (Zhu et al. 2024: the rstd is a positive per-row scalar). The ε
   * floor is dropped with the cancelled factors (it binds only when max|y| < ε, a zero row, where
   * both give 0s); without factors to cancel it stays. Null when the pattern does not match.
   */
  private absmaxQuant(n: FNode): LV | null {
    const d = this.def(n.inputs[0]);
    if (d?.op !== 'div') return null;
    const { absmax, eps } = this.absmaxOf(d.inputs[1]) ?? {};
    if (absmax === undefined) return null;
    // Numerator and abs-max argument are one value times scalar constants: the rewrites may have
    // split a dequantized input's 1/127 and 127 between them (the MLGRU's o_proj).
    const num = this.scalarCore(d.inputs[0]),
      den = this.scalarCore(absmax);
    if (num.core !== den.core || den.scale === 0) return null;
    const ratio = num.scale / Math.abs(den.scale),
      k = Math.round(ratio);
    if (!(k >= 1 && k <= 32767 && Math.abs(ratio - k) <= 1e-9 * k)) return null;
    const y = den.scale === 1 ? absmax : num.core;
    const { rowScales, kept } = this.factors(y);
    if (kept.length === 0) return null;
    const u = rowScales === 0 ? this.lvOf(y) : this.product(kept, n);
    if (u.t.dtype === 'f32') return null;
    const t: TensorType = { dtype: 'i32', shape: u.t.shape.slice(0, -1).concat([1]), frac: u.t.frac };
    let m = this.emit('reduce_absmax', [u.v], {}, t, `${n.out}.absmax`);
    const epsQ = Math.round((eps ?? 0) * 2 ** u.t.frac);
    if (rowScales === 0 && epsQ > 0) m = this.emit('max', [m, this.constant(`${n.out}.eps`, 'i32', [], u.t.frac, [epsQ])], {}, t, `${n.out}.floor`);
    const qt: TensorType = { dtype: dtypeFor(-k, k), shape: n.shape, frac: 0 };
    const v = this.emit('divround', [u.v, m], { mul: k, round: 'half_even', sat: true }, qt, n.out);
    return { v, t: qt, lo: -k, hi: k, int: true };
  }

  private def(name: string): FNode | undefined {
    if (!this.defs) this.defs = new Map(this.g.nodes.map((x) => [x.out, x]));
    return this.defs.get(name);
  }

  /** M = max(reduce_absmax(y), ε), clip(reduce_absmax(y), ε) or reduce_absmax(y) (any reshape between). */
  private absmaxOf(name: string): { absmax: string; eps: number } | null {
    let d = this.def(name),
      eps = 0;
    if (d?.op === 'max') {
      const [a, b] = d.inputs,
        ca = this.g.consts.get(a),
        cb = this.g.consts.get(b);
      const c = ca ?? cb;
      if (!c || c.data.length !== 1) return null;
      eps = c.data[0];
      d = this.def(ca ? b : a);
    } else if (d?.op === 'clip' && !Number.isFinite(d.attrs.hi ?? Infinity)) {
      // Clip(min=ε) alone
      eps = d.attrs.lo ?? 0;
      d = this.def(d.inputs[0]);
    }
    while (d?.op === 'reshape') d = this.def(d.inputs[0]);
    if (d?.op !== 'reduce_absmax' || d.attrs.axis !== d.shape.length - 1) return null;
    return { absmax: d.inputs[0], eps };
  }

  /** v = scale · core, peeling scalar-constant factors off through `mul` nodes. */
  private scalarCore(v: string): { core: string; scale: number } {
    let scale = 1;
    for (;;) {
      const d = this.def(v);
      const j = d?.op === 'mul' ? [0, 1].find((i) => this.g.consts.get(d.inputs[i])?.data.length === 1) : undefined;
      if (j === undefined) return { core: v, scale };
      scale *= this.g.consts.get(d!.inputs[j])!.data[0];
      v = d!.inputs[1 - j];
    }
  }

  /** y's multiplicative factors: positive per-row scales (rsqrt/recip results, positive scalars) are
   *  counted and dropped, the rest kept. The walk enters a `mul` only where it multiplies by a
   *  constant or a per-row scale: deeper products are kept whole, their lowered (calibrated) values
   *  reused — rebuilding them from leaves with uncalibrated formats lost precision (measured). */
  private factors(y: string): { rowScales: number; kept: string[] } {
    const shape = this.def(y)?.shape ?? this.g.inputs.find((i) => i.name === y)?.shape ?? [];
    let rowScales = 0;
    const kept: string[] = [];
    const walk = (v: string): void => {
      const d = this.def(v);
      const s = d?.shape ?? this.g.consts.get(v)?.shape ?? [];
      const perRow = numel(s) === 1 || (s.length === shape.length && s.at(-1) === 1);
      const c = this.g.consts.get(v);
      const positive = d ? d.op === 'rsqrt' || d.op === 'recip' : !!c && c.data.every((x) => x > 0);
      const scaleOperand = (x: string) => this.g.consts.has(x) || ['rsqrt', 'recip'].includes(this.def(x)?.op ?? '');
      if (d?.op === 'mul' && (v === y || d.inputs.some(scaleOperand))) {
        walk(d.inputs[0]);
        walk(d.inputs[1]);
        return;
      }
      if (perRow && positive) rowScales++;
      else kept.push(v);
    };
    walk(y);
    return { rowScales, kept };
  }

  /** The product of the kept factors, variables first, constants folded into one `mulc`. */
  private product(kept: string[], n: FNode): LV {
    const vars = kept.filter((v) => !this.g.consts.has(v)),
      consts = kept.filter((v) => this.g.consts.has(v));
    if (vars.length === 0) this.invariant('abs-max quantization of a constant');
    let acc = this.lvOf(vars[0]);
    for (const v of vars.slice(1)) acc = this.mulVar({ ...n, out: `${n.out}.u${v}`, shape: n.shape }, acc, this.lvOf(v));
    if (consts.length === 0) return acc;
    let c = { data: Float64Array.from(this.g.consts.get(consts[0])!.data), shape: this.g.consts.get(consts[0])!.shape };
    for (const name of consts.slice(1)) {
      const o = this.g.consts.get(name)!;
      const s = broadcastShapes(c.shape, o.shape);
      if (!s) this.invariant('constant factors do not broadcast');
      const ia = bIndex(s!, c.shape),
        ib = bIndex(s!, o.shape);
      c = { data: Float64Array.from({ length: numel(s!) }, (_, i) => c.data[ia[i]] * o.data[ib[i]]), shape: s! };
    }
    return this.mulConst({ ...n, out: `${n.out}.u`, shape: n.shape }, acc, c, `${n.out}.g`);
  }

  /** An operand's real bounds without lowering it: from its LV, or from a constant's data. */
  private boundsOf(name: string): { lo: number; hi: number; frac: number; int: boolean } {
    const c = this.g.consts.get(name);
    if (c) {
      const [lo, hi] = minMax(c.data);
      return { lo, hi, frac: 40, int: c.int };
    }
    const x = this.lvOf(name);
    return { lo: x.lo, hi: x.hi, frac: x.t.frac, int: x.int };
  }

  /** An operand at frac f: constants are quantized there directly, values shifted. */
  private at(name: string, f: number, dtype: Exclude<DType, 'f32'> = 'i32'): LV {
    const c = this.g.consts.get(name);
    return c ? this.quantConst(`${name}.f${f}`, c.data, c.shape, f, dtype) : this.toFrac(this.lvOf(name), f, dtype);
  }

  private addSub(n: FNode): LV {
    const x = this.boundsOf(n.inputs[0]),
      y = this.boundsOf(n.inputs[1]);
    const lo = n.op === 'add' ? x.lo + y.lo : x.lo - y.hi,
      hi = n.op === 'add' ? x.hi + y.hi : x.hi - y.lo;
    const f = Math.min(x.frac, y.frac, fracFor(Math.max(maxAbs(x), maxAbs(y), Math.abs(lo), Math.abs(hi))));
    const t: TensorType = { dtype: 'i32', shape: n.shape, frac: f };
    const v = this.emit(n.op as 'add' | 'sub', [this.at(n.inputs[0], f).v, this.at(n.inputs[1], f).v], {}, t, n.out);
    return { v, t, lo, hi, int: x.int && y.int };
  }

  private maxMin(n: FNode, yName: string | null): LV {
    const x = this.boundsOf(n.inputs[0]);
    const y = yName ? this.boundsOf(yName) : { lo: 0, hi: 0, frac: 40, int: true };
    // A constant operand (frac 40 in boundsOf) may be larger than the value: size for both.
    const f = Math.min(x.frac, y.frac, fracFor(Math.max(maxAbs(x), maxAbs(y))));
    const xa = this.at(n.inputs[0], f);
    const ya = yName ? this.at(yName, f) : this.quantConst(`zero.f${f}`, Float64Array.of(0), [], f, 'i32');
    const op = n.op === 'max' ? 'max' : 'min';
    const F = op === 'max' ? Math.max : Math.min;
    const t: TensorType = { dtype: 'i32', shape: n.shape, frac: f };
    const v = this.emit(op, [xa.v, ya.v], {}, t, n.out);
    return { v, t, lo: F(x.lo, y.lo), hi: F(x.hi, y.hi), int: x.int && y.int };
  }

  /** Output bound of a magnitude-creating op: provable, or headroom × calibrated (then saturating). */
  private sized(name: string | undefined, provable: number, headroom = this.o.headroom): { bound: number; sat: boolean } {
    // A bound the rewrites proved (FAttrs.bound) replaces calibration: never a clamp data can reach.
    const known = name ? this.def(name)?.attrs.bound : undefined;
    if (known !== undefined) return known < provable ? { bound: known, sat: true } : { bound: provable, sat: false };
    const c = name ? this.cal.get(name) : undefined;
    const cb = c ? Math.max(Math.abs(c[0]), Math.abs(c[1]), 1e-6) * headroom : Infinity;
    if (provable <= cb) return { bound: provable, sat: false };
    if (!Number.isFinite(cb))
      this.fail('no bound is known for this value', 'calibrate with representative inputs (trit inspect --calibration golden.safetensors)');
    if (name) this.calibrationSized.add(name);
    return { bound: cb, sat: true };
  }

  private mul(n: FNode): LV {
    const [a, b] = n.inputs;
    const ca = this.g.consts.get(a),
      cb = this.g.consts.get(b);
    if (ca && cb) this.invariant('a product of two constants was not folded');
    if (ca || cb) return this.mulConst(n, this.lvOf(ca ? b : a), (ca ?? cb)!, ca ? a : b);
    return this.mulVar(n, this.lvOf(a), this.lvOf(b));
  }

  private mulConst(n: FNode, x: LV, c: { data: ArrayLike<number>; shape: number[] }, cname: string): LV {
    const m = maxAbsOf(c.data);
    const [clo, chi] = minMax(c.data);
    const corners = [clo * x.lo, clo * x.hi, chi * x.lo, chi * x.hi];
    const lo = Math.min(...corners),
      hi = Math.max(...corners);
    const shape = n.shape;
    const cf = m > 0 ? Math.floor(Math.log2((2 ** (this.o.constBits - 1) - 1) / m)) : 0;
    const cq = this.quantConst(`${cname}.q`, c.data, c.shape, cf, 'i32');
    const bound = Math.max(Math.abs(lo), Math.abs(hi));
    const fo = Math.min(fracFor(bound), x.t.frac + cf);
    const t: TensorType = { dtype: 'i32', shape, frac: fo };
    const v = this.emit('mulc', [x.v, cq.v], { shift: x.t.frac + cf - fo, round: 'half_even' }, t, n.out);
    return { v, t, lo, hi, int: false };
  }

  private mulVar(n: FNode, x: LV, y: LV, knownBound?: number): LV {
    const ps = [x.lo * y.lo, x.lo * y.hi, x.hi * y.lo, x.hi * y.hi];
    const plo = Math.min(...ps),
      phi = Math.max(...ps);
    const product = Math.max(Math.abs(plo), Math.abs(phi));
    const sized = this.sized(n.out, Math.min(knownBound ?? Infinity, product));
    const bound = sized.bound;
    // A bound known from the math (√x = x·rsqrt(x) ≤ √max x) is tighter than interval arithmetic
    // on the two operands proves: the format holds it, and an explicit `sat` lets range analysis
    // accept what it cannot see (it never clamps beyond the units' rounding).
    const sat = sized.sat || bound < product;
    const fo = Math.min(fracFor(bound), x.t.frac + y.t.frac);
    const t: TensorType = { dtype: 'i32', shape: n.shape, frac: fo };
    const attrs: Attrs = { shift: x.t.frac + y.t.frac - fo, round: 'half_even' };
    if (sat) attrs.sat = true;
    const v = this.emit('mul', [x.v, y.v], attrs, t, n.out);
    const lim = (2 ** 31 - 1) * 2 ** -fo;
    return { v, t, lo: Math.max(plo, -lim), hi: Math.min(phi, lim), int: false };
  }

  /** 1/y for y > 0 (a divisor); `fname` is y's float-graph name, for its calibrated range. */
  private recip(n: FNode, y: LV, fname: string, out?: string): LV {
    const c = this.g.consts.get(fname) ? undefined : this.cal.get(fname);
    if (y.hi <= 0 || (y.lo <= 0 && (!c || c[0] <= 0))) {
      this.fail(
        'division by a value that may be zero or negative is not supported',
        'trit divides only by positive quantities (norms, abs-max scales)',
      );
    }
    const provable = y.lo > 0 ? 1 / y.lo : Infinity;
    const known = n.attrs.bound;
    const cb = known ?? (c && c[0] > 0 ? (1 / c[0]) * this.o.headroom : Infinity);
    const bound = Math.min(provable, cb, 2 ** (30 + y.t.frac)); // at most 1/LSB
    const sat = bound < provable;
    return this.unit('recip', y, bound, sat, 1 / y.hi, out ?? `${n.out}.recip`);
  }

  private rsqrt(n: FNode, y: LV, fname: string, out?: string): LV {
    if (y.hi <= 0) this.fail('rsqrt of a value that is never positive');
    const c = this.cal.get(fname);
    const provable = y.lo > 0 ? 1 / Math.sqrt(y.lo) : Math.sqrt(2 ** y.t.frac);
    const cb = n.attrs.bound ?? (c && c[0] > 0 ? (1 / Math.sqrt(c[0])) * this.o.headroom : Infinity);
    const bound = Math.min(provable, cb);
    return this.unit('rsqrt', y, bound, bound < provable, 1 / Math.sqrt(y.hi), out ?? `${n.out}.rsqrt`);
  }

  private unit(op: 'recip' | 'rsqrt', y: LV, bound: number, sat: boolean, lo: number, out: string): LV {
    const t: TensorType = { dtype: 'i32', shape: y.t.shape, frac: fracFor(bound) };
    const attrs: Attrs = { lutbits: this.o.lutBits, newton: this.o.newton };
    if (sat) attrs.sat = true;
    const v = this.emit(op, [y.v], attrs, t, out);
    // Saturating at the dtype: the provable bound is the clamp, not the calibrated bound.
    const lim = (2 ** 31 - 1) * 2 ** -t.frac;
    return { v, t, lo, hi: sat ? lim : Math.min(bound * 1.001, lim), int: false };
  }

  /** A function tabulated over [-span, span] with linear interpolation, saturating outside. */
  private lut(n: FNode, x: LV, f: (v: number) => number, span: number, lo: number, hi: number): LV {
    const fx = x.t.frac;
    const step = Math.max(0, fx - Math.round(Math.log2(this.o.lutDensity)));
    const count = Math.floor((2 * span * 2 ** fx) / 2 ** step) + 1;
    const start = -span * 2 ** fx;
    const fo = 30;
    // A table depends only on the function, the input format and the density: shared by every
    // node that needs the same one (big tables are not deduplicated by content in constant()).
    const key = `${n.op}|${fx}|${step}|${span}`;
    let tc = this.lutTables.get(key);
    if (!tc) {
      const table = Array.from({ length: count }, (_, i) => roundReal(f((start + i * 2 ** step) * 2 ** -fx) * 2 ** fo, 'half_even'));
      tc = this.constant(`${n.op}.table.f${fx}`, 'i32', [count], fo, table);
      this.lutTables.set(key, tc);
    }
    const t: TensorType = { dtype: 'i32', shape: n.shape, frac: fo };
    const v = this.emit('lut', [x.v, tc], { lo: start, step, interp: 'linear' }, t, n.out);
    return { v, t, lo, hi, int: false };
  }

  private reduce(n: FNode, x: LV): LV {
    const ax = n.attrs.axis!;
    const s = x.t.shape;
    const K = s[ax];
    const last = ax === s.length - 1;
    const op = n.op;
    if (op === 'argmax') {
      if (!last) this.fail('ArgMax over a non-last axis is not supported');
      const t: TensorType = { dtype: 'i32', shape: n.shape, frac: 0 };
      return { v: this.emit('argmax', [x.v], {}, t, n.out), t, lo: 0, hi: K - 1, int: true };
    }
    const isSum = op === 'reduce_sum' || op === 'reduce_mean';
    let lo = isSum ? x.lo * K : op === 'reduce_absmax' ? 0 : x.lo;
    let hi = isSum ? x.hi * K : op === 'reduce_absmax' ? maxAbs(x) : x.hi;
    // A sum's provable bound, K·max|x|, is far above what sums of many small terms reach (a mean of
    // squares over 2,816 channels would lose 11 bits). Over the last axis the sum may size itself
    // from its calibrated range instead, saturating beyond it.
    const sumSat =
      isSum && last ? this.sized(n.out, Math.max(Math.abs(lo), Math.abs(hi)) / (op === 'reduce_mean' ? K : 1), this.o.sumHeadroom) : null;
    const sumBound = sumSat ? sumSat.bound * (op === 'reduce_mean' ? K : 1) : Math.max(Math.abs(lo), Math.abs(hi));
    const f = isSum ? Math.min(x.t.frac, fracFor(sumBound)) : x.t.frac;
    // A sum over the last axis adds its terms exactly and rounds once (reduce_sum's shift):
    // aligning each of K terms first would add K roundings (√K LSBs of noise).
    const sumShift = isSum && last && x.t.dtype === 'i32' ? x.t.frac - f : 0;
    const xa = sumShift > 0 ? x : this.toFrac(x, f, 'i32');
    const t: TensorType = { dtype: 'i32', shape: n.shape, frac: f };
    let v: string;
    if (last) {
      const attrs: Attrs = sumSat?.sat ? { sat: true } : {};
      if (sumShift > 0) Object.assign(attrs, { shift: sumShift, round: 'half_even' });
      if (sumSat?.sat) {
        const lim = (2 ** 31 - 1) * 2 ** -f;
        lo = Math.max(lo, -lim);
        hi = Math.min(hi, lim);
      }
      v = this.emit(
        op === 'reduce_mean' ? 'reduce_sum' : (op as 'reduce_sum' | 'reduce_max' | 'reduce_absmax'),
        [xa.v],
        op === 'reduce_max' || op === 'reduce_absmax' ? {} : attrs,
        t,
        op === 'reduce_mean' ? `${n.out}.sum` : n.out,
      );
    } else {
      // Reduce a middle axis as a chain of slices combined elementwise (small K: mean pooling).
      let acc = '';
      for (let k = 0; k < K; k++) {
        let sl = this.emit('slice', [xa.v], { axis: ax, start: k, end: k + 1 }, t, `${n.out}.s${k}`);
        if (op === 'reduce_absmax') sl = this.emit('abs', [sl], {}, t, `${n.out}.a${k}`);
        acc = k === 0 ? sl : this.emit(isSum ? 'add' : 'max', [acc, sl], {}, t, `${n.out}.r${k}`);
      }
      v = acc;
    }
    const r: LV = { v, t, lo, hi, int: x.int };
    if (op !== 'reduce_mean') return r;
    return this.mulConst(n, r, { data: Float64Array.of(1 / K), shape: [] }, `${n.out}.invK`);
  }

  private ternary(n: FNode, x: LV): LV {
    const W = this.g.consts.get(n.inputs[1])!;
    const [N, K] = W.shape;
    let nnz = 0;
    for (let o = 0; o < N; o++) {
      let c = 0;
      for (let k = 0; k < K; k++) if (W.data[o * K + k] !== 0) c++;
      nnz = Math.max(nnz, c);
    }
    const bound = Math.max(nnz, 1) * maxAbs(x);
    let xa = x;
    if (x.int && x.t.frac === 0 && x.lo >= -128 && x.hi <= 127) {
      if (x.t.dtype !== 'i8')
        xa = { ...x, v: this.emit('sat', [x.v], { lo: -128, hi: 127 }, { ...x.t, dtype: 'i8' }, `${x.v}.i8`), t: { ...x.t, dtype: 'i8' } };
    } else {
      xa = this.toFrac(x, Math.min(x.t.frac, fracFor(bound)), 'i32');
    }
    const wname = this.constant(n.inputs[1].replace(/\.ternary$/, ''), 'i8', [N, K], 0, W.data, true);
    const t: TensorType = { dtype: 'i32', shape: n.shape, frac: xa.t.frac };
    const v = this.emit('ternary_matmul', [xa.v, wname], {}, t, n.attrs.scale === 1 ? n.out : `${n.out}.acc`);
    const acc: LV = { v, t, lo: -bound, hi: bound, int: x.int };
    const c = n.attrs.scale ?? 1;
    if (c === 1) return acc;
    return this.mulConst(n, acc, { data: Float64Array.of(c), shape: [] }, `${n.out}.scale`);
  }
}
