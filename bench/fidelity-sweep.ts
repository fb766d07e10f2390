/**
 * @fileoverview How the lowering's table sizes and Newton steps trade against fidelity: for each
 * setting, compile the test LM (2 layers, d=64) and the columns classifier, and measure argmax
 * agreement and relative logit error against onnxruntime-node over 1,000 decode steps / images.
 * Run: npm run build && node dist/bench/fidelity-sweep.js   (prints a Markdown table)
 */
import ort from 'onnxruntime-node';
import { compileOnnx } from '../compiler/compile.js';
import { Interpreter } from '../compiler/interp/interp.js';
import { rng } from '../compiler/lower/calibrate.js';
import type { LowerOptions } from '../compiler/lower/lower.js';
import { buildMatmulFreeLM, buildColumnsClassifier } from '../fixtures/models.js';
import { COLUMNS_TINY, LM_TINY } from '../fixtures/zoo-random.js';
import { mnistImagesIfPresent } from '../fixtures/mnist.js';

const argmax = (a: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[b]) b = i;
  return b;
};

async function lm(opts: Partial<LowerOptions>) {
  const bytes = buildMatmulFreeLM(LM_TINY);
  const c = compileOnnx(bytes, { lower: opts });
  const sess = await ort.InferenceSession.create(bytes);
  const it = new Interpreter(c.ir);
  const r = rng(2024);
  let agree = 0,
    sum = 0;
  for (let q = 0; q < 10; q++) {
    it.reset();
    const state: Record<string, ort.Tensor> = {};
    for (let n = 0; n < LM_TINY.layers; n++) state[`state.${n}`] = new ort.Tensor('float32', new Float32Array(LM_TINY.d), [1, LM_TINY.d]);
    let tok = Math.floor(r() * LM_TINY.vocab);
    for (let t = 0; t < 100; t++) {
      const o = await sess.run({ input_ids: new ort.Tensor('int64', BigInt64Array.of(BigInt(tok)), [1]), ...state });
      const ref = o.logits.data as Float32Array;
      const got = it.run({ input_ids: [tok] }).outputs.logits;
      if (argmax(ref) === argmax(got)) agree++;
      let e = 0,
        m = 0;
      for (let i = 0; i < ref.length; i++) {
        e = Math.max(e, Math.abs(ref[i] - got[i]));
        m = Math.max(m, Math.abs(ref[i]));
      }
      sum += e / m;
      for (let n = 0; n < LM_TINY.layers; n++) state[`state.${n}`] = o[`new_state.${n}`];
      tok = t < 7 ? Math.floor(r() * LM_TINY.vocab) : argmax(ref);
    }
  }
  return { agree: agree / 1000, rel: sum / 1000, lookups: c.stats.lookups, mults: c.stats.elementwiseMultiplies, constBytes: c.stats.constBytes };
}

async function columns(opts: Partial<LowerOptions>) {
  const bytes = buildColumnsClassifier(COLUMNS_TINY);
  const c = compileOnnx(bytes, { lower: opts });
  const sess = await ort.InferenceSession.create(bytes);
  const it = new Interpreter(c.ir);
  const images = mnistImagesIfPresent(1000)!;
  let agree = 0;
  for (const img of images) {
    const ref = (await sess.run({ image: new ort.Tensor('float32', img, [1, 784]) })).logits.data as Float32Array;
    if (argmax(ref) === argmax(it.run({ image: img }).outputs.logits)) agree++;
  }
  return agree / images.length;
}

const rows: string[] = [
  '| sigmoid points/unit | seed bits | Newton steps | LM agreement | LM mean rel. logit error | columns agreement | LM const bytes |',
  '|---|---|---|---|---|---|---|',
];
for (const [lutDensity, lutBits, newton] of [
  [8, 8, 2],
  [16, 8, 2],
  [32, 8, 2],
  [64, 8, 2],
  [128, 8, 2],
  [64, 8, 1],
  [64, 8, 0],
  [64, 4, 1],
]) {
  const o = { lutDensity, lutBits, newton };
  const a = await lm(o);
  const b = mnistImagesIfPresent(1) ? await columns(o) : NaN;
  rows.push(
    `| ${lutDensity} | ${lutBits} | ${newton} | ${(a.agree * 100).toFixed(1)}% | ${a.rel.toExponential(2)} | ${(b * 100).toFixed(1)}% | ${a.constBytes.toLocaleString('en-US')} |`,
  );
  console.error(rows.at(-1));
}
console.log(rows.join('\n'));
