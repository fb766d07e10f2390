/**
 * The 16-bit gather-table codes (compiler/backends/wasm/pack.ts shortCodes): lossless for every
 * value they accept, refused where no mantissa width holds every value, and decoded in wasm to the
 * same i32 values (the end-to-end exactness tests run models whose embeddings use them).
 */
import { describe, expect, it } from 'vitest';
import { shortCodes } from '../../../../compiler/backends/wasm/pack.js';
import { rng } from '../../../../common/rng.js';

/** The decoder, as runtime-wasm/assembly/data.ts has it. */
function decode(c: number, M: number): number {
  const e = (c >> M) & ((1 << (15 - M)) - 1),
    m = c & ((1 << M) - 1);
  const a = e === 0 ? m : (m + 2 ** M) * 2 ** (e - 1);
  return c & 0x8000 ? -a : a;
}

/** A BF16 value (8 significant bits, any exponent) in a fixed-point format of `frac` bits, rounded as the compiler does. */
function bf16Fixed(r: () => number, frac: number): number {
  const m = 128 + Math.floor(r() * 128),
    e = Math.floor(r() * 40) - 30;
  const v = (r() < 0.5 ? -1 : 1) * m * 2 ** (e - 7);
  return Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(v * 2 ** frac))) + 0; // + 0: no −0
}

describe('16-bit gather-table codes', () => {
  it('round-trip BF16-valued tables in any fixed-point format exactly', () => {
    const r = rng(7);
    for (const frac of [0, 8, 16, 20]) {
      const vals = Array.from({ length: 4000 }, () => bf16Fixed(r, frac)).filter((v) => Math.abs(v) < 2 ** 31 - 1);
      vals.push(0, 1, -1, 255, -256, 2 ** 30, -(2 ** 31));
      const s = shortCodes(vals);
      expect(s, `frac ${frac}`).not.toBeNull();
      expect(s!.mant).toBeLessThanOrEqual(8);
      const back = Array.from(s!.codes, (c) => decode(c, s!.mant));
      expect(back).toEqual(vals);
    }
  });
  it('F16-like values (11 significant bits) fit too', () => {
    const vals = [2047 * 2 ** 10, -2047, 1025 * 2 ** 20, 3, 0];
    const s = shortCodes(vals)!;
    expect(s.mant).toBe(10);
    expect(Array.from(s.codes, (c) => decode(c, s.mant))).toEqual(vals);
  });
  it('refuses tables with a value of more significant bits than 16 can carry', () => {
    const edge = shortCodes([2 ** 14 + 1, -5])!; // 15 significant bits: the widest mantissa, one exponent bit
    expect(edge.mant).toBe(14);
    expect(Array.from(edge.codes, (c) => decode(c, 14))).toEqual([2 ** 14 + 1, -5]);
    expect(shortCodes([2 ** 16 + 1])).toBeNull();
    expect(shortCodes([(2 ** 15 + 1) * 4, 2 ** 30])).toBeNull();
    expect(shortCodes([123456789])).toBeNull();
  });
});
