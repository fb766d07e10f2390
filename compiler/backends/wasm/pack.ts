/**
 * @fileoverview Weight layouts the wasm kernels read (runtime-wasm/assembly/ternary.ts).
 */

/** Rows per tile of the lookup-table kernel. */
export const TILE = 16;

/** Index of a weight pair in the nine-entry sum table: 3(w0+1) + (w1+1). */
function pairIndex(w: ArrayLike<number>, base: number, k: number, K: number): number {
  const w0 = k < K ? w[base + k] : 0;
  const w1 = k + 1 < K ? w[base + k + 1] : 0;
  return 3 * (w0 + 1) + (w1 + 1);
}

/**
 * Packs a ternary [N, K] matrix for matmulLut: tiles of 16 rows; for each group of 4 inputs,
 * 16 bytes, byte r = row r's pair index for inputs 4g,4g+1 (low nibble) and 4g+2,4g+3 (high).
 * 4 bits per pair = 2 bits per weight; padding rows and inputs are zero weights (index 4).
 * The kernel takes tiles two at a time, so tiles 2p and 2p+1 are interleaved group by group
 * (32 bytes a group): one forward stream per pass instead of two 32-KiB-apart ones, which the
 * hardware prefetcher follows better (bench/wasm-kernels.ts). An odd last tile stays alone.
 */
export function packLut(w: ArrayLike<number>, N: number, K: number): Uint8Array {
  const G = Math.ceil(K / 4),
    T = Math.ceil(N / TILE);
  const tiles = packLutTiles(w, N, K);
  const out = new Uint8Array(tiles.length);
  for (let t = 0; t + 1 < T; t += 2)
    for (let g = 0; g < G; g++) {
      out.set(tiles.subarray((t * G + g) * TILE, (t * G + g + 1) * TILE), (t * G + 2 * g) * TILE);
      out.set(tiles.subarray(((t + 1) * G + g) * TILE, ((t + 1) * G + g + 1) * TILE), (t * G + 2 * g + 1) * TILE);
    }
  if (T % 2) out.set(tiles.subarray((T - 1) * G * TILE), (T - 1) * G * TILE);
  return out;
}

/** The tiles one after another (each tile's groups contiguous): bench/wasm-kernels.ts's one-tile-a-pass variant. */
export function packLutTiles(w: ArrayLike<number>, N: number, K: number): Uint8Array {
  const G = Math.ceil(K / 4),
    T = Math.ceil(N / TILE);
  const out = new Uint8Array(T * G * TILE);
  for (let row = 0; row < N; row++) {
    const t = Math.floor(row / TILE),
      r = row % TILE,
      base = row * K;
    for (let g = 0; g < G; g++) {
      out[(t * G + g) * TILE + r] = pairIndex(w, base, 4 * g, K) | (pairIndex(w, base, 4 * g + 2, K) << 4);
    }
  }
  // Padding rows of the last tile: index 4 (both weights zero) in both nibbles.
  for (let row = N; row < T * TILE; row++) {
    const t = Math.floor(row / TILE),
      r = row % TILE;
    for (let g = 0; g < G; g++) out[(t * G + g) * TILE + r] = 0x44;
  }
  return out;
}

/** Bytes of packed weights for an [N, K] matrix. */
export function lutBytes(N: number, K: number): number {
  return Math.ceil(N / TILE) * Math.ceil(K / 4) * TILE;
}

/**
 * A lossless 16-bit code for tables of i32 values with few significant bits — an embedding whose
 * checkpoint values are BF16 (8 significant bits) or F16 (11) keeps at most that many in any
 * fixed-point format, so 16 bits hold it exactly where i32 storage spent 32 (the 370M shape's
 * 32000×1024 embedding: 125 MiB → 62.5 MiB). With `mant` = M mantissa bits and E = 15 − M
 * exponent bits, code = sign·2^15 | e·2^M | m and
 *   |v| = m                       when e = 0 (|v| < 2^M),
 *   |v| = (2^M + m) · 2^(e − 1)   otherwise.
 * runtime-wasm/assembly/data.ts `gather` decodes it. Null when some value has no such code for
 * any M (then the table stays i32).
 */
export function shortCodes(values: ArrayLike<number>): { mant: number; codes: Uint16Array } | null {
  let need = 0,
    top = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]);
    if (a === 0) continue;
    if (a > 2 ** 31) return null;
    const b = bitLength(a),
      tz = 31 - Math.clz32((a & -a) >>> 0); // trailing zeros (a ≤ 2^31 fits 32 bits)
    need = Math.max(need, b - tz - 1);
    top = Math.max(top, b);
  }
  for (let M = need; M <= 14; M++) {
    if (top - M > 2 ** (15 - M) - 1) continue;
    const codes = new Uint16Array(values.length);
    for (let i = 0; i < values.length; i++) codes[i] = shortCode(values[i], M);
    return { mant: M, codes };
  }
  return null;
}

/** Bits of a positive integer ≤ 2^31. */
const bitLength = (a: number): number => 32 - Math.clz32(a >>> 0);

function shortCode(v: number, M: number): number {
  const a = Math.abs(v),
    sign = v < 0 ? 0x8000 : 0;
  if (a < 2 ** M) return sign | a;
  const e = bitLength(a) - M; // a in [2^(M+e-1), 2^(M+e))
  return sign | (e << M) | (a / 2 ** (e - 1) - 2 ** M);
}
