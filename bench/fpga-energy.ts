/**
 * @fileoverview Energy per image or token of the UP5K builds, by the benchmark's FPGA method
 * (docs/benchmarks.md: the toggle rate of one whole inference counted from a Verilator VCD, priced
 * by the UP5K power model in bench/lib/energy.ts) — for the per-model cores of issue 21, beside
 * the figures of the full core in bench/results/2026-11-23-vm.json. Modelled, not measured on a
 * board: the label travels with every figure.
 *
 *   npm run -s build && node dist/bench/fpga-energy.js [--builds DIR] [--rebuild] [--out FILE]
 *
 * `--builds` holds one build folder per model (default build/); a model without a report.json
 * there, or every model with --rebuild, is built first (Yosys + nextpnr: several minutes each).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readMnistTest } from '../compiler/formats/idx.js';
import { fpgaModel } from './lib/energy.js';
import { activityOf, buildUp5k, measureActivity, readFpgaReport } from './suite/fpga.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist/cli/main.js');
const MODELS = [
  { name: 'mlp-mnist-up5k', item: 'image' },
  { name: 'columns-mnist-up5k', item: 'image' },
  { name: 'mmfree-up5k-char', item: 'token' },
] as const;
const BEFORE = join(ROOT, 'bench/results/2026-11-23-vm.json'); // the full core, before issue 21

const arg = (flag: string): string | undefined => (process.argv.includes(flag) ? process.argv[process.argv.indexOf(flag) + 1] : undefined);
const builds = resolve(arg('--builds') ?? join(ROOT, 'build'));
const out = arg('--out');
const log = (s: string) => process.stderr.write(`${s}\n`);

const mnist = join(process.env.TRIT_SHARED_DATA ?? resolve(ROOT, '../shared/data'), 'mnist');
const image = (): Float32Array => Float32Array.from(readMnistTest(mnist, 1).images[0], (v) => v / 255);

type Before = { model: string; report: { logicCells: number; fmaxMHz: number } | null; activity: { toggleRate: number; cycles: number } | null };
const before: Before[] = existsSync(BEFORE) ? ((JSON.parse(readFileSync(BEFORE, 'utf8')) as { fpga?: Before[] }).fpga ?? []) : [];
const before1 = (name: string) => before.find((b) => b.model === name);

const rows: Record<string, unknown>[] = [];
for (const m of MODELS) {
  const onnx = join(ROOT, 'models/zoo', m.name, 'model.onnx');
  const calibration = join(ROOT, 'models/zoo', m.name, 'calibration.safetensors');
  const dir = join(builds, m.name);
  if (process.argv.includes('--rebuild') || !readFpgaReport(dir)) await buildUp5k(CLI, onnx, calibration, dir, log);
  const report = readFpgaReport(dir)!;
  log(`${m.name}: switching activity of one ${m.item} (Verilator, full VCD)…`);
  const a = await measureActivity(onnx, calibration, m.item === 'token' ? { input_ids: [1] } : { image: image() }, log);
  const act = activityOf(report, a);
  const atFmax = fpgaModel(act, report.fmaxMHz * 1e6),
    atBoard = fpgaModel(act, report.boardClockMHz * 1e6);
  const b = before1(m.name);
  rows.push({
    model: m.name,
    item: m.item,
    method: 'modelled: toggle rate of one inference from a Verilator VCD × the UP5K power model (bench/lib/energy.ts), not measured on a board',
    logicCells: report.logicCells,
    fmaxMHz: report.fmaxMHz,
    cycles: a.designCycles,
    toggleRate: a.toggleRate,
    products: a.strobes.products,
    joulesAtFmax: atFmax.joulesPerInference,
    wattsAtFmax: atFmax.watts,
    joulesAtBoardClock: atBoard.joulesPerInference,
    before:
      b?.report && b.activity
        ? { logicCells: b.report.logicCells, fmaxMHz: b.report.fmaxMHz, cycles: b.activity.cycles, toggleRate: b.activity.toggleRate }
        : null,
  });
  log(
    `  ${report.logicCells} LCs, ${report.fmaxMHz} MHz, ${a.designCycles.toLocaleString('en-US')} cycles, toggle rate ${(a.toggleRate * 100).toFixed(3)}%: ` +
      `${(atFmax.joulesPerInference * 1e6).toFixed(1)} µJ per ${m.item} at Fmax (${(atFmax.watts * 1e3).toFixed(1)} mW), ` +
      `${(atBoard.joulesPerInference * 1e6).toFixed(1)} µJ at ${report.boardClockMHz} MHz`,
  );
}
const result = { date: new Date().toISOString(), rows };
if (out) writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
else process.stdout.write(JSON.stringify(result, null, 2) + '\n');
