/**
 * @fileoverview Deterministic sampling: the same seed gives the same tokens on every JS engine.
 *
 * Math.exp is not required to be correctly rounded, so engines may differ in the last bit; the
 * softmax here uses its own exp built from + − × ÷ (IEEE-exact everywhere) and a 32-bit integer
 * generator (mulberry32), so sampling is a pure function of (logits, options, seed).
 */

/** The generator: mulberry32 (integer ops only, identical on every engine). */
export { rng } from '../../compiler/util/rng.js';

const LN2 = 0.6931471805599453;

/** exp(x) for x ≤ 0 from basic arithmetic only (relative error ~1e-15, identical everywhere). */
export function expDet(x: number): number {
  if (x < -745) return 0;
  const k = Math.round(x / LN2);
  const r = x - k * LN2; // |r| ≤ ln2/2
  let term = 1, sum = 1;
  for (let i = 1; i <= 18; i++) { term = (term * r) / i; sum += term; }
  // 2^k by repeated halving/doubling: exact.
  let p = 1;
  for (let i = 0; i < Math.abs(k); i++) p = k < 0 ? p / 2 : p * 2;
  return sum * p;
}

export interface SampleOptions {
  /** 0 = greedy (the first maximum). */
  temperature?: number;
  /** Keep the k most likely tokens (0 = all). */
  topK?: number;
}

/** Picks a token id from logits. */
export function sample(logits: ArrayLike<number>, opts: SampleOptions, rand: () => number): number {
  const n = logits.length;
  const temp = opts.temperature ?? 0;
  if (!(temp > 0)) {
    let best = 0;
    for (let i = 1; i < n; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  let ids = Array.from({ length: n }, (_, i) => i);
  // Ties broken by id so the order is total and engine-independent.
  ids.sort((a, b) => logits[b] - logits[a] || a - b);
  const k = opts.topK && opts.topK > 0 ? Math.min(opts.topK, n) : n;
  ids = ids.slice(0, k);
  const top = logits[ids[0]];
  const w = ids.map((i) => expDet((logits[i] - top) / temp));
  let total = 0;
  for (const v of w) total += v;
  let u = rand() * total;
  for (let j = 0; j < ids.length; j++) {
    u -= w[j];
    if (u < 0) return ids[j];
  }
  return ids[ids.length - 1];
}
