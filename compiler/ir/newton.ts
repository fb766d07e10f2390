/**
 * @fileoverview The exact definitions of the `recip` and `rsqrt` units: a seed from a small table
 * indexed by the normalised mantissa, then Newton–Raphson steps in Q·30 fixed point.
 *
 * These functions ARE the semantics (docs/IR.md §rsqrt/recip). The wasm kernels and the Verilog
 * units reproduce them step for step; change nothing here without changing them.
 */
import { mulShift, roundShift } from './arith.js';

const Q = 30;
const ONE = 2 ** Q;

const tableCache = new Map<string, Float64Array>();

/** Seed table for 1/m, m ∈ [1,2): entry i is round(2^30 / midpoint of segment i). */
export function recipSeedTable(lutBits: number): Float64Array {
  const key = `recip${lutBits}`;
  let t = tableCache.get(key);
  if (!t) {
    const n = 2 ** lutBits;
    t = new Float64Array(n);
    for (let i = 0; i < n; i++) t[i] = Math.round(ONE / (1 + (i + 0.5) / n));
    tableCache.set(key, t);
  }
  return t;
}

/** Seed table for 1/√M, M ∈ [1,4): first half covers [1,2), second half [2,4). */
export function rsqrtSeedTable(lutBits: number): Float64Array {
  const key = `rsqrt${lutBits}`;
  let t = tableCache.get(key);
  if (!t) {
    const n = 2 ** lutBits;
    t = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      t[i] = Math.round(ONE / Math.sqrt(1 + (i + 0.5) / n));
      t[n + i] = Math.round(ONE / Math.sqrt(2 * (1 + (i + 0.5) / n)));
    }
    tableCache.set(key, t);
  }
  return t;
}

/** floor(log2(x)) for an integer x >= 1. */
function ilog2(x: number): number {
  let e = Math.floor(Math.log2(x));
  // Math.log2 may be off by one near powers of two; fix exactly.
  while (2 ** e > x) e--;
  while (2 ** (e + 1) <= x) e++;
  return e;
}

/**
 * recip: x is an integer with `fracIn` fraction bits (x <= 0 counts as 1 LSB);
 * returns ≈ 2^(fracIn+fracOut)/x, i.e. 1/value in a format with `fracOut` fraction bits.
 */
export function recipFixed(x: number, fracIn: number, fracOut: number, lutBits: number, newton: number): number {
  if (x < 1) x = 1;
  const e = ilog2(x);
  const m = roundShift(x, e - Q, 'floor'); // Q1.30 mantissa in [2^30, 2^31); exact when e <= 30
  const idx = Math.floor(m / 2 ** (Q - lutBits)) - 2 ** lutBits;
  let y = recipSeedTable(lutBits)[idx];
  for (let k = 0; k < newton; k++) {
    const t = mulShift(m, y, Q, 'half_even'); // m·y ≈ 1
    y = mulShift(y, 2 * ONE - t, Q, 'half_even'); // y·(2 − m·y)
  }
  // 1/x = (2^30/m)·2^-e  ⇒  result = y·2^(fracIn + fracOut − e − 30)
  return roundShift(y, Q + e - fracIn - fracOut, 'half_even');
}

/**
 * rsqrt: x is an integer with `fracIn` fraction bits (x <= 0 counts as 1 LSB);
 * returns ≈ 2^fracOut / sqrt(x·2^-fracIn).
 */
export function rsqrtFixed(x: number, fracIn: number, fracOut: number, lutBits: number, newton: number): number {
  if (x < 1) x = 1;
  const e = ilog2(x);
  let m = roundShift(x, e - Q, 'floor'); // [2^30, 2^31)
  let k = e - fracIn; // value = (m/2^30)·2^k
  const odd = ((k % 2) + 2) % 2 === 1;
  if (odd) {
    m *= 2;
    k -= 1;
  } // M ∈ [2,4), k even
  const mant = odd ? m / 2 : m;
  const idx = (odd ? 2 ** lutBits : 0) + Math.floor(mant / 2 ** (Q - lutBits)) - 2 ** lutBits;
  let y = rsqrtSeedTable(lutBits)[idx];
  for (let s = 0; s < newton; s++) {
    const y2 = mulShift(y, y, Q, 'half_even');
    const t = mulShift(m, y2, Q, 'half_even'); // M·y² ≈ 1
    y = mulShift(y, 3 * ONE - t, Q + 1, 'half_even'); // y·(3 − M·y²)/2
  }
  // 1/sqrt(value) = (y/2^30)·2^(-k/2)  ⇒  result = y·2^(fracOut − k/2 − 30)
  return roundShift(y, Q + k / 2 - fracOut, 'half_even');
}

/** Elementwise multiplies one recip/rsqrt evaluation costs (for the statistics). */
export function newtonMultiplies(op: 'recip' | 'rsqrt', newton: number): number {
  return (op === 'recip' ? 2 : 3) * newton;
}
