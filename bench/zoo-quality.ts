/**
 * @fileoverview Quality of a zoo model as trit compiles it by default, beside onnxruntime on the same ONNX file.
 *   LM:         node dist/bench/zoo-quality.js lm <dir> <text file> [chars]  → nats/char on the last 10% (validation split)
 *   classifier: node dist/bench/zoo-quality.js mnist <dir> <mnist dir> [images] → test accuracy
 * Prints one JSON object (the figures quoted in the model cards).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { mnistImagesIfPresent } from '../fixtures/mnist.js';
import ort from 'onnxruntime-node';
import { compileFile } from '../compiler/node.js';
import { Interpreter } from '../compiler/interp/interp.js';

const [kind, dir, data, nArg] = process.argv.slice(2);
const bytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
const t0 = Date.now();
const c = compileFile(join(dir, 'model.onnx')); // as `trit compile` does: the calibration set beside the model
const compileSeconds = (Date.now() - t0) / 1000;
const sess = await ort.InferenceSession.create(bytes);
const it = new Interpreter(c.ir);
const argmax = (a: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[b]) b = i;
  return b;
};
const nll = (logits: ArrayLike<number>, y: number) => {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]);
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += Math.exp(logits[i] - m);
  return Math.log(s) + m - logits[y];
};

if (kind === 'lm') {
  const vocab: string[] = JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8'));
  const index = new Map(vocab.map((ch, i) => [ch, i]));
  const text = readFileSync(data, 'utf8');
  const val = text.slice(Math.floor(0.9 * text.length));
  const n = Number(nArg ?? 2000);
  const ids = Array.from(val.slice(0, n + 1), (ch) => index.get(ch)!);
  const layers = sess.inputNames.filter((x) => x.startsWith('state.')).length;
  const d = c.ir.states[0].type.shape[1];
  let state: Record<string, ort.Tensor> = {};
  for (let k = 0; k < layers; k++) state[`state.${k}`] = new ort.Tensor('float32', new Float32Array(d), [1, d]);
  let lossOrt = 0,
    lossTrit = 0,
    agree = 0;
  for (let t = 0; t < n; t++) {
    const o = await sess.run({ input_ids: new ort.Tensor('int64', BigInt64Array.of(BigInt(ids[t])), [1]), ...state });
    const ref = o.logits.data as Float32Array;
    const got = it.run({ input_ids: [ids[t]] }).outputs.logits;
    lossOrt += nll(ref, ids[t + 1]);
    lossTrit += nll(got, ids[t + 1]);
    if (argmax(ref) === argmax(got)) agree++;
    state = Object.fromEntries(Array.from({ length: layers }, (_, k) => [`state.${k}`, o[`new_state.${k}`]]));
  }
  console.log(
    JSON.stringify({
      model: dir,
      chars: n,
      split: 'validation (last 10%), first chars, one sequence from zero state',
      onnxruntimeNatsPerChar: +(lossOrt / n).toFixed(4),
      tritNatsPerChar: +(lossTrit / n).toFixed(4),
      argmaxAgreement: agree / n,
      compileSeconds,
      stats: c.stats,
    }),
  );
} else if (kind === 'mnist') {
  const n = Number(nArg ?? 10000);
  const images = mnistImagesIfPresent(n, data);
  if (!images) throw new Error(`no MNIST test images in ${data}`);
  const labels = gunzipSync(readFileSync(join(data, 't10k-labels-idx1-ubyte.gz')));
  let rightOrt = 0,
    rightTrit = 0,
    agree = 0;
  for (let i = 0; i < n; i++) {
    const x = images[i];
    const ref = (await sess.run({ image: new ort.Tensor('float32', x, [1, 784]) })).logits.data as Float32Array;
    const got = it.run({ image: x }).outputs.logits;
    const y = labels[8 + i];
    if (argmax(ref) === y) rightOrt++;
    if (argmax(got) === y) rightTrit++;
    if (argmax(ref) === argmax(got)) agree++;
  }
  console.log(
    JSON.stringify({
      model: dir,
      images: n,
      onnxruntimeAccuracy: rightOrt / n,
      tritAccuracy: rightTrit / n,
      argmaxAgreement: agree / n,
      compileSeconds,
      stats: c.stats,
    }),
  );
} else {
  console.error('usage: zoo-quality.js lm <dir> <text> [chars] | mnist <dir> <mnist dir> [images]');
  process.exit(2);
}
