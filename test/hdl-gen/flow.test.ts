/**
 * The whole open flow from the CLI, on a clean checkout: the UP5K bitstream of the shipped
 * classifier (Yosys → nextpnr-ice40 → icepack through @yowasp), its report within the device and
 * at ≥ 24 MHz; a 7-series estimate labelled as one; and a model that does not fit, refused with
 * its needs, nothing written.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
const trit = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/cli/main.js'), ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
const model = (name: string) => join(ROOT, 'models/zoo', name, 'model.onnx');

describe('trit compile --target verilog', () => {
  it(
    'columns-mnist-up5k → a real UP5K bitstream that fits, ≥ 24 MHz after routing',
    () => {
      const out = mkdtempSync(join(tmpdir(), 'trit-up5k-'));
      try {
        // No flags: the calibration set beside the model (MNIST training images), as the README's main job.
        const r = trit('compile', model('columns-mnist-up5k'), '--target', 'verilog', '--device', 'up5k', '-o', out);
        expect(r.status, r.stderr + r.stdout).toBe(0);
        expect(r.stderr).toMatch(/synthesising/);
        const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
        for (const k of ['logicCells', 'ebr', 'spram', 'dsp', 'fmaxMHz', 'cyclesPerInference', 'device']) expect(rep).toHaveProperty(k);
        expect(rep.device).toBe('ice40-up5k');
        expect(rep.logicCells).toBeLessThanOrEqual(5280);
        expect(rep.ebr).toBeLessThanOrEqual(30);
        expect(rep.spram).toBeLessThanOrEqual(4);
        expect(rep.fmaxMHz).toBeGreaterThanOrEqual(24);
        expect(rep.cyclesSource).toMatch(/measured in simulation/);
        const bin = join(out, 'columns-mnist-up5k.bin');
        expect(statSync(bin).size).toBe(104090); // every UP5K bitstream is this size
        const files = readdirSync(out);
        for (const f of ['rtl', 'dmem.bin', 'columns-mnist-up5k.hdl.json', 'yosys.log', 'nextpnr.log']) expect(files).toContain(f);
        expect(files.some((f) => f.startsWith('.trit-build-'))).toBe(false);
        expect(readFileSync(join(out, 'rtl', 'trit_board.pcf'), 'utf8')).toMatch(/set_io -nowarn rx_i 6/);
        console.log(
          `columns-mnist-up5k on UP5K: ${rep.logicCells} LCs, ${rep.ebr} EBR, ${rep.spram} SPRAM, ${rep.dsp} DSP, ${rep.fmaxMHz} MHz, ` +
            `${rep.cyclesPerInference} cycles → ${rep.inferencesPerSecondAtFmax} images/s at Fmax`,
        );
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    30 * 60_000,
  ); // place and route at 98% of the UP5K takes ~7–9 min on 2 cores

  it(
    'a foreign MLP (torch.onnx.export, models/train_mlp.py) builds on a core made for it: ≤ 90% of the logic cells, ≥ 26 MHz',
    () => {
      const out = mkdtempSync(join(tmpdir(), 'trit-up5k-mlp-'));
      try {
        const r = trit('compile', model('mlp-mnist-up5k'), '--target', 'verilog', '--device', 'up5k', '-o', out);
        expect(r.status, r.stderr + r.stdout).toBe(0);
        // The log says which units the core has and what the model predicts, before the tools run.
        expect(r.stderr).toMatch(
          /core: add max shift sat mul rabsmax copy matmul divround; operand prefetch on; ~[\d,]+ of 5,280 logic cells predicted/,
        );
        expect(r.stdout).toMatch(/cycles by op +\w+ \d+%/);
        const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
        expect(rep.logicCells).toBeLessThanOrEqual(0.9 * 5280);
        expect(rep.fmaxMHz).toBeGreaterThanOrEqual(26);
        expect(Math.abs(rep.logicCells - rep.plan.logic) / rep.logicCells).toBeLessThan(0.05); // the fit model, within 5%
        expect(Object.values(rep.cyclesByOp as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(rep.cyclesPerInference);
        console.log(
          `mlp-mnist-up5k on UP5K: ${rep.logicCells} LCs (model ${rep.plan.logic}), ${rep.fmaxMHz} MHz, ${rep.cyclesPerInference} cycles → ${rep.inferencesPerSecondAtFmax} images/s at Fmax`,
        );
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    30 * 60_000,
  );

  it(
    '--device xc7a35t gives a synth_xilinx estimate, labelled as one',
    () => {
      const out = mkdtempSync(join(tmpdir(), 'trit-xc7-'));
      try {
        const r = trit('compile', model('random-columns-tiny'), '--target', 'verilog', '--device', 'xc7a35t', '-o', out, '--json');
        expect(r.status, r.stderr).toBe(0);
        const rep = JSON.parse(r.stdout);
        expect(rep.estimate).toBe(true);
        expect(rep.note).toMatch(/estimate/);
        expect(rep.luts).toBeGreaterThan(500);
        expect(rep.dsp48).toBeGreaterThan(0);
        expect(existsSync(join(out, 'report.json'))).toBe(true);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
    10 * 60_000,
  );

  it('a model too large for the UP5K is refused with what it needs and a part that fits; nothing written', () => {
    const out = mkdtempSync(join(tmpdir(), 'trit-big-'));
    try {
      const r = trit('compile', model('columns-mnist'), '--target', 'verilog', '--device', 'up5k', '-o', out);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/does not fit the up5k/);
      expect(r.stderr).toMatch(/SPRAM/);
      expect(r.stderr).toMatch(/--device xc7a/);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(readdirSync(out)).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('bad flags get one-line errors', () => {
    expect(trit('compile', model('random-columns-tiny'), '--target', 'verilog').stderr).toMatch(/needs --device/);
    expect(trit('compile', model('random-columns-tiny'), '--target', 'verilog', '--device', 'ice99').stderr).toMatch(
      /unknown --device 'ice99'.*\n.*up5k/,
    );
    expect(trit('compile', model('random-columns-tiny'), '--target', 'vhdl').stderr).toMatch(/--target must be wasm or verilog, not 'vhdl'/);
  });
});
