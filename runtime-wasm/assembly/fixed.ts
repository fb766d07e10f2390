// Exact fixed-point helpers: the IR's rounding (compiler/ir/arith.ts) in i64.
// Rounding-mode codes: ./codes.ts (generated from the IR's ROUND_MODES).
import { RND_FLOOR, RND_TRUNC, RND_HALF_UP, RND_HALF_EVEN } from './codes';

/** A magnitude beyond every i32: what an out-of-range left shift becomes before clamping. */
const HUGE: i64 = 1 << 40;

/** v·2^l for l ≥ 0. A result that could not fit an i32 becomes ±2^40, which the caller's clamp
 *  saturates; values the range analysis proved to fit never take that branch. */
// @ts-ignore: decorator
@inline export function shlSat(v: i64, l: i32): i64 {
  if (v == 0) return 0;
  if (l >= 31 || v >= (1 << 32) || v <= -(1 << 32)) return v > 0 ? HUGE : -HUGE;
  return v << l;
}

/**
 * round(v·2^-s) for s in [1, 62] without branches (roundShift of compiler/ir/arith.ts, in i64):
 * for a constant `mode` the switch folds away after inlining, leaving shifts, compares and
 * selects, so rounding costs no branch mispredictions. The tests check it against the
 * interpreter op by op.
 */
// @ts-ignore: decorator
@inline export function roundShiftBranchless(v: i64, s: i32, mode: i32): i64 {
  const q = v >> s;
  const d: i64 = (<i64>1) << s;
  const r = v & (d - 1);
  const half = d >> 1;
  switch (mode) {
    case RND_FLOOR: return q;
    case RND_TRUNC: return q + <i64>(v < 0 && r != 0);
    case RND_HALF_UP: return q + <i64>(r >= half);
    case RND_HALF_EVEN: return q + <i64>(r > half || (r == half && (q & 1) != 0));
    default: return q + <i64>(r > half || (r == half && v >= 0));
  }
}

/** round(v·2^-s) with the given mode; s ≤ 0 is an exact left shift. */
// @ts-ignore: decorator
@inline export function roundShift(v: i64, s: i32, mode: i32): i64 {
  if (s <= 0) return shlSat(v, -s);
  // |v| < 2^62 (products of two i32), so |v·2^-s| < 1/2 for s ≥ 63.
  if (s > 62) return mode == RND_FLOOR && v < 0 ? -1 : 0;
  return roundShiftBranchless(v, s, mode);
}

/** round(a·b·2^-s): the product of two i32 values is exact in i64. */
// @ts-ignore: decorator
@inline export function mulShift(a: i64, b: i64, s: i32, mode: i32): i64 {
  return roundShift(a * b, s, mode);
}

// @ts-ignore: decorator
@inline export function clamp64(v: i64, lo: i64, hi: i64): i64 {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Rounds a real number to an integer (roundReal in arith.ts); only the f32 edge uses it. */
// @ts-ignore: decorator
@inline export function roundReal(x: f64, mode: i32): f64 {
  const f = Math.floor(x);
  const r = x - f;
  switch (mode) {
    case RND_FLOOR: return f;
    case RND_TRUNC: return Math.trunc(x);
    case RND_HALF_UP: return r >= 0.5 ? f + 1 : f;
    case RND_HALF_EVEN: return r > 0.5 || (r == 0.5 && f % 2 != 0) ? f + 1 : f;
    default: return r > 0.5 || (r == 0.5 && x > 0) ? f + 1 : f;
  }
}
