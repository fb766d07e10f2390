/**
 * Every trained zoo model passes `trit verify` on its own golden vectors (PyTorch's outputs).
 * A lowering change that loses precision or clamps real data fails here.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const verify = (name: string, ...extra: string[]) => {
  const dir = join(ROOT, 'models/zoo', name);
  const r = spawnSync(process.execPath, [join(ROOT, 'dist/compiler/cli/main.js'), 'verify', join(dir, 'model.onnx'), '--golden', join(dir, 'golden.safetensors'), '--json', ...extra], { encoding: 'utf8' });
  return { status: r.status, report: r.stdout ? JSON.parse(r.stdout) : null, stderr: r.stderr };
};

describe('zoo models verify against their golden vectors', () => {
  for (const name of ['columns-mnist', 'columns-mnist-up5k']) {
    it(name, () => {
      const r = verify(name);
      expect(r.status, r.stderr).toBe(0);
      expect(r.report.argmaxAgreement).toBe(1);
      expect(r.report.saturations).toBeLessThanOrEqual(2);
    });
  }
  it('mmfree-up5k-char (golden inputs as calibration set)', () => {
    const r = verify('mmfree-up5k-char', '--calibration', join(ROOT, 'models/zoo/mmfree-up5k-char/golden.safetensors'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.report.pass).toBe(true);
  });
  it('mmfree-shakespeare-char (golden inputs as calibration set)', () => {
    const r = verify('mmfree-shakespeare-char', '--calibration', join(ROOT, 'models/zoo/mmfree-shakespeare-char/golden.safetensors'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.report.pass).toBe(true);
  });
});
