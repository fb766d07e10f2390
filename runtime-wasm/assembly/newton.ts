// recip and rsqrt: seed table + Newton steps in Q·30, step for step as compiler/interp/newton.ts.
// The seed tables are computed by the compiler (the same JS that defines them) and linked as data.
import { mulShift, roundShift, clamp64 } from './fixed';

const Q: i32 = 30;
const ONE: i64 = 1 << 30;

/** floor(log2(x)) for 1 ≤ x < 2^31. */
// @ts-ignore: decorator
@inline function ilog2(x: i64): i32 {
  return 63 - <i32>clz<i64>(x);
}

/** 1/x: x with fracIn fraction bits → result with fracOut; see recipFixed. */
export function recip(dst: usize, src: usize, n: i32, seeds: usize, fracIn: i32, fracOut: i32,
                      lutBits: i32, newton: i32, lo: i64, hi: i64): void {
  for (let i = 0; i < n; i++) {
    let x = <i64>load<i32>(src + (<usize>i << 2));
    if (x < 1) x = 1;
    const e = ilog2(x);
    const m = roundShift(x, e - Q, 0);
    const idx = <i32>(m >> (Q - lutBits)) - (1 << lutBits);
    let y = <i64>load<i32>(seeds + (<usize>idx << 2));
    for (let k = 0; k < newton; k++) {
      const t = mulShift(m, y, Q, 3);
      y = mulShift(y, 2 * ONE - t, Q, 3);
    }
    const r = roundShift(y, Q + e - fracIn - fracOut, 3);
    store<i32>(dst + (<usize>i << 2), <i32>clamp64(r, lo, hi));
  }
}

/** 1/√x: see rsqrtFixed. */
export function rsqrt(dst: usize, src: usize, n: i32, seeds: usize, fracIn: i32, fracOut: i32,
                      lutBits: i32, newton: i32, lo: i64, hi: i64): void {
  for (let i = 0; i < n; i++) {
    let x = <i64>load<i32>(src + (<usize>i << 2));
    if (x < 1) x = 1;
    const e = ilog2(x);
    const mant = roundShift(x, e - Q, 0);
    let m = mant;
    let k = e - fracIn;
    const odd = (((k % 2) + 2) % 2) == 1;
    if (odd) { m = m * 2; k -= 1; }
    const idx = (odd ? 1 << lutBits : 0) + <i32>(mant >> (Q - lutBits)) - (1 << lutBits);
    let y = <i64>load<i32>(seeds + (<usize>idx << 2));
    for (let s = 0; s < newton; s++) {
      const y2 = mulShift(y, y, Q, 3);
      const t = mulShift(m, y2, Q, 3);
      y = mulShift(y, 3 * ONE - t, Q + 1, 3);
    }
    const r = roundShift(y, Q + k / 2 - fracOut, 3);
    store<i32>(dst + (<usize>i << 2), <i32>clamp64(r, lo, hi));
  }
}
