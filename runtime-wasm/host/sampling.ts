/**
 * @fileoverview Deterministic sampling: the same seed gives the same tokens on every JS engine.
 *
 * Math.exp is not required to be correctly rounded, so engines may differ in the last bit; the
 * softmax here uses its own exp built from + − × ÷ (IEEE-exact everywhere) and a 32-bit integer
 * generator (mulberry32), so sampling is a pure function of (logits, options, seed).
 */

/** The generator: mulberry32 (integer ops only, identical on every engine). */
export { rng } from '../../common/rng.js';

const LN2 = 0.6931471805599453;

/** 2^k for k in [−1100, 1100], each made by repeated halving/doubling from 1: exact (and 0
 *  below the smallest subnormal), whatever the engine's Math.pow does. */
const POW2_BIAS = 1100;
const POW2 = (() => {
  const t = new Float64Array(2 * POW2_BIAS + 1);
  t[POW2_BIAS] = 1;
  for (let k = 1; k <= POW2_BIAS; k++) {
    t[POW2_BIAS + k] = t[POW2_BIAS + k - 1] * 2;
    t[POW2_BIAS - k] = t[POW2_BIAS - k + 1] / 2;
  }
  return t;
})();

/** exp(x) for x ≤ 0 from basic arithmetic only (relative error ~1e-15, identical everywhere). */
export function expDet(x: number): number {
  if (x < -745) return 0;
  const k = Math.round(x / LN2);
  const r = x - k * LN2; // |r| ≤ ln2/2
  let term = 1,
    sum = 1;
  for (let i = 1; i <= 18; i++) {
    term = (term * r) / i;
    sum += term;
  }
  return sum * POW2[POW2_BIAS + k];
}

const f32bits = new Uint32Array(1);
const f32view = new Float32Array(f32bits.buffer);

/**
 * Token ids by descending logit, ties by ascending id — a total order, the same on every engine.
 * For f32 logits (what a model returns) each logit becomes a 32-bit key whose unsigned order is
 * the descending order of the values, and a stable LSD radix sort (4 passes of 8 bits) orders the
 * ids, which start ascending, so ties stay by id. Hand-written because it is the hot spot: the
 * comparator sort it replaces took 20 ms on a 32,000-token vocabulary — as long as a 370M decode
 * step — and the engine's typed-array sort 4 ms; this takes 1–2 ms (measured on the dev VM).
 */
function rankByLogit(logits: ArrayLike<number>): ArrayLike<number> {
  const n = logits.length;
  if (!(logits instanceof Float32Array)) {
    const ids = Array.from({ length: n }, (_, i) => i);
    return ids.sort((a, b) => logits[b] - logits[a] || a - b);
  }
  let keys = new Uint32Array(n),
    ids = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    f32view[0] = logits[i] === 0 ? 0 : logits[i]; // −0 ties with +0, as the comparator has it
    const b = f32bits[0];
    const ascending = b & 0x80000000 ? ~b >>> 0 : (b | 0x80000000) >>> 0; // monotone in the value
    keys[i] = ~ascending >>> 0; // descending
    ids[i] = i;
  }
  let k2 = new Uint32Array(n),
    i2 = new Uint32Array(n);
  const count = new Uint32Array(257);
  for (let shift = 0; shift < 32; shift += 8) {
    count.fill(0);
    for (let i = 0; i < n; i++) count[((keys[i] >>> shift) & 255) + 1]++;
    for (let d = 0; d < 256; d++) count[d + 1] += count[d];
    for (let i = 0; i < n; i++) {
      const at = count[(keys[i] >>> shift) & 255]++;
      k2[at] = keys[i];
      i2[at] = ids[i];
    }
    [keys, k2] = [k2, keys];
    [ids, i2] = [i2, ids];
  }
  return ids;
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
  // Ties broken by id so the order is total and engine-independent.
  const ids = rankByLogit(logits);
  const k = opts.topK && opts.topK > 0 ? Math.min(opts.topK, n) : n;
  const top = logits[ids[0]];
  const w = new Float64Array(k);
  let total = 0;
  for (let j = 0; j < k; j++) total += w[j] = expDet((logits[ids[j]] - top) / temp);
  let u = rand() * total;
  for (let j = 0; j < k; j++) {
    u -= w[j];
    if (u < 0) return ids[j];
  }
  return ids[k - 1];
}
