import { chunkCount } from './threads';

// Ternary matrix × int8 activations without multiplies: a TL1 / T-MAC-style lookup-table kernel.
//
// Why this design: T-MAC's table lookup (Wei et al., EuroSys'25, arXiv 2407.00088) measured fastest in fixed SIMD
// (~27 G weights/s per thread, ahead of sign-select, extmul and dot_i16x8 kernels), and
// bench/kernels.ts re-measures the variants here.
//
// Per input row, buildTables writes for each activation pair (a0, a1) the nine sums
// w0·a0 + w1·a1, w ∈ {-1,0,1}, indexed by 3(w0+1)+(w1+1), as int16 split into a 16-byte low-byte
// table and a 16-byte high-byte table (32 bytes per pair). Weights are packed by the linker
// (compiler/backends/wasm/pack.ts) in tiles of 16 output rows: for every group of 4 inputs,
// 16 bytes, byte r holding row r's index for pair 2g (low nibble) and pair 2g+1 (high nibble);
// tiles 2p and 2p+1 interleaved group by group, as the kernel reads them (an odd last tile alone).
// One i8x16.swizzle per table looks up 16 rows at once; the lo/hi bytes are re-zipped into i16
// lanes and accumulated; |sum| ≤ 256 per pair, so 32 groups (64 pairs) fit i16 before widening.

/** Bytes of lookup tables for one row of K inputs. */
export function tableBytes(k: i32): i32 {
  return ((k + 3) >> 2) * 64;
}

/** Tables for `rows` input rows (i32 values, each within int8) of k inputs; pads with zeros. */
export function buildTables(tab: usize, x: usize, rows: i32, k: i32): void {
  buildTablesRange(tab, x, rows, k, 0, (k + 3) >> 2);
}

/** The tables of groups [g0, g1) only (a chunk's share of the inputs). */
// @ts-ignore: decorator
@inline function buildTablesRange(tab: usize, x: usize, rows: i32, k: i32, g0: i32, g1: i32): void {
  const groups = (k + 3) >> 2;
  const rowBytes = <usize>groups * 64;
  // The last group may hold inputs past k: the scalar form pads them with zeros.
  const full = min(g1, k >> 2);
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * k) << 2);
    const t = tab + <usize>r * rowBytes;
    for (let g = g0; g < full; g++) tablesOfGroup(t + (<usize>g << 6), xr + (<usize>g << 4));
    for (let g = max(g0, full); g < g1; g++) tablesOfGroupScalar(t + (<usize>g << 6), xr, g, k);
  }
}

// Lane masks of the nine sums w0·a0 + w1·a1, entry idx = 3(w0+1) + (w1+1), for idx 0–7 (…Lo) and
// 8–15 (…Hi; only idx 8 is a real entry): where a coefficient is nonzero, and where it is −1.
const W0_NZ_LO = i16x8(-1, -1, -1, 0, 0, 0, -1, -1), W0_NEG_LO = i16x8(-1, -1, -1, 0, 0, 0, 0, 0);
const W1_NZ_LO = i16x8(-1, 0, -1, -1, 0, -1, -1, 0), W1_NEG_LO = i16x8(-1, 0, 0, -1, 0, 0, -1, 0);
const W0_NZ_HI = i16x8(-1, 0, 0, 0, 0, 0, 0, 0), W1_NZ_HI = i16x8(-1, 0, 0, 0, 0, 0, 0, 0);

/** ±a on the lanes of `nz`, negated on the lanes of `neg`, 0 elsewhere: a · {−1, 0, 1} without a multiply. */
// @ts-ignore: decorator
@inline function signed(a: v128, nz: v128, neg: v128): v128 {
  const v = v128.and(a, nz);
  return i16x8.sub(v128.xor(v, neg), neg); // (v ^ −1) − (−1) = −v where neg
}

/**
 * The two pair tables of one group of 4 inputs in SIMD: per pair, the nine sums as i16 lanes
 * (computed with adds and sign flips), then their low bytes (16) and high bytes (16), as the
 * scalar form below lays them out. Entries 9–15 are 0 (never indexed).
 */
// @ts-ignore: decorator
@inline function tablesOfGroup(t: usize, x4: usize): void {
  const xs = v128.load(x4); // four i32 inputs, each within int8
  for (let p = 0; p < 2; p++) {
    const a0 = i16x8.splat(<i16>(p == 0 ? i32x4.extract_lane(xs, 0) : i32x4.extract_lane(xs, 2)));
    const a1 = i16x8.splat(<i16>(p == 0 ? i32x4.extract_lane(xs, 1) : i32x4.extract_lane(xs, 3)));
    const lo = i16x8.add(signed(a0, W0_NZ_LO, W0_NEG_LO), signed(a1, W1_NZ_LO, W1_NEG_LO));
    const hi = i16x8.add(v128.and(a0, W0_NZ_HI), v128.and(a1, W1_NZ_HI)); // idx 8: w0 = w1 = +1
    const tp = t + (<usize>p << 5);
    v128.store(tp, i8x16.shuffle(lo, hi, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30));
    v128.store(tp, i8x16.shuffle(lo, hi, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), 16);
  }
}

/** The same for a group that runs past the last input (padded with zeros), one byte at a time. */
function tablesOfGroupScalar(t: usize, xr: usize, g: i32, k: i32): void {
  for (let p = g * 2; p < g * 2 + 2; p++, t += 32) {
    const j = p * 2;
    const a0: i32 = j < k ? load<i32>(xr + (<usize>j << 2)) : 0;
    const a1: i32 = j + 1 < k ? load<i32>(xr + (<usize>(j + 1) << 2)) : 0;
    // idx = 3(w0+1) + (w1+1) → w0·a0 + w1·a1; entries 9..15 are never indexed.
    for (let idx = 0; idx < 16; idx++) {
      const v = idx < 9 ? (idx / 3 - 1) * a0 + (idx % 3 - 1) * a1 : 0;
      store<u8>(t + <usize>idx, <u8>v);
      store<u8>(t + 16 + <usize>idx, <u8>(v >> 8));
    }
  }
}

// @ts-ignore: decorator
@inline function look(table: v128, idx: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i8x16.relaxed_swizzle(table, idx); // idx < 16: deterministic
  return i8x16.swizzle(table, idx);
}

/** Stores a tile's 16 sums, or only its `valid` real rows (the last, partial tile: the memory
 *  past them belongs to the next row). Lane by lane, so no scratch is shared between threads. */
// @ts-ignore: decorator
@inline function storeTile(o: usize, valid: i32, c0: v128, c1: v128, c2: v128, c3: v128): void {
  if (valid >= 16) {
    v128.store(o, c0); v128.store(o, c1, 16); v128.store(o, c2, 32); v128.store(o, c3, 48);
    return;
  }
  if (valid > 0) store<i32>(o, i32x4.extract_lane(c0, 0));
  if (valid > 1) store<i32>(o, i32x4.extract_lane(c0, 1), 4);
  if (valid > 2) store<i32>(o, i32x4.extract_lane(c0, 2), 8);
  if (valid > 3) store<i32>(o, i32x4.extract_lane(c0, 3), 12);
  if (valid > 4) store<i32>(o, i32x4.extract_lane(c1, 0), 16);
  if (valid > 5) store<i32>(o, i32x4.extract_lane(c1, 1), 20);
  if (valid > 6) store<i32>(o, i32x4.extract_lane(c1, 2), 24);
  if (valid > 7) store<i32>(o, i32x4.extract_lane(c1, 3), 28);
  if (valid > 8) store<i32>(o, i32x4.extract_lane(c2, 0), 32);
  if (valid > 9) store<i32>(o, i32x4.extract_lane(c2, 1), 36);
  if (valid > 10) store<i32>(o, i32x4.extract_lane(c2, 2), 40);
  if (valid > 11) store<i32>(o, i32x4.extract_lane(c2, 3), 44);
  if (valid > 12) store<i32>(o, i32x4.extract_lane(c3, 0), 48);
  if (valid > 13) store<i32>(o, i32x4.extract_lane(c3, 1), 52);
  if (valid > 14) store<i32>(o, i32x4.extract_lane(c3, 2), 56);
}

// Zips a lookup's low and high bytes into i16 lanes: rows 0–7, rows 8–15.
// @ts-ignore: decorator
@inline function zipLo(lo: v128, hi: v128): v128 {
  return i8x16.shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
}
// @ts-ignore: decorator
@inline function zipHi(lo: v128, hi: v128): v128 {
  return i8x16.shuffle(lo, hi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
}

/**
 * One thread's share of a lookup-table matmul, split along the inputs: the sums over input
 * groups [g0, g1) of every output, written to `out` (thread 0: the result; others: a partial
 * that `combine` adds in). Builds this share's tables first when `build` is set — each thread
 * builds and then reads only its own tables, which stay in its own cache. Integer sums are
 * exact in any order, so the split cannot change a bit of the result.
 * Tiles go two at a time, so each table load serves 32 rows; an odd last tile goes alone.
 */
export function matmulLutShare(out: usize, tab: usize, x: usize, w: usize, rows: i32, k: i32, n: i32, g0: i32, g1: i32, build: i32): void {
  if (build) buildTablesRange(tab, x, rows, k, g0, g1);
  const groups = (k + 3) >> 2;
  const t0 = 0, t1 = (n + 15) >> 4;
  const tileBytes = <usize>groups * 16;
  const rowTab = <usize>groups * 64;
  const mask = i8x16.splat(0x0f);
  for (let r = 0; r < rows; r++) {
    const tr = tab + <usize>r * rowTab;
    const outRow = out + (<usize>(r * n) << 2);
    let t = t0;
    for (; t + 1 < t1; t += 2) {
      let wa = w + <usize>t * tileBytes + (<usize>g0 << 5); // tiles t, t+1 interleaved: 32 bytes a group
      let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
      let b0 = i32x4.splat(0), b1 = i32x4.splat(0), b2 = i32x4.splat(0), b3 = i32x4.splat(0);
      for (let c0 = g0; c0 < g1; c0 += 32) {
        const c1 = min(c0 + 32, g1);
        let sa0 = i16x8.splat(0), sa1 = i16x8.splat(0), sb0 = i16x8.splat(0), sb1 = i16x8.splat(0);
        let tp = tr + (<usize>c0 << 6);
        for (let g = c0; g < c1; g++, wa += 32, tp += 64) {
          const va = v128.load(wa), vb = v128.load(wa, 16);
          const t0lo = v128.load(tp), t0hi = v128.load(tp, 16), t1lo = v128.load(tp, 32), t1hi = v128.load(tp, 48);
          let il = v128.and(va, mask), ih = i8x16.shr_u(va, 4);
          let lo = look(t0lo, il), hi = look(t0hi, il);
          sa0 = i16x8.add(sa0, zipLo(lo, hi)); sa1 = i16x8.add(sa1, zipHi(lo, hi));
          lo = look(t1lo, ih); hi = look(t1hi, ih);
          sa0 = i16x8.add(sa0, zipLo(lo, hi)); sa1 = i16x8.add(sa1, zipHi(lo, hi));
          il = v128.and(vb, mask); ih = i8x16.shr_u(vb, 4);
          lo = look(t0lo, il); hi = look(t0hi, il);
          sb0 = i16x8.add(sb0, zipLo(lo, hi)); sb1 = i16x8.add(sb1, zipHi(lo, hi));
          lo = look(t1lo, ih); hi = look(t1hi, ih);
          sb0 = i16x8.add(sb0, zipLo(lo, hi)); sb1 = i16x8.add(sb1, zipHi(lo, hi));
        }
        a0 = i32x4.add(a0, i32x4.extend_low_i16x8_s(sa0)); a1 = i32x4.add(a1, i32x4.extend_high_i16x8_s(sa0));
        a2 = i32x4.add(a2, i32x4.extend_low_i16x8_s(sa1)); a3 = i32x4.add(a3, i32x4.extend_high_i16x8_s(sa1));
        b0 = i32x4.add(b0, i32x4.extend_low_i16x8_s(sb0)); b1 = i32x4.add(b1, i32x4.extend_high_i16x8_s(sb0));
        b2 = i32x4.add(b2, i32x4.extend_low_i16x8_s(sb1)); b3 = i32x4.add(b3, i32x4.extend_high_i16x8_s(sb1));
      }
      storeTile(outRow + (<usize>(t << 4) << 2), n - (t << 4), a0, a1, a2, a3);
      storeTile(outRow + (<usize>((t + 1) << 4) << 2), n - ((t + 1) << 4), b0, b1, b2, b3);
    }
    if (t < t1) {
      let wp = w + <usize>t * tileBytes + (<usize>g0 << 4);
      let c0 = i32x4.splat(0), c1 = i32x4.splat(0), c2 = i32x4.splat(0), c3 = i32x4.splat(0);
      for (let h0 = g0; h0 < g1; h0 += 32) {
        const h1 = min(h0 + 32, g1);
        let s0 = i16x8.splat(0), s1 = i16x8.splat(0);
        let tp = tr + (<usize>h0 << 6);
        for (let g = h0; g < h1; g++, wp += 16, tp += 64) {
          const v = v128.load(wp);
          const il = v128.and(v, mask), ih = i8x16.shr_u(v, 4);
          let lo = look(v128.load(tp), il), hi = look(v128.load(tp, 16), il);
          s0 = i16x8.add(s0, zipLo(lo, hi)); s1 = i16x8.add(s1, zipHi(lo, hi));
          lo = look(v128.load(tp, 32), ih); hi = look(v128.load(tp, 48), ih);
          s0 = i16x8.add(s0, zipLo(lo, hi)); s1 = i16x8.add(s1, zipHi(lo, hi));
        }
        c0 = i32x4.add(c0, i32x4.extend_low_i16x8_s(s0)); c1 = i32x4.add(c1, i32x4.extend_high_i16x8_s(s0));
        c2 = i32x4.add(c2, i32x4.extend_low_i16x8_s(s1)); c3 = i32x4.add(c3, i32x4.extend_high_i16x8_s(s1));
      }
      storeTile(outRow + (<usize>(t << 4) << 2), n - (t << 4), c0, c1, c2, c3);
    }
  }
}

/** The whole product on one thread, tables already built: out = x·Wᵀ for every row. */
export function matmulLut(out: usize, tab: usize, w: usize, rows: i32, k: i32, n: i32): void {
  matmulLutShare(out, tab, 0, w, rows, k, n, 0, (k + 3) >> 2, 0);
}

/** After a split matmul: out += the partials of chunks 1.. (i32 adds, in chunk order). The chunk
 *  count is the one `fork` used for this job of `units` units on `nthreads` threads. */
export function combine(out: usize, scratch: usize, count: i32, stride: i32, units: i32, nthreads: i32): void {
  const parts = chunkCount(units, nthreads);
  for (let t = 1; t < parts; t++) {
    const p = scratch + <usize>(t - 1) * (<usize>stride << 2);
    let i = 0;
    for (; i + 4 <= count; i += 4) {
      const o = out + (<usize>i << 2);
      v128.store(o, i32x4.add(v128.load(o), v128.load(p + (<usize>i << 2))));
    }
    for (; i < count; i++) {
      const o = out + (<usize>i << 2);
      store<i32>(o, load<i32>(o) + load<i32>(p + (<usize>i << 2)));
    }
  }
}

/**
 * The general form: any integer activations (i16/i32), weights one int8 each, row-major [n, k].
 * Output rows [o0, o1). Sums wrap to i32: the range analysis proved they fit.
 */
export function matmulGeneric(out: usize, x: usize, w: usize, rows: i32, k: i32, n: i32, o0: i32, o1: i32): void {
  for (let r = 0; r < rows; r++) {
    const xr = x + (<usize>(r * k) << 2);
    for (let o = o0; o < o1; o++) {
      const wr = w + <usize>o * <usize>k;
      let acc: i32 = 0;
      for (let j = 0; j < k; j++) {
        const s = load<i8>(wr + <usize>j);
        const a = load<i32>(xr + (<usize>j << 2));
        acc += s > 0 ? a : s < 0 ? -a : 0;
      }
      store<i32>(out + (<usize>(r * n + o) << 2), acc);
    }
  }
}
