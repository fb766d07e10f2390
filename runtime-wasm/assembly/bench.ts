// Kernel variants for bench/wasm-kernels.ts: the production lookup-table kernel beside the
// designs it was chosen over, and a streaming roofline. Not linked into models.
//
// Every variant computes out[o] = Σ_k w[o,k]·a[k] for one int8 activation row, exactly.
export { buildTables, matmulLut, tableBytes } from './ternary';

/** The production kernel's first form: one 16-row tile at a time (tables loaded per tile). */
export function matmulLut16(out: usize, tab: usize, w: usize, k: i32, n: i32): void {
  const groups = (k + 3) >> 2;
  const mask = i8x16.splat(0x0f);
  const tiles = (n + 15) >> 4;
  let wp = w;
  for (let t = 0; t < tiles; t++) {
    let c0 = i32x4.splat(0), c1 = i32x4.splat(0), c2 = i32x4.splat(0), c3 = i32x4.splat(0);
    for (let g0 = 0; g0 < groups; g0 += 32) {
      const g1 = min(g0 + 32, groups);
      let s0 = i16x8.splat(0), s1 = i16x8.splat(0);
      let tp = tab + (<usize>g0 << 6);
      for (let g = g0; g < g1; g++, wp += 16, tp += 64) {
        const v = v128.load(wp);
        const il = v128.and(v, mask), ih = i8x16.shr_u(v, 4);
        let lo = i8x16.swizzle(v128.load(tp), il), hi = i8x16.swizzle(v128.load(tp, 16), il);
        s0 = i16x8.add(s0, i8x16.shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
        s1 = i16x8.add(s1, i8x16.shuffle(lo, hi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
        lo = i8x16.swizzle(v128.load(tp, 32), ih); hi = i8x16.swizzle(v128.load(tp, 48), ih);
        s0 = i16x8.add(s0, i8x16.shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23));
        s1 = i16x8.add(s1, i8x16.shuffle(lo, hi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31));
      }
      c0 = i32x4.add(c0, i32x4.extend_low_i16x8_s(s0)); c1 = i32x4.add(c1, i32x4.extend_high_i16x8_s(s0));
      c2 = i32x4.add(c2, i32x4.extend_low_i16x8_s(s1)); c3 = i32x4.add(c3, i32x4.extend_high_i16x8_s(s1));
    }
    const o = out + (<usize>(t << 4) << 2);
    v128.store(o, c0); v128.store(o, c1, 16); v128.store(o, c2, 32); v128.store(o, c3, 48);
  }
}

/**
 * B: 2-bit codes c = w+1, row-major (byte b of a 16-byte block holds weights q·16+b at bits 2q),
 * activations pre-widened to i16; c·a via extend + i32x4.dot_i16x8_s, then Σa subtracted.
 */
export function matmulDot(out: usize, a16: usize, sumA: i32, w: usize, k: i32, n: i32): void {
  const blocks = k >> 6; // k is a multiple of 64 here
  const three = i8x16.splat(3);
  for (let o = 0; o < n; o++) {
    let acc = i32x4.splat(0);
    let wp = w + <usize>o * <usize>(k >> 2);
    for (let b = 0; b < blocks; b++, wp += 16) {
      const v = v128.load(wp);
      const ap = a16 + (<usize>(b << 6) << 1);
      for (let q = 0; q < 4; q++) {
        const c = v128.and(i8x16.shr_u(v, q * 2), three);
        const lo = i16x8.extend_low_i8x16_u(c), hi = i16x8.extend_high_i8x16_u(c);
        acc = i32x4.add(acc, i32x4.dot_i16x8_s(lo, v128.load(ap + (<usize>(q << 4) << 1))));
        acc = i32x4.add(acc, i32x4.dot_i16x8_s(hi, v128.load(ap + (<usize>(q << 4) << 1), 16)));
      }
    }
    const s = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
    store<i32>(out + (<usize>o << 2), s - sumA);
  }
}

/** D: multiply-free sign select on int8 activations: (a & [c==2]) − (a & [c==0]), widened pairwise. */
export function matmulSelect(out: usize, a8: usize, w: usize, k: i32, n: i32): void {
  const blocks = k >> 6;
  const three = i8x16.splat(3), two = i8x16.splat(2), zero = i8x16.splat(0);
  for (let o = 0; o < n; o++) {
    let acc = i32x4.splat(0);
    let wp = w + <usize>o * <usize>(k >> 2);
    for (let b0 = 0; b0 < blocks; b0 += 64) {
      let s = i16x8.splat(0);
      const b1 = min(b0 + 64, blocks);
      for (let b = b0; b < b1; b++, wp += 16) {
        const v = v128.load(wp);
        const ap = a8 + (<usize>(b << 6));
        for (let q = 0; q < 4; q++) {
          const c = v128.and(i8x16.shr_u(v, q * 2), three);
          const a = v128.load(ap + (<usize>(q << 4)));
          const pos = v128.and(a, i8x16.eq(c, two)), neg = v128.and(a, i8x16.eq(c, zero));
          s = i16x8.add(s, i16x8.sub(i16x8.extadd_pairwise_i8x16_s(pos), i16x8.extadd_pairwise_i8x16_s(neg)));
        }
      }
      acc = i32x4.add(acc, i32x4.add(i32x4.extend_low_i16x8_s(s), i32x4.extend_high_i16x8_s(s)));
    }
    const t = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
    store<i32>(out + (<usize>o << 2), t);
  }
}

/** Roofline: reads `bytes` with v128 loads and adds them (what streaming the weights costs). */
export function stream(p: usize, bytes: i32): i32 {
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
  const end = p + <usize>bytes;
  for (; p + 64 <= end; p += 64) {
    a0 = i32x4.add(a0, v128.load(p)); a1 = i32x4.add(a1, v128.load(p, 16));
    a2 = i32x4.add(a2, v128.load(p, 32)); a3 = i32x4.add(a3, v128.load(p, 48));
  }
  const s = i32x4.add(i32x4.add(a0, a1), i32x4.add(a2, a3));
  return i32x4.extract_lane(s, 0) ^ i32x4.extract_lane(s, 1) ^ i32x4.extract_lane(s, 2) ^ i32x4.extract_lane(s, 3);
}
