/**
 * `trit bench --quick` end to end, as CI runs it: exit 0, a well-formed result file, report and
 * plots. Nothing about speed is asserted; the figures only have to be present and sane.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BenchResult } from '../../bench/lib/types.js';
import { measureActivity } from '../../bench/suite/fpga.js';

const CLI = join(import.meta.dirname, '../../dist/cli/main.js');

describe('trit bench --quick', () => {
  it(
    'writes a result file, report.md and SVG plots with every target',
    () => {
      const out = mkdtempSync(join(tmpdir(), 'trit-bench-'));
      // --fpga skip: CI has no UP5K build to read (the flow test builds its own); the FPGA
      // activity path is tested below on a tiny model.
      const r = spawnSync(process.execPath, [CLI, 'bench', '--quick', '-o', out, '--fpga', 'skip', '--json'], {
        encoding: 'utf8',
        timeout: 20 * 60_000,
      });
      expect(r.status, r.stderr).toBe(0);
      const { json, report } = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      expect(json.startsWith(out)).toBe(true);
      const res = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;
      expect(res.schema).toBe(1);
      expect(res.mode).toBe('quick');
      expect(res.machine.cores).toBeGreaterThan(0);
      expect(res.kernels).toHaveLength(2);
      for (const k of res.kernels) expect(k.gWeightsPerSec.median).toBeGreaterThan(0);
      expect(res.models.map((m) => m.model)).toEqual(['mmfree-up5k-char', 'mmfree-shakespeare-char', 'columns-mnist-up5k']);
      for (const m of res.models) {
        const targets = m.rows.map((t) => `${t.target} ×${t.threads}`);
        expect(targets).toContain('trit wasm ×1');
        expect(targets).toContain('PyTorch int8 baseline ×1');
        for (const t of m.rows) {
          expect(t.error, `${m.model} ${t.target}`).toBeUndefined();
          expect(t.rate!.median).toBeGreaterThan(0);
          expect(t.energy!.how).toMatch(/^(measured|modelled)$/);
          expect(t.energy!.joulesPerItem!.median).toBeGreaterThan(0);
        }
        // The op-count model always ranks ternary < int8 < fp32 for the same shape.
        const j = Object.fromEntries(m.opModel.map((o) => [o.variant, o.joules]));
        expect(j.ternary).toBeLessThan(j.int8);
        expect(j.int8).toBeLessThan(j.fp32);
        if (m.kind === 'classifier') for (const t of m.rows) expect(t.accuracy).toBeGreaterThan(0.9);
      }
      const md = readFileSync(report, 'utf8');
      expect(md).toContain('## Watts per token');
      expect(md).toContain('quick mode');
      for (const m of md.matchAll(/\]\(([^)]+\.svg)\)/g)) {
        const svg = readFileSync(join(report, '..', m[1]), 'utf8');
        expect(svg.startsWith('<svg')).toBe(true);
        expect(svg).not.toMatch(/NaN|undefined/);
      }
    },
    25 * 60_000,
  );

  it(
    'counts the switching activity of a whole inference from a Verilator VCD',
    async () => {
      const dir = join(import.meta.dirname, '../../models/zoo/random-columns-tiny');
      expect(existsSync(join(dir, 'model.onnx'))).toBe(true);
      const { compileFile } = await import('../../compiler/node.js');
      const input = compileFile(join(dir, 'model.onnx'), join(dir, 'golden.safetensors')).ir.inputs[0];
      const n = input.type.shape.reduce((a, b) => a * b, 1);
      const a = await measureActivity(
        join(dir, 'model.onnx'),
        join(dir, 'golden.safetensors'),
        { [input.name]: Float32Array.from({ length: n }, (_, i) => (i % 7) / 7) },
        () => {},
      );
      expect(a.cycles).toBe(a.designCycles);
      expect(a.cycles).toBeGreaterThan(100);
      expect(a.toggles).toBeGreaterThan(0);
      expect(a.toggleRate).toBeGreaterThan(0);
      expect(a.toggleRate).toBeLessThan(1);
      expect(a.strobes.products).toBeGreaterThan(0);
      expect(a.signals.counted).toBeGreaterThan(50);
    },
    10 * 60_000,
  );
});
