/**
 * Models trit did not write: models/exporters/make_corpus.py writes the MatMul-free decode step
 * with upstream's BitLinear through torch.onnx.export (opsets 13–17, with and without constant
 * folding, odd and non-multiple-of-16 widths), the same step by hand with onnx.helper, and nn.Linear
 * MLPs with a custom ternary quantizer. Each must import with default settings and 0 weight
 * multiplies, link to a .wasm that equals the interpreter bit for bit, and agree with onnxruntime
 * on the same file: argmax on ≥ 99% of the steps whose top-2 logit gap exceeds 1% of the logit
 * range (closer calls are float noise in either evaluator).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { compileOnnx } from '../../../../compiler/compile.js';
import { Interpreter } from '../../../../compiler/interp/interp.js';
import { rng } from '../../../../compiler/lower/calibrate.js';
import { linkWasm } from '../../../../compiler/backends/wasm/link.js';
import { TritSession } from '../../../../runtime-wasm/host/session.js';
import { isDecisive } from '../../../../compiler/verify.js';

const ROOT = join(import.meta.dirname, '../../../..');
const dir = mkdtempSync(join(tmpdir(), 'trit-corpus-'));

interface Entry {
  kind: 'lm' | 'classifier';
  how: string;
  vocab?: number;
  d?: number;
  ids?: string;
  states?: [string, string][];
  logits: string;
  input?: string;
  d_in?: number;
}
let corpus: Record<string, Entry> = {};

beforeAll(() => {
  const r = spawnSync(join(ROOT, 'models/py'), ['models/exporters/make_corpus.py', dir], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`make_corpus.py failed (run models/setup.sh first?):\n${r.stdout}\n${r.stderr}`);
  corpus = JSON.parse(readFileSync(join(dir, 'corpus.json'), 'utf8'));
}, 600_000);

const argmax = (a: ArrayLike<number>) => {
  let b = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[b]) b = i;
  return b;
};

interface Tally {
  agree: number;
  counted: number;
  steps: number;
}

/** Interpreter vs onnxruntime: LMs from random prompts, then the reference's greedy continuation. */
async function agreement(name: string, e: Entry, it2: Interpreter): Promise<Tally> {
  const sess = await ort.InferenceSession.create(join(dir, `${name}.onnx`));
  const r = rng(11);
  const t: Tally = { agree: 0, counted: 0, steps: 0 };
  const tally = (ref: ArrayLike<number>, got: ArrayLike<number>) => {
    t.steps++;
    if (!isDecisive(ref, 0, ref.length)) return; // verify's definition: top-2 gap > 1% of the range
    t.counted++;
    if (argmax(ref) === argmax(got)) t.agree++;
  };
  if (e.kind === 'classifier') {
    for (let k = 0; k < 200; k++) {
      const x = Float32Array.from({ length: e.d_in! }, () => r());
      const ref = (await sess.run({ [e.input!]: new ort.Tensor('float32', x, [1, e.d_in!]) }))[e.logits].data as Float32Array;
      tally(ref, it2.run({ [e.input!]: x }).outputs[e.logits]);
    }
    return t;
  }
  for (let q = 0; q < 4; q++) {
    it2.reset();
    const state: Record<string, ort.Tensor> = {};
    for (const [i] of e.states!) state[i] = new ort.Tensor('float32', new Float32Array(e.d!), [1, e.d!]);
    let tok = Math.floor(r() * e.vocab!);
    for (let s = 0; s < 60; s++) {
      const o = await sess.run({ [e.ids!]: new ort.Tensor('int64', BigInt64Array.of(BigInt(tok)), [1]), ...state });
      const ref = o[e.logits].data as Float32Array;
      tally(ref, it2.run({ [e.ids!]: [tok] }).outputs[e.logits]);
      for (const [i, out] of e.states!) state[i] = o[out];
      tok = s < 5 ? Math.floor(r() * e.vocab!) : argmax(ref);
    }
  }
  return t;
}

/** The linked .wasm against the interpreter on a few steps, every output bit. */
async function wasmMatches(ir: ReturnType<typeof compileOnnx>['ir'], e: Entry): Promise<void> {
  const s = await TritSession.create(linkWasm(ir).bytes);
  const it2 = new Interpreter(ir);
  const r = rng(3);
  try {
    for (let k = 0; k < 8; k++) {
      const feed = e.kind === 'lm' ? { [e.ids!]: [Math.floor(r() * e.vocab!)] } : { [e.input!]: Float32Array.from({ length: e.d_in! }, () => r()) };
      const want = it2.run(feed).outputs,
        got = s.run(feed);
      for (const [k2, w] of Object.entries(want)) expect(Array.from(got[k2]), `${k2} at step ${k}`).toEqual(Array.from(w));
    }
  } finally {
    await s.close();
  }
}

describe('the exporter corpus (models trit did not write)', () => {
  const names = () => Object.keys(corpus);
  it('has every kind of file the corpus script writes', () => {
    expect(names().length).toBe(16);
    expect(names().filter((n) => n.startsWith('torch-lm-op')).length).toBe(10);
  });

  for (const name of [
    'torch-lm-op13-fold',
    'torch-lm-op13-nofold',
    'torch-lm-op14-fold',
    'torch-lm-op14-nofold',
    'torch-lm-op15-fold',
    'torch-lm-op15-nofold',
    'torch-lm-op16-fold',
    'torch-lm-op16-nofold',
    'torch-lm-op17-fold',
    'torch-lm-op17-nofold',
    'torch-lm-d37-i75',
    'torch-lm-d100-i200',
    'hand-lm-d48',
    'hand-lm-d33-i70',
    'torch-mlp-op13-fold',
    'torch-mlp-op17-nofold',
  ]) {
    it(`${name}: imports with defaults, 0 weight multiplies, wasm = interpreter, agrees with onnxruntime`, async () => {
      const e = corpus[name];
      expect(e, `${name} missing from corpus.json`).toBeDefined();
      const c = compileOnnx(new Uint8Array(readFileSync(join(dir, `${name}.onnx`))), { file: `${name}.onnx` });
      expect(c.stats.weightMultiplies).toBe(0);
      expect(c.ir.nodes.some((n) => n.op === 'ternary_matmul')).toBe(true);
      await wasmMatches(c.ir, e);
      const t = await agreement(name, e, new Interpreter(c.ir));
      console.log(`${name}: ${t.agree}/${t.counted} decisive steps agree (${t.steps} steps; ${e.how})`);
      expect(t.counted).toBeGreaterThan(t.steps / 2);
      expect(t.agree / t.counted).toBeGreaterThanOrEqual(0.99);
    }, 120_000);
  }
});
