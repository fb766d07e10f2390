// Data movement: gathers from i8/i16/i32 tables, strided copies for slice and concat.

/** out[i, :] = table[ids[i], :] ; elemBytes is the table's storage width (1, 2 or 4). With
 *  mant ≥ 0 the 2-byte entries are the linker's 16-bit codes of i32 values (compiler/backends/
 *  wasm/pack.ts shortCodes): sign, exponent e, `mant` mantissa bits m; |v| = m when e = 0,
 *  else (2^mant + m)·2^(e−1). */
export function gather(dst: usize, table: usize, ids: usize, count: i32, d: i32, elemBytes: i32, mant: i32): void {
  for (let i = 0; i < count; i++) {
    const id = <usize>load<i32>(ids + (<usize>i << 2));
    const out = dst + (<usize>(i * d) << 2);
    if (elemBytes == 4) memory.copy(out, table + id * <usize>d * 4, <usize>d << 2);
    else if (elemBytes == 2 && mant >= 0) {
      const row = table + id * <usize>d * 2;
      const mmask = (1 << mant) - 1, emask = (1 << (15 - mant)) - 1;
      for (let j = 0; j < d; j++) {
        const c = <i32>load<u16>(row + (<usize>j << 1));
        const e = (c >> mant) & emask, m = c & mmask;
        const a = e == 0 ? m : (m | (1 << mant)) << (e - 1);
        store<i32>(out + (<usize>j << 2), c & 0x8000 ? -a : a);
      }
    } else if (elemBytes == 2) {
      const row = table + id * <usize>d * 2;
      for (let j = 0; j < d; j++) store<i32>(out + (<usize>j << 2), <i32>load<i16>(row + (<usize>j << 1)));
    } else {
      const row = table + id * <usize>d;
      for (let j = 0; j < d; j++) store<i32>(out + (<usize>j << 2), <i32>load<i8>(row + <usize>j));
    }
  }
}

/** `count` blocks of `len` i32 elements, from src (stride srcStride) to dst (stride dstStride). */
export function copyBlocks(dst: usize, dstStride: i32, src: usize, srcStride: i32, len: i32, count: i32): void {
  for (let i = 0; i < count; i++) {
    memory.copy(dst + (<usize>(i * dstStride) << 2), src + (<usize>(i * srcStride) << 2), <usize>len << 2);
  }
}
