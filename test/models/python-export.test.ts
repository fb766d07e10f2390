/**
 * The reference trainer's export path, end to end from Node: train a fresh tiny MatMul-free LM for a
 * few steps (PyTorch), export it (canonical ONNX + golden vectors from PyTorch), then
 *  - onnxruntime-node on that ONNX reproduces PyTorch's outputs within float tolerance, and
 *  - `trit verify` passes on it.
 * Needs the trainer's Debian packages (models/setup.sh, run by the README's commands).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { readGolden } from '../../compiler/verify.js';

const ROOT = join(import.meta.dirname, '../..');
const PY = join(ROOT, 'models/py');
const dir = mkdtempSync(join(tmpdir(), 'trit-export-'));
const model = join(dir, 'm');

function py(...args: string[]) {
  const r = spawnSync(PY, args, { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`models/py ${args.join(' ')} failed (run models/setup.sh first?):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

beforeAll(() => {
  writeFileSync(join(dir, 'text.txt'), 'First Citizen:\nBefore we proceed any further, hear me speak.\n'.repeat(60));
  py('models/train_lm.py', '--data', join(dir, 'text.txt'), '--out', model, '--hidden', '48', '--layers', '2', '--intermediate', '96',
    '--seq', '32', '--batch', '8', '--steps', '30', '--eval-every', '30', '--eval-batches', '1', '--seed', '5');
  py('models/export.py', model, '--prompts', 'First', 'Before we', '--steps', '40');
});

describe('PyTorch → canonical ONNX → onnxruntime-node and trit', () => {
  it('onnxruntime-node reproduces the PyTorch outputs on every golden step', async () => {
    const golden = readGolden(new Uint8Array(readFileSync(join(model, 'golden.safetensors'))));
    const sess = await ort.InferenceSession.create(join(model, 'model.onnx'));
    const ids = golden.inputs.get('input_ids')!.data;
    const ref = golden.outputs.get('logits')!;
    const V = ref.shape[1];
    const layers = sess.inputNames.filter((n) => n.startsWith('state.')).length;
    const d = golden.outputs.get('new_state.0')!.shape[1];
    let state: Record<string, ort.Tensor> = {};
    let worst = 0, agree = 0, flips = 0;
    for (let s = 0; s < golden.steps; s++) {
      if (golden.reset[s]) for (let n = 0; n < layers; n++) state[`state.${n}`] = new ort.Tensor('float32', new Float32Array(d), [1, d]);
      const o = await sess.run({ input_ids: new ort.Tensor('int64', BigInt64Array.of(BigInt(ids[s])), [1]), ...state });
      const got = o.logits.data as Float32Array;
      const want = ref.data.subarray(s * V, (s + 1) * V);
      let e = 0, m = 0, ag = 0, ar = 0;
      for (let i = 0; i < V; i++) {
        e = Math.max(e, Math.abs(got[i] - want[i])); m = Math.max(m, Math.abs(want[i]));
        if (got[i] > got[ag]) ag = i;
        if (want[i] > want[ar]) ar = i;
      }
      worst = Math.max(worst, e / m);
      if (e / m > 1e-5) flips++;
      if (ag === ar) agree++;
      state = Object.fromEntries(Array.from({ length: layers }, (_, n) => [`state.${n}`, o[`new_state.${n}`]]));
    }
    console.log(`onnxruntime vs PyTorch: argmax ${agree}/${golden.steps}, worst relative logit error ${worst.toExponential(2)}, ${flips} step(s) above 1e-5`);
    expect(agree).toBe(golden.steps);
    // Two float implementations of the same fake-quantized model agree to ~1e-7, except where an
    // int8 activation lands on a rounding boundary and one of them rounds it the other way (their
    // sums differ in the last bit): one activation step, a relative logit error of ~1e-2 on that
    // step only. Seen on 1 step of 80 with this environment's trained weights (7.4e-3), 0 before.
    expect(flips).toBeLessThanOrEqual(2);
    expect(worst).toBeLessThan(2e-2);
  });

  it('trit verify passes on the exported model', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'verify', join(model, 'model.onnx'), '--golden', join(model, 'golden.safetensors'), '--json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.pass).toBe(true);
    expect(j.layers.map((l: { name: string }) => l.name)).toEqual(['model.layers.0.out', 'model.layers.1.out']);
  });
});
