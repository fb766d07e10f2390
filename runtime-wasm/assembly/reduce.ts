// Reductions over the last axis (rows × k → rows), and argmax (first maximum wins).
import { clamp64 } from './fixed';

const SUM = 0, MAX = 1, ABSMAX = 2, ARGMAX = 3;

export function reduce(op: i32, dst: usize, src: usize, rows: i32, k: i32, lo: i64, hi: i64): void {
  for (let r = 0; r < rows; r++) {
    const row = src + (<usize>(r * k) << 2);
    let out: i64 = 0;
    if (op == SUM) {
      let acc: i64 = 0;
      for (let j = 0; j < k; j++) acc += <i64>load<i32>(row + (<usize>j << 2));
      out = clamp64(acc, lo, hi);
    } else if (op == ABSMAX) {
      let m: i64 = 0;
      for (let j = 0; j < k; j++) {
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
      out = op == MAX ? <i64>m : <i64>arg;
    }
    store<i32>(dst + (<usize>r << 2), <i32>out);
  }
}
