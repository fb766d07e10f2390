// Elementwise integer ops over i32 buffers. Every IR value lives in memory as i32 whatever its
// dtype (the dtype bounds its range; storing it wider is exact and keeps one kernel per op).
// Binary kernels walk a run of n outputs; each operand advances by its stride (1, or 0 for a
// broadcast scalar), so the linker can express any broadcast as a few runs.
import { clamp64, mulShift, roundShift } from './fixed';

// Binary op codes (the linker's BINARY_OPS table).
const ADD = 0, SUB = 1, MAX = 2, MIN = 3, MUL = 4;

export function binary(op: i32, dst: usize, a: usize, sa: i32, b: usize, sb: i32, n: i32,
                       shift: i32, mode: i32, lo: i64, hi: i64): void {
  const da = <usize>(sa << 2), db = <usize>(sb << 2);
  switch (op) {
    case ADD:
      for (let i = 0; i < n; i++, a += da, b += db) {
        store<i32>(dst + (<usize>i << 2), <i32>clamp64(<i64>load<i32>(a) + <i64>load<i32>(b), lo, hi));
      }
      break;
    case SUB:
      for (let i = 0; i < n; i++, a += da, b += db) {
        store<i32>(dst + (<usize>i << 2), <i32>clamp64(<i64>load<i32>(a) - <i64>load<i32>(b), lo, hi));
      }
      break;
    case MAX:
      for (let i = 0; i < n; i++, a += da, b += db) {
        const u = load<i32>(a), v = load<i32>(b);
        store<i32>(dst + (<usize>i << 2), u > v ? u : v);
      }
      break;
    case MIN:
      for (let i = 0; i < n; i++, a += da, b += db) {
        const u = load<i32>(a), v = load<i32>(b);
        store<i32>(dst + (<usize>i << 2), u < v ? u : v);
      }
      break;
    default: // MUL (and mulc: the constant is just another operand)
      for (let i = 0; i < n; i++, a += da, b += db) {
        const p = mulShift(<i64>load<i32>(a), <i64>load<i32>(b), shift, mode);
        store<i32>(dst + (<usize>i << 2), <i32>clamp64(p, lo, hi));
      }
      break;
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

// Unary op codes.
const NEG = 0, ABS = 1, SHIFT = 2, SAT = 3;

export function unary(op: i32, dst: usize, src: usize, n: i32, by: i32, mode: i32, lo: i64, hi: i64): void {
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    const x = <i64>load<i32>(src + p);
    let v: i64;
    switch (op) {
      case NEG: v = -x; break;
      case ABS: v = x < 0 ? -x : x; break;
      case SHIFT: v = roundShift(x, by, mode); break;
      default: v = x; break; // SAT: the clamp below is the op
    }
    store<i32>(dst + p, <i32>clamp64(v, lo, hi));
  }
}

/** Piecewise table: T[j] (+ linear interpolation) for x in segments of 2^step from lo. */
export function lut(dst: usize, src: usize, n: i32, table: usize, len: i32, lo: i32, step: i32, linear: bool): void {
  const last = len - 1;
  for (let i = 0; i < n; i++) {
    const p = <usize>i << 2;
    const d = <i64>load<i32>(src + p) - <i64>lo;
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

import { roundReal } from './fixed';
