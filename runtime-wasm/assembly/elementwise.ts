// Elementwise integer ops over i32 buffers. Every IR value lives in memory as i32 whatever its
// dtype (the dtype bounds its range; storing it wider is exact and keeps one kernel per op).
// Binary kernels walk a run of n outputs; each operand advances by its stride (1, or 0 for a
// broadcast scalar), so the linker can express any broadcast as a few runs.
import { clamp64, mulShift, roundReal, roundShift, roundShiftBranchless, shlSat } from './fixed';
import { OP_ADD, OP_SUB, OP_MAX, OP_MIN, OP_MUL, OP_DIVROUND, UN_NEG, UN_ABS, UN_SHIFT, RND_FLOOR, RND_TRUNC, RND_HALF_UP, RND_HALF_EVEN, RND_HALF_AWAY } from './codes';


/** [lo, hi] = the full i32 range means "no clamp": the range analysis proved the values fit. */
const I32_MIN: i64 = -2147483648, I32_MAX: i64 = 2147483647;

export function binary(op: i32, dst: usize, a: usize, sa: i32, b: usize, sb: i32, n: i32,
                       shift: i32, mode: i32, lo: i64, hi: i64): void {
  // SIMD over whole groups of 4, the scalar loops below for the rest (and the rare shapes).
  const n4 = ((op == OP_MUL && (shift < 0 || shift > 62)) || op == OP_DIVROUND) ? 0 : n & ~3;
  if (n4 > 0) {
    binary4(op, dst, a, sa, b, sb, n4, shift, mode, lo, hi);
    dst += <usize>n4 << 2; a += <usize>(n4 * sa) << 2; b += <usize>(n4 * sb) << 2; n -= n4;
  }
  binaryScalar(op, dst, a, sa, b, sb, n, shift, mode, lo, hi);
}

// @ts-ignore: decorator
@inline function ld(p: usize, stride: i32): v128 {
  return stride ? v128.load(p) : i32x4.splat(load<i32>(p));
}

// @ts-ignore: decorator
@inline function clamp2(v: v128, lo: v128, hi: v128): v128 {
  v = v128.bitselect(lo, v, i64x2.lt_s(v, lo));
  return v128.bitselect(hi, v, i64x2.gt_s(v, hi));
}

// @ts-ignore: decorator
@inline function narrow(v0: v128, v1: v128): v128 {
  return i8x16.shuffle(v0, v1, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27);
}

/** Arithmetic right shift of two i64 lanes via the logical shift x64 has natively (SSE/AVX2 have
 *  no 64-bit arithmetic shift; V8 would emulate i64x2.shr_s): flip the sign bit, shift, re-bias. */
// @ts-ignore: decorator
@inline function sar2(p: v128, s: i32): v128 {
  const sign = i64x2.splat(<i64>0x8000000000000000);
  return i64x2.sub(i64x2.shr_u(v128.xor(p, sign), s), i64x2.splat((<i64>1) << (63 - s)));
}

/**
 * round(p·2^-s) on two i64 lanes, s in [1, 62]; `mode` is a constant after inlining. Each mode is
 * a bias added before one floor shift (|p| < 2^62, so nothing overflows):
 *   floor 0 · trunc (d−1 if p < 0) · half_up d/2 · half_away d/2 − (p < 0) ·
 *   half_even d/2 − 1 + bit s of p (ties go up exactly when the quotient is odd).
 */
// @ts-ignore: decorator
@inline function round2(p: v128, s: i32, mode: i32): v128 {
  if (mode == RND_FLOOR) return sar2(p, s);
  const half = i64x2.splat((<i64>1) << (s - 1));
  let bias: v128;
  if (mode == RND_TRUNC) bias = v128.and(i64x2.lt_s(p, i64x2.splat(0)), i64x2.splat(((<i64>1) << s) - 1));
  else if (mode == RND_HALF_UP) bias = half;
  else if (mode == RND_HALF_EVEN) bias = i64x2.add(i64x2.sub(half, i64x2.splat(1)), v128.and(i64x2.shr_u(p, s), i64x2.splat(1)));
  else bias = i64x2.add(half, i64x2.lt_s(p, i64x2.splat(0))); // lt_s is −1 where p < 0
  return sar2(i64x2.add(p, bias), s);
}

// @ts-ignore: decorator
@inline function mul4Loop(dst: usize, a: usize, sa: i32, b: usize, sb: i32, n: i32, shift: i32, mode: i32, lo: i64, hi: i64): void {
  const da = <usize>(sa << 4), db = <usize>(sb << 4);
  const clampIt = lo != I32_MIN || hi != I32_MAX;
  const lv = i64x2.splat(lo), hv = i64x2.splat(hi);
  for (let i = 0; i < n; i += 4, a += da, b += db) {
    const x = ld(a, sa), y = ld(b, sb);
    let p0 = i64x2.extmul_low_i32x4_s(x, y), p1 = i64x2.extmul_high_i32x4_s(x, y);
    if (shift > 0) { p0 = round2(p0, shift, mode); p1 = round2(p1, shift, mode); }
    if (clampIt) { p0 = clamp2(p0, lv, hv); p1 = clamp2(p1, lv, hv); }
    v128.store(dst + (<usize>i << 2), narrow(p0, p1));
  }
}

function binary4(op: i32, dst: usize, a: usize, sa: i32, b: usize, sb: i32, n: i32,
                 shift: i32, mode: i32, lo: i64, hi: i64): void {
  const da = <usize>(sa << 4), db = <usize>(sb << 4);
  const wide = lo != I32_MIN || hi != I32_MAX; // a clamp is asked for: add in i64
  const lv = i64x2.splat(lo), hv = i64x2.splat(hi);
  switch (op) {
    case OP_ADD: case OP_SUB:
      for (let i = 0; i < n; i += 4, a += da, b += db) {
        const x = ld(a, sa), y = ld(b, sb);
        let r: v128;
        if (!wide) r = op == OP_ADD ? i32x4.add(x, y) : i32x4.sub(x, y);
        else {
          const x0 = i64x2.extend_low_i32x4_s(x), x1 = i64x2.extend_high_i32x4_s(x);
          const y0 = i64x2.extend_low_i32x4_s(y), y1 = i64x2.extend_high_i32x4_s(y);
          const r0 = op == OP_ADD ? i64x2.add(x0, y0) : i64x2.sub(x0, y0);
          const r1 = op == OP_ADD ? i64x2.add(x1, y1) : i64x2.sub(x1, y1);
          r = narrow(clamp2(r0, lv, hv), clamp2(r1, lv, hv));
        }
        v128.store(dst + (<usize>i << 2), r);
      }
      break;
    case OP_MAX: case OP_MIN:
      for (let i = 0; i < n; i += 4, a += da, b += db) {
        const x = ld(a, sa), y = ld(b, sb);
        v128.store(dst + (<usize>i << 2), op == OP_MAX ? i32x4.max_s(x, y) : i32x4.min_s(x, y));
      }
      break;
    default:
      switch (mode) {
        case RND_FLOOR: mul4Loop(dst, a, sa, b, sb, n, shift, RND_FLOOR, lo, hi); break;
        case RND_TRUNC: mul4Loop(dst, a, sa, b, sb, n, shift, RND_TRUNC, lo, hi); break;
        case RND_HALF_UP: mul4Loop(dst, a, sa, b, sb, n, shift, RND_HALF_UP, lo, hi); break;
        case RND_HALF_EVEN: mul4Loop(dst, a, sa, b, sb, n, shift, RND_HALF_EVEN, lo, hi); break;
        default: mul4Loop(dst, a, sa, b, sb, n, shift, RND_HALF_AWAY, lo, hi); break;
      }
  }
}

function binaryScalar(op: i32, dst: usize, a: usize, sa: i32, b: usize, sb: i32, n: i32,
                      shift: i32, mode: i32, lo: i64, hi: i64): void {
  const da = <usize>(sa << 2), db = <usize>(sb << 2);
  switch (op) {
    case OP_ADD:
      for (let i = 0; i < n; i++, a += da, b += db) {
        store<i32>(dst + (<usize>i << 2), <i32>clamp64(<i64>load<i32>(a) + <i64>load<i32>(b), lo, hi));
      }
      break;
    case OP_SUB:
      for (let i = 0; i < n; i++, a += da, b += db) {
        store<i32>(dst + (<usize>i << 2), <i32>clamp64(<i64>load<i32>(a) - <i64>load<i32>(b), lo, hi));
      }
      break;
    case OP_MAX:
      for (let i = 0; i < n; i++, a += da, b += db) {
        const u = load<i32>(a), v = load<i32>(b);
        store<i32>(dst + (<usize>i << 2), u > v ? u : v);
      }
      break;
    case OP_MIN:
      for (let i = 0; i < n; i++, a += da, b += db) {
        const u = load<i32>(a), v = load<i32>(b);
        store<i32>(dst + (<usize>i << 2), u < v ? u : v);
      }
      break;
    case OP_DIVROUND: // divround: round_half_even(a·k / b), `shift` carries k
      for (let i = 0; i < n; i++, a += da, b += db) {
        store<i32>(dst + (<usize>i << 2), <i32>clamp64(divRoundHalfEven(<i64>load<i32>(a) * <i64>shift, <i64>load<i32>(b)), lo, hi));
      }
      break;
    default: // OP_MUL (and mulc: the constant is just another operand)
      if (shift <= 0) {
        for (let i = 0; i < n; i++, a += da, b += db) {
          const p = shlSat(<i64>load<i32>(a) * <i64>load<i32>(b), -shift);
          store<i32>(dst + (<usize>i << 2), <i32>clamp64(p, lo, hi));
        }
      } else if (shift > 62) {
        for (let i = 0; i < n; i++, a += da, b += db) {
          const p = mulShift(<i64>load<i32>(a), <i64>load<i32>(b), shift, mode);
          store<i32>(dst + (<usize>i << 2), <i32>clamp64(p, lo, hi));
        }
      } else {
        // One loop per rounding mode, so the rounding inlines to straight-line code.
        switch (mode) {
          case RND_FLOOR: mulLoop(dst, a, da, b, db, n, shift, RND_FLOOR, lo, hi); break;
          case RND_TRUNC: mulLoop(dst, a, da, b, db, n, shift, RND_TRUNC, lo, hi); break;
          case RND_HALF_UP: mulLoop(dst, a, da, b, db, n, shift, RND_HALF_UP, lo, hi); break;
          case RND_HALF_EVEN: mulLoop(dst, a, da, b, db, n, shift, RND_HALF_EVEN, lo, hi); break;
          default: mulLoop(dst, a, da, b, db, n, shift, RND_HALF_AWAY, lo, hi); break;
        }
      }
      break;
  }
}

/**
 * round_half_even(n / d) of integers, exactly (divRound of compiler/ir/arith.ts); 0 for d ≤ 0.
 * With |n| < 2^46 and 0 < d < 2^31 the float quotient is within |q|·2^-53 of n/d, while a
 * non-tie is at least 1/(2d) ≥ 2^-32 from a half-integer and an exact tie (m + 1/2, |m| < 2^52)
 * is a double that IEEE division returns exactly: so `nearest` (ties to even) of the f64 quotient
 * is exact whenever |q| < 2^20. Larger quotients (saturated anyway in practice) take i64 division.
 */
// @ts-ignore: decorator
@inline function divRoundHalfEven(n: i64, d: i64): i64 {
  if (d <= 0) return 0;
  const q = nearest<f64>(<f64>n / <f64>d);   // f64.nearest: ties to even
  if (abs<f64>(q) < 1048576.0) return <i64>q;
  let f = n / d, r = n % d;                 // truncating: make it floor
  if (r < 0) { f -= 1; r += d; }
  const twice = r << 1;
  return f + <i64>(twice > d || (twice == d && (f & 1) != 0));
}

// @ts-ignore: decorator
@inline function mulLoop(dst: usize, a: usize, da: usize, b: usize, db: usize, n: i32, shift: i32, mode: i32, lo: i64, hi: i64): void {
  for (let i = 0; i < n; i++, a += da, b += db) {
    const p = roundShiftBranchless(<i64>load<i32>(a) * <i64>load<i32>(b), shift, mode);
    store<i32>(dst + (<usize>i << 2), <i32>clamp64(p, lo, hi));
  }
}

// @ts-ignore: decorator
@inline function shiftLoop(dst: usize, src: usize, n: i32, by: i32, mode: i32, lo: i64, hi: i64): void {
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    store<i32>(dst + p, <i32>clamp64(roundShiftBranchless(<i64>load<i32>(src + p), by, mode), lo, hi));
  }
}

/** Binary op through index tables: the general broadcast, used when runs would be too many. */
export function binaryIndexed(op: i32, dst: usize, a: usize, ia: usize, b: usize, ib: usize, n: i32,
                              shift: i32, mode: i32, lo: i64, hi: i64): void {
  for (let i = 0; i < n; i++) {
    const pa = a + (<usize>load<i32>(ia + (<usize>i << 2)) << 2);
    const pb = b + (<usize>load<i32>(ib + (<usize>i << 2)) << 2);
    binary(op, dst + (<usize>i << 2), pa, 0, pb, 0, 1, shift, mode, lo, hi);
  }
}


export function unary(op: i32, dst: usize, src: usize, n: i32, by: i32, mode: i32, lo: i64, hi: i64): void {
  const n4 = n & ~3;
  if (n4 > 0 && (op != UN_SHIFT || (by >= 0 && by <= 62)) && lo >= I32_MIN && hi <= I32_MAX) {
    unary4(op, dst, src, n4, by, mode, lo, hi);
    dst += <usize>n4 << 2; src += <usize>n4 << 2; n -= n4;
  }
  if (op == UN_SHIFT && by > 0 && by <= 62) {
    switch (mode) {
      case RND_FLOOR: shiftLoop(dst, src, n, by, RND_FLOOR, lo, hi); return;
      case RND_TRUNC: shiftLoop(dst, src, n, by, RND_TRUNC, lo, hi); return;
      case RND_HALF_UP: shiftLoop(dst, src, n, by, RND_HALF_UP, lo, hi); return;
      case RND_HALF_EVEN: shiftLoop(dst, src, n, by, RND_HALF_EVEN, lo, hi); return;
      default: shiftLoop(dst, src, n, by, RND_HALF_AWAY, lo, hi); return;
    }
  }
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    const x = <i64>load<i32>(src + p);
    let v: i64;
    switch (op) {
      case UN_NEG: v = -x; break;
      case UN_ABS: v = x < 0 ? -x : x; break;
      case UN_SHIFT: v = roundShift(x, by, mode); break;
      default: v = x; break; // SAT: the clamp below is the op
    }
    store<i32>(dst + p, <i32>clamp64(v, lo, hi));
  }
}

// @ts-ignore: decorator
@inline function shift4Loop(dst: usize, src: usize, n: i32, by: i32, mode: i32, lo: i64, hi: i64): void {
  const clampIt = lo != I32_MIN || hi != I32_MAX;
  const lv = i64x2.splat(lo), hv = i64x2.splat(hi);
  for (let i = 0; i < n; i += 4) {
    const x = v128.load(src + (<usize>i << 2));
    let p0 = i64x2.extend_low_i32x4_s(x), p1 = i64x2.extend_high_i32x4_s(x);
    p0 = round2(p0, by, mode); p1 = round2(p1, by, mode);
    if (clampIt) { p0 = clamp2(p0, lv, hv); p1 = clamp2(p1, lv, hv); }
    v128.store(dst + (<usize>i << 2), narrow(p0, p1));
  }
}

/** The first n (a multiple of 4) elements of unary, four at a time; clamps lie within i32. */
function unary4(op: i32, dst: usize, src: usize, n: i32, by: i32, mode: i32, lo: i64, hi: i64): void {
  if (op == UN_SHIFT && by > 0) {
    switch (mode) {
      case RND_FLOOR: shift4Loop(dst, src, n, by, RND_FLOOR, lo, hi); return;
      case RND_TRUNC: shift4Loop(dst, src, n, by, RND_TRUNC, lo, hi); return;
      case RND_HALF_UP: shift4Loop(dst, src, n, by, RND_HALF_UP, lo, hi); return;
      case RND_HALF_EVEN: shift4Loop(dst, src, n, by, RND_HALF_EVEN, lo, hi); return;
      default: shift4Loop(dst, src, n, by, RND_HALF_AWAY, lo, hi); return;
    }
  }
  // neg, abs, sat and shift by 0: i32 lanes, then the clamp (neg/abs of the symmetric range fit).
  const lv = i32x4.splat(<i32>lo), hv = i32x4.splat(<i32>hi);
  for (let i = 0; i < n; i += 4) {
    let x = v128.load(src + (<usize>i << 2));
    if (op == UN_NEG) x = i32x4.neg(x);
    else if (op == UN_ABS) x = i32x4.abs(x);
    v128.store(dst + (<usize>i << 2), i32x4.min_s(i32x4.max_s(x, lv), hv));
  }
}

/** Piecewise table: T[j] (+ linear interpolation) for x in segments of 2^step from lo. */
export function lut(dst: usize, src: usize, n: i32, table: usize, len: i32, lo: i64, step: i32, linear: bool): void {
  const last = len - 1;
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    const d = <i64>load<i32>(src + p) - lo;
    let v: i64;
    if (d < 0) v = <i64>load<i32>(table);
    else {
      const j = d >> step;
      if (j >= <i64>last) v = <i64>load<i32>(table + (<usize>last << 2));
      else {
        const t0 = <i64>load<i32>(table + (<usize>j << 2));
        if (linear) {
          const t1 = <i64>load<i32>(table + (<usize>(j + 1) << 2));
          v = t0 + mulShift(t1 - t0, d - (j << step), step, 3);
        } else v = t0;
      }
    }
    store<i32>(dst + p, <i32>v);
  }
}

/** f32 → integer with `frac` fraction bits, rounded, clamped to the symmetric range. */
export function quantize(dst: usize, src: usize, n: i32, scale: f64, mode: i32, lo: f64, hi: f64): void {
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    let v = roundReal(<f64>load<f32>(src + p) * scale, mode);
    v = v < lo ? lo : v > hi ? hi : v;
    store<i32>(dst + p, <i32>v);
  }
}

/** integer → f32: x·2^-frac, rounded once to f32. */
export function dequantize(dst: usize, src: usize, n: i32, scale: f64): void {
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    store<f32>(dst + p, <f32>(<f64>load<i32>(src + p) * scale));
  }
}

