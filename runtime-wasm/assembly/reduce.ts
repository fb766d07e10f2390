// Reductions over the last axis (rows × k → rows), and argmax (first maximum wins).
import { clamp64, roundShift } from './fixed';

import { RED_SUM, RED_MAX, RED_ABSMAX } from './codes';

// A sum is exact in i64 and then rounded once by `sh` (reduce_sum's shift; 0 for the others).
export function reduce(op: i32, dst: usize, src: usize, rows: i32, k: i32, sh: i32, mode: i32, lo: i64, hi: i64): void {
  for (let r = 0; r < rows; r++) {
    const row = src + (<usize>(r * k) << 2);
    let out: i64 = 0;
    if (op == RED_SUM) {
      // Four lanes at a time into two i64x2 accumulators (exact), then the tail.
      let v0 = i64x2.splat(0), v1 = i64x2.splat(0);
      let j = 0;
      for (; j + 4 <= k; j += 4) {
        const v = v128.load(row + (<usize>j << 2));
        v0 = i64x2.add(v0, i64x2.extend_low_i32x4_s(v));
        v1 = i64x2.add(v1, i64x2.extend_high_i32x4_s(v));
      }
      const t = i64x2.add(v0, v1);
      let acc: i64 = i64x2.extract_lane(t, 0) + i64x2.extract_lane(t, 1);
      for (; j < k; j++) acc += <i64>load<i32>(row + (<usize>j << 2));
      out = clamp64(sh ? roundShift(acc, sh, mode) : acc, lo, hi);
    } else if (op == RED_ABSMAX) {
      // |x| as unsigned lanes: exact even for −2^31 (whose magnitude no proven output can hold).
      let mv = i32x4.splat(0);
      let j = 0;
      for (; j + 4 <= k; j += 4) mv = i32x4.max_u(mv, i32x4.abs(v128.load(row + (<usize>j << 2))));
      let m: i64 = 0;
      for (let l = 0; l < 4; l++) {
        const e = <i64>(<u32>i32x4.extract_lane(mv, 0));
        if (e > m) m = e;
        mv = i32x4.shuffle(mv, mv, 1, 2, 3, 0);
      }
      for (; j < k; j++) {
        let v = <i64>load<i32>(row + (<usize>j << 2));
        if (v < 0) v = -v;
        if (v > m) m = v;
      }
      out = m;
    } else {
      let m = load<i32>(row);
      let arg = 0;
      for (let j = 1; j < k; j++) {
        const v = load<i32>(row + (<usize>j << 2));
        if (v > m) { m = v; arg = j; }
      }
      out = op == RED_MAX ? <i64>m : <i64>arg;
    }
    store<i32>(dst + (<usize>r << 2), <i32>out);
  }
}
