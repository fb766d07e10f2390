/**
 * @fileoverview Ternary weights from a checkpoint's stored floats, as upstream's `weight_quant`
 * computes them at load (ridgerchu/matmulfreellm, mmfreelm/ops/fusedbitnet.py), in float32:
 *
 *   s_w = 1 / max(mean|W|, 1e-5)          one scale for the whole tensor
 *   q_w = clamp(round(W · s_w), −1, 1)    round half to even (torch.round): |W·s_w| = 0.5 → 0
 *   W̃   = q_w / s_w
 *
 * Done once, from the stored values — never from dequantized ones: weight_quant is not idempotent
 * (re-quantizing W̃ rescales it by the fraction of nonzeros; upstream issue #18).
 *
 * Float32 emulated with Math.fround at each step torch rounds: the mean (summed in float64, then
 * rounded once — torch's float32 sum can differ from that in its last bit, which moves s_w by one
 * ulp and can only flip a weight lying within that ulp of ±0.5/s_w), the reciprocal, and each
 * product. The scale kept is fround(1/s_w), what the ONNX exporter writes, so a checkpoint
 * compiled from its directory and from its ONNX export gives the same program.
 */
import { TritError } from '../../../common/errors.js';

const WEIGHT_EPS = Math.fround(1e-5);

export interface Ternary {
  /** q_w ∈ {−1, 0, 1}, in the stored layout [out, in]. */
  values: Int8Array;
  /** The per-tensor scale c = 1/s_w of W̃ = c·q_w (1 for an all-zero tensor, as the ONNX path). */
  scale: number;
}

export function ternarize(w: Float32Array, site: { file?: string; tensor?: string }): Ternary {
  const n = w.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs(w[i]);
  if (!Number.isFinite(sum)) throw new TritError('holds NaN or infinite values', site, 'the checkpoint is corrupt');
  const mean = Math.fround(sum / n);
  const sw = Math.fround(1 / Math.max(mean, WEIGHT_EPS));
  const values = new Int8Array(n);
  let nonzero = 0;
  for (let i = 0; i < n; i++) {
    const v = Math.fround(w[i] * sw);
    // round half to even then clamp to ±1: only |v| > 0.5 leaves zero.
    const q = v > 0.5 ? 1 : v < -0.5 ? -1 : 0;
    values[i] = q;
    nonzero += q & 1;
  }
  return { values, scale: nonzero ? Math.fround(1 / sw) : 1 };
}
