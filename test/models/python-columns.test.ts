/**
 * The quantized-columns classifier from the reference trainer: train a tiny one briefly on real
 * MNIST, export it, and check onnxruntime-node and `trit verify` against PyTorch's golden outputs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { readGolden } from '../../compiler/verify.js';

const ROOT = join(import.meta.dirname, '../..');
const out = join(mkdtempSync(join(tmpdir(), 'trit-columns-')), 'm');

beforeAll(() => {
  const r = spawnSync(join(ROOT, 'models/py'), ['models/train_columns.py', '--out', out, '--columns', '3', '--width', '16', '--hidden', '16',
    '--epochs', '1', '--train-limit', '3000', '--golden', '100', '--threads', '1'], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`train_columns.py failed (run models/setup.sh; MNIST from ../shared/data/mnist):\n${r.stdout}\n${r.stderr}`);
});

describe('PyTorch columns classifier → ONNX → onnxruntime-node and trit', () => {
  it('onnxruntime-node reproduces PyTorch\'s logits', async () => {
    const g = readGolden(new Uint8Array(readFileSync(join(out, 'golden.safetensors'))));
    const sess = await ort.InferenceSession.create(join(out, 'model.onnx'));
    const img = g.inputs.get('image')!, ref = g.outputs.get('logits')!;
    let worst = 0;
    for (let s = 0; s < g.steps; s++) {
      const x = Float32Array.from(img.data.subarray(s * 784, (s + 1) * 784));
      const got = (await sess.run({ image: new ort.Tensor('float32', x, [1, 784]) })).logits.data as Float32Array;
      let e = 0, m = 0;
      for (let i = 0; i < 10; i++) { e = Math.max(e, Math.abs(got[i] - ref.data[s * 10 + i])); m = Math.max(m, Math.abs(ref.data[s * 10 + i])); }
      worst = Math.max(worst, e / m);
    }
    console.log(`columns: onnxruntime vs PyTorch worst relative logit error ${worst.toExponential(2)} over ${g.steps} images`);
    expect(worst).toBeLessThan(1e-3);
  });

  it('trit verify passes', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), 'verify', join(out, 'model.onnx'), '--golden', join(out, 'golden.safetensors'), '--json'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.pass).toBe(true);
    expect(j.layers[0].name).toBe('pooled');
  });
});
