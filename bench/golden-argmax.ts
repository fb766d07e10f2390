/**
 * @fileoverview A compiled .wasm LM — or, for comparison, its ONNX file in onnxruntime-node
 * (float32) — against PyTorch golden vectors: next-token argmax agreement and logits error, step
 * by step (for the big random-weight shapes, where running `trit verify`'s interpreter would take
 * long). Measured, not asserted.
 *
 *   node dist/bench/golden-argmax.js <model.wasm|model.onnx> <golden.safetensors> [--quiet]
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { readGolden } from '../compiler/verify.js';
import { TritSession } from '../runtime-wasm/host/session.js';

const [model, goldenPath, flag] = process.argv.slice(2);
const quiet = flag === '--quiet';
const g = readGolden(new Uint8Array(readFileSync(goldenPath)), goldenPath);
const ids = g.inputs.get('input_ids')!;
const ref = g.outputs.get('logits')!;
const V = ref.shape.at(-1)!;

/** One decode step from either runtime; `reset` starts a new sequence. */
interface Stepper {
  step(id: number): Promise<Float32Array>;
  reset(): void;
  close(): Promise<void>;
}

async function ortStepper(path: string): Promise<Stepper> {
  const ort = (await import('onnxruntime-node')).default;
  const sess = await ort.InferenceSession.create(path);
  const stateNames = sess.inputNames.filter((n) => n.startsWith('state.'));
  // The state width: from the golden file's states, else the config.json beside the model.
  const cfg = join(dirname(path), 'config.json');
  const d = g.outputs.get('new_state.0')?.shape.at(-1) ?? (existsSync(cfg) ? (JSON.parse(readFileSync(cfg, 'utf8')).hidden_size as number) : NaN);
  if (!(d > 0)) throw new Error(`${path}: cannot tell the state width (no states in the golden file, no config.json beside the model)`);
  let states: Record<string, InstanceType<typeof ort.Tensor>> = {};
  const reset = () => {
    states = Object.fromEntries(stateNames.map((n) => [n, new ort.Tensor('float32', new Float32Array(d), [1, d])]));
  };
  reset();
  return {
    reset,
    async step(id) {
      const out = await sess.run({ input_ids: new ort.Tensor('int64', BigInt64Array.of(BigInt(id)), [1]), ...states });
      for (const n of stateNames) states[n] = out[`new_${n}`] as InstanceType<typeof ort.Tensor>;
      return out.logits.data as Float32Array;
    },
    async close() {
      await sess.release();
    },
  };
}

let s: Stepper;
if (model.endsWith('.onnx')) s = await ortStepper(model);
else {
  const t = await TritSession.create(model);
  s = { step: async (id) => t.step(id), reset: () => t.reset(), close: () => t.close() };
}
let agree = 0,
  maxRel = 0;
for (let t = 0; t < g.steps; t++) {
  if (g.reset[t]) s.reset();
  const logits = await s.step(ids.data[t]);
  const want = ref.data.subarray(t * V, (t + 1) * V);
  let a = 0,
    b = 0,
    num = 0,
    den = 0;
  for (let i = 0; i < V; i++) {
    if (logits[i] > logits[a]) a = i;
    if (want[i] > want[b]) b = i;
    num += (logits[i] - want[i]) ** 2;
    den += want[i] ** 2;
  }
  const rel = Math.sqrt(num / den);
  maxRel = Math.max(maxRel, rel);
  if (a === b) agree++;
  if (!quiet) console.log(`step ${t}: argmax ${a}, PyTorch ${b}; relative logits error ${rel.toExponential(2)}`);
}
console.log(JSON.stringify({ model, steps: g.steps, argmaxAgreement: agree / g.steps, maxRelError: maxRel }));
await s.close();
