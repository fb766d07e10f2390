/**
 * Interpreter vs onnxruntime-node on the very same ONNX files: next-token (or class) argmax
 * agreement and relative logit error. onnxruntime is the independent float oracle.
 */
import { describe, expect, it } from 'vitest';
import ort from 'onnxruntime-node';
import { compileOnnx } from '../../../../compiler/compile.js';
import { Interpreter } from '../../../../compiler/interp/interp.js';
import { rng } from '../../../../compiler/lower/calibrate.js';
import { buildColumnsClassifier, buildMatmulFreeLM } from '../../../../fixtures/models.js';
import { mnistImagesIfPresent } from '../../../../fixtures/mnist.js';

const argmax = (a: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[b]) b = i;
  return b;
};
const relErr = (ref: ArrayLike<number>, got: ArrayLike<number>) => {
  let e = 0,
    m = 0;
  for (let i = 0; i < ref.length; i++) {
    e = Math.max(e, Math.abs(ref[i] - got[i]));
    m = Math.max(m, Math.abs(ref[i]));
  }
  return e / m;
};

describe('MatMul-free LM (2 layers, d=64, random ternary weights) vs onnxruntime-node', () => {
  const cfg = { vocab: 256, d: 64, layers: 2, inter: 128, seed: 7 };
  const bytes = buildMatmulFreeLM(cfg);
  const c = compileOnnx(bytes, { file: 'lm.onnx' });

  it('has no weight multiplies', () => {
    expect(c.stats.weightMultiplies).toBe(0);
    expect(c.stats.adds + c.stats.subs).toBeGreaterThan(0.6 * c.stats.ternaryWeights); // ~2/3 of weights are nonzero
  });

  it('agrees on ≥ 99.5% of 1,000 decode steps from random prompts', async () => {
    const sess = await ort.InferenceSession.create(bytes);
    const it2 = new Interpreter(c.ir);
    const r = rng(2024);
    let agree = 0,
      steps = 0,
      worst = 0,
      sum = 0;
    for (let q = 0; q < 10; q++) {
      it2.reset();
      const state: Record<string, ort.Tensor> = {};
      for (let n = 0; n < cfg.layers; n++) state[`state.${n}`] = new ort.Tensor('float32', new Float32Array(cfg.d), [1, cfg.d]);
      let tok = Math.floor(r() * cfg.vocab);
      for (let t = 0; t < 100; t++, steps++) {
        const o = await sess.run({ input_ids: new ort.Tensor('int64', BigInt64Array.of(BigInt(tok)), [1]), ...state });
        const ref = o.logits.data as Float32Array;
        const got = it2.run({ input_ids: [tok] }).outputs.logits;
        if (argmax(ref) === argmax(got)) agree++;
        const e = relErr(ref, got);
        worst = Math.max(worst, e);
        sum += e;
        for (let n = 0; n < cfg.layers; n++) state[`state.${n}`] = o[`new_state.${n}`];
        // Random prompt of 8 tokens, then the reference's greedy continuation (teacher forcing).
        tok = t < 7 ? Math.floor(r() * cfg.vocab) : argmax(ref);
      }
    }
    console.log(`LM: argmax agreement ${agree}/${steps}, relative logit error mean ${(sum / steps).toExponential(2)} max ${worst.toExponential(2)}`);
    expect(steps).toBe(1000);
    expect(agree / steps).toBeGreaterThanOrEqual(0.995);
  });
});

describe('columns classifier (4 columns, random ternary weights) vs onnxruntime-node', () => {
  const cfg = { inputs: 784, columns: 4, width: 32, hidden: 32, classes: 10, seed: 3 };
  const bytes = buildColumnsClassifier(cfg);
  const c = compileOnnx(bytes, { file: 'columns.onnx' });

  it('has no weight multiplies', () => {
    expect(c.stats.weightMultiplies).toBe(0);
  });

  it('agrees on ≥ 99.5% of 1,000 images', async () => {
    const sess = await ort.InferenceSession.create(bytes);
    const it2 = new Interpreter(c.ir);
    const r = rng(5);
    // MNIST test images where the data is present; sparse random images otherwise.
    const images = mnistImagesIfPresent(1000) ?? Array.from({ length: 1000 }, () => Float32Array.from({ length: 784 }, () => (r() < 0.8 ? 0 : r())));
    let agree = 0,
      worst = 0,
      sum = 0;
    for (const img of images) {
      const ref = (await sess.run({ image: new ort.Tensor('float32', img, [1, 784]) })).logits.data as Float32Array;
      const got = it2.run({ image: img }).outputs.logits;
      if (argmax(ref) === argmax(got)) agree++;
      const e = relErr(ref, got);
      worst = Math.max(worst, e);
      sum += e;
    }
    console.log(
      `columns: argmax agreement ${agree}/${images.length}, relative logit error mean ${(sum / images.length).toExponential(2)} max ${worst.toExponential(2)}`,
    );
    expect(agree / images.length).toBeGreaterThanOrEqual(0.995);
  });
});
