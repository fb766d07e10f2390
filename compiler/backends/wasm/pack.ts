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
 */
export function packLut(w: ArrayLike<number>, N: number, K: number): Uint8Array {
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
