/**
 * @fileoverview A compiled .wasm LM against its PyTorch golden vectors: next-token argmax
 * agreement and logits error, step by step (for the big random-weight shapes, where running
 * `trit verify`'s interpreter would take long). Measured, not asserted.
 *
 *   node dist/bench/golden-argmax.js <model.wasm> <golden.safetensors>
 */
import { readFileSync } from 'node:fs';
import { readGolden } from '../compiler/verify.js';
import { TritSession } from '../runtime-wasm/host/session.js';

const [wasm, goldenPath] = process.argv.slice(2);
const g = readGolden(new Uint8Array(readFileSync(goldenPath)), goldenPath);
const s = await TritSession.create(wasm);
const ids = g.inputs.get('input_ids')!;
const ref = g.outputs.get('logits')!;
const V = ref.shape.at(-1)!;
let agree = 0, maxRel = 0;
for (let t = 0; t < g.steps; t++) {
  if (g.reset[t]) s.reset();
  const logits = s.step(ids.data[t]);
  const want = ref.data.subarray(t * V, (t + 1) * V);
  let a = 0, b = 0, num = 0, den = 0;
  for (let i = 0; i < V; i++) {
    if (logits[i] > logits[a]) a = i;
    if (want[i] > want[b]) b = i;
    num += (logits[i] - want[i]) ** 2; den += want[i] ** 2;
  }
  const rel = Math.sqrt(num / den);
  maxRel = Math.max(maxRel, rel);
  if (a === b) agree++;
  console.log(`step ${t}: argmax wasm ${a}, PyTorch ${b}; relative logits error ${rel.toExponential(2)}`);
}
console.log(JSON.stringify({ wasm, steps: g.steps, argmaxAgreement: agree / g.steps, maxRelError: maxRel }));
await s.close();
