/**
 * The wasm back-end equals the interpreter bit for bit — every node's value at every step — on
 * random IR programs, random small models (shapes off the 16/32 grid, random ternary density,
 * extreme activations), with one and two threads, and on every zoo model's golden inputs.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { validate } from '../../../../compiler/ir/validate.js';
import { analyzeRanges } from '../../../../compiler/ir/range.js';
import { compileOnnx } from '../../../../compiler/compile.js';
import { readGolden } from '../../../../compiler/verify.js';
import { rng } from '../../../../compiler/lower/calibrate.js';
import { buildColumnsClassifier, buildMatmulFreeLM } from '../../../../fixtures/models.js';
import { compareWithInterpreter, type Feeds } from '../../../../fixtures/wasm-harness.js';
import { randomIR } from '../../../../fixtures/random-ir.js';
import { spawnSync } from 'node:child_process';
import { TritError } from '../../../../common/errors.js';
import type { IRGraph } from '../../../../compiler/ir/graph.js';

const ROOT = join(import.meta.dirname, '../../../..');

/** Random IR programs the validator and range analysis accept (others are regenerated). */
function validPrograms(count: number, firstSeed: number) {
  const out: ReturnType<typeof randomIR>[] = [];
  let refused = 0;
  for (let seed = firstSeed; out.length < count; seed++) {
    const p = randomIR(seed);
    try {
      validate(p.ir);
      analyzeRanges(p.ir);
      out.push(p);
    } catch (e) {
      if (!(e instanceof TritError)) throw e;
      refused++;
    }
    if (refused > 4 * count) throw new Error(`the generator makes too many invalid graphs (${refused})`);
  }
  return out;
}

describe('random IR programs: wasm = interpreter, bit for bit', () => {
  it('120 programs, 1 thread, 3 steps each', async () => {
    const progs = validPrograms(120, 1);
    const opsSeen = new Set<string>();
    let values = 0,
      fused = 0;
    for (const p of progs) {
      for (const n of p.ir.nodes) opsSeen.add(n.op);
      const c = await compareWithInterpreter(p.ir, [p.feeds(), p.feeds(), p.feeds()], { link: { optimize: 1 } });
      expect(c.mismatch, p.ir.name).toBeNull();
      values += c.values;
      fused += c.fused;
    }
    expect(fused, 'no value of 120 programs was computed in a fused loop').toBeGreaterThan(100);
    for (const op of [
      'quantize',
      'ternary_matmul',
      'shift',
      'mulc',
      'mul',
      'add',
      'sub',
      'max',
      'min',
      'neg',
      'abs',
      'sat',
      'lut',
      'recip',
      'rsqrt',
      'reduce_sum',
      'reduce_max',
      'reduce_absmax',
      'argmax',
      'slice',
      'concat',
      'reshape',
      'state_read',
      'state_write',
      'dequantize',
    ]) {
      expect(opsSeen.has(op), `generator never produced ${op}`).toBe(true);
    }
    console.log(`[wasm exact] 120 random IR programs, ${values} node values compared (${fused} more inside fused loops), 0 differ`);
  });

  it('40 programs, 2 and 3 threads sharing every matrix', async () => {
    for (const [i, p] of validPrograms(40, 5000).entries()) {
      const c = await compareWithInterpreter(p.ir, [p.feeds(), p.feeds()], { threads: 2 + (i % 2), link: { threadMinWeights: 0, optimize: 1 } });
      expect(c.mismatch, p.ir.name).toBeNull();
    }
  });
});

const tokenSteps = (V: number, n: number, seed: number, inputs: string[]): Feeds[] => {
  const r = rng(seed);
  return Array.from({ length: n }, () => ({ [inputs[0]]: [Math.floor(r() * V)] }));
};

describe('random small models: wasm = interpreter', () => {
  it('24 MatMul-free LMs with random shapes (1 and 2 threads)', async () => {
    const r = rng(77);
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    for (let i = 0; i < 24; i++) {
      const cfg = { vocab: int(5, 300), d: int(8, 80), layers: int(1, 2), inter: int(8, 120), seed: 100 + i };
      const { ir } = compileOnnx(buildMatmulFreeLM(cfg), { calibrationSteps: 16 });
      const ids = ir.inputs.filter((x) => x.type.dtype !== 'f32').map((x) => x.name);
      const steps = tokenSteps(cfg.vocab, 6, i, ids);
      const c = await compareWithInterpreter(ir, steps, { threads: 1 + (i % 2), link: { threadMinWeights: 0, optimize: 1 } });
      expect(c.mismatch, JSON.stringify(cfg)).toBeNull();
    }
  });

  it('12 columns classifiers with random shapes, inputs from 0 to 1e6', async () => {
    const r = rng(78);
    const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
    for (let i = 0; i < 12; i++) {
      const cfg = { inputs: int(5, 100), columns: int(1, 4), width: int(3, 40), hidden: int(3, 50), classes: int(2, 12), seed: 200 + i };
      const { ir } = compileOnnx(buildColumnsClassifier(cfg), { calibrationSteps: 16 });
      const scale = [1, 1, 100, 1e6][i % 4];
      const steps = Array.from({ length: 4 }, () => ({ [ir.inputs[0].name]: Array.from({ length: cfg.inputs }, () => r() * scale) }));
      const c = await compareWithInterpreter(ir, steps, { threads: 1 + (i % 2), link: { threadMinWeights: 0, optimize: 1 } });
      expect(c.mismatch, JSON.stringify(cfg)).toBeNull();
    }
  });
});

/** Golden inputs of a zoo model as run steps (reset where the golden file says). */
function goldenSteps(dir: string, limit: number): (Feeds | 'reset')[] {
  const g = readGolden(new Uint8Array(readFileSync(join(dir, 'golden.safetensors'))), dir);
  const out: (Feeds | 'reset')[] = [];
  for (let s = 0; s < Math.min(g.steps, limit); s++) {
    if (g.reset[s] && s > 0) out.push('reset');
    const f: Feeds = {};
    for (const [name, t] of g.inputs) {
      const n = t.shape.slice(1).reduce((a, b) => a * b, 1);
      f[name] = t.data.slice(s * n, (s + 1) * n);
    }
    out.push(f);
  }
  return out;
}

describe('zoo models: wasm = interpreter on their golden inputs', () => {
  const zoo: [string, number, boolean][] = [
    ['random-mmfree-tiny', 1e9, false],
    ['random-columns-tiny', 1e9, false],
    ['mmfree-shakespeare-char', 1e9, true],
    ['columns-mnist-up5k', 1e9, false],
    ['columns-mnist', 1e9, false],
  ];
  for (const [name, limit, goldenCalibration] of zoo) {
    it(name, async () => {
      const dir = join(ROOT, 'models/zoo', name);
      const steps = goldenSteps(dir, limit);
      const calibration = goldenCalibration
        ? [
            steps
              .filter((s): s is Feeds => s !== 'reset')
              .map((f) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, Float64Array.from(v)]))),
          ]
        : undefined;
      const { ir } = compileOnnx(new Uint8Array(readFileSync(join(dir, 'model.onnx'))), { file: name, calibration });
      const c = await compareWithInterpreter(ir as IRGraph, steps, { threads: 2 });
      expect(c.mismatch).toBeNull();
      expect(c.fused).toBeGreaterThan(0);
      console.log(
        `[wasm exact] ${name}: ${c.steps} golden steps, ${c.values} node values (${c.fused} per step inside fused loops), 0 differ (2 threads)`,
      );
    });
  }
});

describe('relaxed-SIMD build: wasm = interpreter', () => {
  it('30 random IR programs with --simd relaxed (Node 20 with --experimental-wasm-relaxed-simd)', () => {
    const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', join(ROOT, 'dist/fixtures/relaxed-check.js'), '30'], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.programs).toBe(30);
    expect(j.mismatches).toEqual([]);
    console.log(`[wasm exact] relaxed SIMD: 30 random IR programs, ${j.values} node values, 0 differ`);
  });
});
