/**
 * Every zoo model with golden vectors passes `trit verify` with no flag but --golden, as its ONNX
 * file (the interpreter) and as the `.wasm` that `trit compile` writes without flags: the
 * calibration set beside the model (drawn from its training data) is picked up, said on stderr and
 * recorded in the module's metadata. A lowering change that loses precision or clamps real data
 * fails here.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMeta } from '../../runtime-wasm/host/session.js';

const ROOT = join(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/cli/main.js');
const tmp = mkdtempSync(join(tmpdir(), 'trit-zoo-'));
const trit = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
const verify = (model: string, golden: string) => {
  const r = trit('verify', model, '--golden', golden, '--json');
  return { status: r.status, report: r.stdout ? JSON.parse(r.stdout) : null, stderr: r.stderr };
};

const MODELS = ['columns-mnist', 'columns-mnist-up5k', 'mlp-mnist-up5k', 'mmfree-up5k-char', 'mmfree-shakespeare-char', 'random-mmfree-tiny', 'random-columns-tiny'];

describe('zoo models verify against their golden vectors with default settings', () => {
  for (const name of MODELS) {
    it(name, () => {
      const dir = join(ROOT, 'models/zoo', name);
      const golden = join(dir, 'golden.safetensors');
      const trained = existsSync(join(dir, 'calibration.safetensors'));
      const a = verify(join(dir, 'model.onnx'), golden);
      expect(a.status, a.stderr).toBe(0);
      expect(a.report.pass).toBe(true);
      expect(a.report.saturations).toBeLessThanOrEqual(2);
      if (trained) expect(a.stderr).toMatch(/calibration: \d+ steps from .*calibration\.safetensors \(beside the model\)/);
      const wasm = join(tmp, `${name}.wasm`);
      const c = trit('compile', join(dir, 'model.onnx'), '--target', 'wasm', '-o', wasm);
      expect(c.status, c.stderr).toBe(0);
      expect(readMeta(new Uint8Array(readFileSync(wasm))).irMeta?.calibration).toBe(trained ? 'calibration.safetensors' : 'random');
      const b = verify(wasm, golden);
      expect(b.status, b.stderr).toBe(0);
      // the module equals the interpreter bit for bit: the same report
      expect(b.report.outputs.map((o: { argmaxAgreement?: number }) => o.argmaxAgreement)).toEqual(a.report.outputs.map((o: { argmaxAgreement?: number }) => o.argmaxAgreement));
      console.log(`${name}: decisive agreement ${(a.report.decisiveAgreement * 100).toFixed(2)}%, all steps ${(a.report.argmaxAgreement * 100).toFixed(2)}%`);
    }, 120_000);
  }

  it('a model compiled from random calibration says so, and a FAIL says what to try', () => {
    const dir = join(ROOT, 'models/zoo/random-mmfree-tiny');
    const r = trit('verify', join(dir, 'model.onnx'), '--golden', join(dir, 'golden.safetensors'), '--min-agreement', '1.01');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/calibration: \d+ steps of random inputs \(no calibration\.safetensors beside the model\); \d+ value formats are sized from it/);
    expect(r.stdout).toMatch(/FAIL: .*\n.*\n  hint: its value formats were sized from random inputs: put a calibration\.safetensors/);
  });
});
