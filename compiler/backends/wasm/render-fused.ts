/**
 * @fileoverview Renders a fused elementwise loop (fuse.ts) as a binaryen function: four lanes a
 * pass over `count` outputs, each step the same SIMD instructions as its kernel
 * (runtime-wasm/assembly/elementwise.ts: binary4, mul4Loop, shift4Loop, unary4), each result kept
 * in a local as i32x4 — every IR value fits i32, by its clamp or by the range analysis — and only
 * the root's stored.
 *
 * The loop runs whole passes of four: the value arena's buffers are 64-byte blocks and every other
 * buffer is 16-byte aligned (layout.ts), so a last partial pass reads and writes only padding.
 */
import binaryen from 'binaryen';
import type { RoundMode } from '../../ir/arith.js';
import { dtypeRange } from '../../ir/types.js';
import type { FusedLoop, FusedRef, FusedStep } from './fuse.js';

type M = binaryen.Module;
type X = number;
const I32 = dtypeRange('i32');

/** The function being built: its module and its v128 scratch locals (tees). */
class Fn {
  readonly locals: number[] = [];
  constructor(
    readonly m: M,
    private first: number,
  ) {}
  /** `v` stored in a fresh local where it is first evaluated (`set`, a tee), read after (`get`). */
  tee(v: X): { set: X; get: () => X } {
    const k = this.first + this.locals.length;
    this.locals.push(binaryen.v128);
    return { set: this.m.local.tee(k, v, binaryen.v128), get: () => this.m.local.get(k, binaryen.v128) };
  }
}

/** The function computing `loop`, given each input's address and the root's. */
export function addFusedFunction(m: M, name: string, loop: FusedLoop, inputAt: number[], out: number): void {
  const { i32, v128, none } = binaryen;
  const nIn = loop.inputs.length;
  const off = () => m.local.get(0, i32);
  const local = (k: number) => 1 + k; // locals: 0 = byte offset, then inputs, then steps
  const get = (r: FusedRef) => ('in' in r ? m.local.get(local(r.in), v128) : m.local.get(local(nIn + r.step), v128));
  const before: X[] = [],
    body: X[] = [];
  loop.inputs.forEach((x, k) => {
    const at = inputAt[k];
    if (x.scalar) before.push(m.local.set(local(k), m.v128.load32_splat(at, 4, m.i32.const(0))));
    else body.push(m.local.set(local(k), m.v128.load(at, 16, off())));
  });
  const f = new Fn(m, local(nIn + loop.steps.length));
  loop.steps.forEach((s, j) => body.push(m.local.set(local(nIn + j), stepExpr(f, s, get))));
  body.push(m.v128.store(out, 16, off(), m.local.get(local(nIn + loop.steps.length - 1), v128)));
  body.push(m.local.set(0, m.i32.add(off(), m.i32.const(16))));
  body.push(m.br_if('pass', m.i32.lt_u(off(), m.i32.const(Math.ceil(loop.count / 4) * 16))));
  const fn = m.block(null, [...before, m.local.set(0, m.i32.const(0)), m.loop('pass', m.block(null, body))]);
  m.addFunction(name, none, none, [i32, ...Array(nIn + loop.steps.length).fill(v128), ...f.locals], fn);
}

const splat64 = (m: M, v: bigint) => m.i64x2.splat((m.i64.const as unknown as (v: bigint) => X)(BigInt.asIntN(64, v)));
const lo64 = (m: M, v: X) => m.i64x2.extend_low_i32x4_s(v);
const hi64 = (m: M, v: X) => m.i64x2.extend_high_i32x4_s(v);
/** Two i64x2 halves back to one i32x4 (the low words; the values fit). */
const narrow = (m: M, a: X, b: X) => m.i8x16.shuffle(a, b, [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27]);

/** One step's i32x4 result. `get` reads an operand; operands are read as often as needed. */
function stepExpr(f: Fn, s: FusedStep, get: (r: FusedRef) => X): X {
  const m = f.m;
  const a = () => get(s.args[0]),
    b = () => get(s.args[1]);
  const clamps = s.lo !== I32[0] || s.hi !== I32[1];
  const wide = (op: (x: X, y: X) => X, x: () => X, y: () => X) => {
    let r0 = op(lo64(m, x()), lo64(m, y())),
      r1 = op(hi64(m, x()), hi64(m, y()));
    if (clamps) [r0, r1] = [clamp2(f, r0, s), clamp2(f, r1, s)];
    return narrow(m, r0, r1);
  };
  switch (s.op) {
    case 'add':
      return clamps ? wide((x, y) => m.i64x2.add(x, y), a, b) : m.i32x4.add(a(), b());
    case 'sub':
      return clamps ? wide((x, y) => m.i64x2.sub(x, y), a, b) : m.i32x4.sub(a(), b());
    case 'max':
      return m.i32x4.max_s(a(), b());
    case 'min':
      return m.i32x4.min_s(a(), b());
    case 'neg':
      return clamp32(m, m.i32x4.neg(a()), s);
    case 'abs':
      return clamp32(m, m.i32x4.abs(a()), s);
    case 'sat':
      return clamp32(m, a(), s);
    case 'shift':
      if (s.shift === 0) return clamp32(m, a(), s);
      return wideOf(f, s, round2(f, lo64(m, a()), s.shift, s.round), round2(f, hi64(m, a()), s.shift, s.round));
    case 'mul': {
      let p0 = m.i64x2.extmul_low_i32x4_s(a(), b()),
        p1 = m.i64x2.extmul_high_i32x4_s(a(), b());
      if (s.shift > 0) [p0, p1] = [round2(f, p0, s.shift, s.round), round2(f, p1, s.shift, s.round)];
      return wideOf(f, s, p0, p1);
    }
    case 'divround':
      return divround(f, s, a, b);
  }
}

/**
 * divround in f64 lanes, as the kernel's fast path: nearest(a·k / b) (ties to even), 0 where
 * b ≤ 0, clamped to the step's bound (fuse.ts DIVROUND_BOUND says why that is exact).
 */
function divround(f: Fn, s: FusedStep, a: () => X, b: () => X): X {
  const m = f.m;
  const high = (v: () => X) => m.i8x16.shuffle(v(), v(), [8, 9, 10, 11, 12, 13, 14, 15, 8, 9, 10, 11, 12, 13, 14, 15]);
  const k = () => m.f64x2.splat(m.f64.const(s.shift)); // expressions are trees: one per use
  const half = (x: X, y: X) =>
    m.i32x4.trunc_sat_f64x2_s_zero(m.f64x2.nearest(m.f64x2.div(m.f64x2.mul(m.f64x2.convert_low_i32x4_s(x), k()), m.f64x2.convert_low_i32x4_s(y))));
  const q = m.i8x16.shuffle(half(a(), b()), half(high(a), high(b)), [0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23]);
  return clamp32(m, m.v128.and(q, m.i32x4.gt_s(b(), m.i32x4.splat(m.i32.const(0)))), s);
}

/** Clamp (if asked) and narrow two i64x2 halves. */
function wideOf(f: Fn, s: FusedStep, p0: X, p1: X): X {
  if (s.lo !== I32[0] || s.hi !== I32[1]) [p0, p1] = [clamp2(f, p0, s), clamp2(f, p1, s)];
  return narrow(f.m, p0, p1);
}

/** unary4's i32 clamp (its bounds lie within i32). Operands are fresh expressions each use. */
function clamp32(m: M, v: X, s: FusedStep): X {
  return m.i32x4.min_s(m.i32x4.max_s(v, m.i32x4.splat(m.i32.const(s.lo))), m.i32x4.splat(m.i32.const(s.hi)));
}

/** clamp2 of the kernels on i64 lanes: compare-and-select, the value used in both compares. */
function clamp2(f: Fn, v: X, s: FusedStep): X {
  const m = f.m,
    t = f.tee(v);
  const lo = () => splat64(m, BigInt(s.lo)),
    hi = () => splat64(m, BigInt(s.hi));
  const c = f.tee(m.v128.bitselect(lo(), t.set, m.i64x2.lt_s(t.get(), lo())));
  return m.v128.bitselect(hi(), c.set, m.i64x2.gt_s(c.get(), hi()));
}

/** round2 of the kernels: one bias, then the floor shift (sar2). */
function round2(f: Fn, p: X, sh: number, mode: RoundMode): X {
  const m = f.m,
    t = f.tee(p);
  const half = () => splat64(m, 1n << BigInt(sh - 1));
  const neg = () => m.i64x2.lt_s(t.get(), splat64(m, 0n)); // −1 where p < 0
  let bias: X | null;
  if (mode === 'floor') bias = null;
  else if (mode === 'trunc') bias = m.v128.and(neg(), splat64(m, (1n << BigInt(sh)) - 1n));
  else if (mode === 'half_up') bias = half();
  else if (mode === 'half_even')
    bias = m.i64x2.add(m.i64x2.sub(half(), splat64(m, 1n)), m.v128.and(m.i64x2.shr_u(t.get(), m.i32.const(sh)), splat64(m, 1n)));
  else bias = m.i64x2.add(half(), neg());
  // The tee must be evaluated first: it is the first operand of the add (or the shift itself).
  const biased = bias === null ? t.set : m.i64x2.add(t.set, bias);
  const sign = splat64(m, -(1n << 63n));
  return m.i64x2.sub(m.i64x2.shr_u(m.v128.xor(biased, sign), m.i32.const(sh)), splat64(m, 1n << BigInt(63 - sh)));
}
