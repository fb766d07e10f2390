/**
 * @fileoverview Cycles per inference of the UP5K core, split by op kind, with and without operand
 * prefetch (issue 21) — measured in Verilator on one input of each shipped UP5K model, every run
 * checked bit for bit against the interpreter.
 *
 *   npm run -s build && node dist/bench/fpga-cycles.js [--out bench/results/fpga-cycles.json]
 *
 * "without" is today's core built with Overlap = 0 (one element at a time); the core before
 * issue 21 differs from it only by the one cycle per max/min element that SMx adds.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFile } from '../compiler/node.js';
import { Interpreter } from '../compiler/interp/interp.js';
import { numel } from '../compiler/ir/types.js';
import { buildProgram } from '../hdl-gen/src/program.js';
import { compileForDevice } from '../hdl-gen/src/build.js';
import { deviceByName } from '../hdl-gen/src/device.js';
import { HdlSim } from '../hdl-gen/src/sim.js';

const MODELS = ['columns-mnist-up5k', 'mlp-mnist-up5k', 'mmfree-up5k-char'];
const ROOT = join(import.meta.dirname, '..', '..');
const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : undefined;

const rows: Record<string, unknown>[] = [];
for (const name of MODELS) {
  const c = compileForDevice((lower) => compileFile(join(ROOT, 'models/zoo', name, 'model.onnx'), undefined, lower, 'fpga'), deviceByName('up5k'));
  const p = buildProgram(c.ir);
  // One input: a ramp of values in [0, 1) for every input (the LM's token id becomes 0); the cycle count does not depend on values.
  const feeds = Object.fromEntries(c.ir.inputs.map((i) => [i.name, Float64Array.from({ length: numel(i.type.shape) }, (_, k) => (k % 17) / 17)]));
  const want = new Interpreter(c.ir).run(feeds, { record: true });
  const row: Record<string, unknown> = {
    model: name,
    ternaryWeights: c.stats.ternaryWeights,
    matrixBoundCycles: Math.ceil(c.stats.ternaryWeights / 8),
  };
  for (const overlap of [false, true]) {
    const dir = mkdtempSync(join(tmpdir(), 'trit-cycles-'));
    const sim = await HdlSim.start(p, dir, 'verilator', undefined, { profile: true, overlap });
    try {
      const got = await sim.run(feeds);
      for (const o of p.outputs)
        if (!want.values!.get(o.value)!.every((v, i) => v === got.raw[o.name][i]))
          throw new Error(`${name}: simulation differs from the interpreter`);
      row[overlap ? 'with' : 'without'] = { cycles: got.cycles, byOp: got.cyclesByOp };
      process.stderr.write(`${name} ${overlap ? 'with' : 'without'} prefetch: ${got.cycles.toLocaleString('en-US')} cycles\n`);
    } finally {
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  rows.push(row);
}
const report = {
  what: 'cycles per inference (token for the LM), measured in Verilator, bit-exact with the interpreter',
  date: new Date().toISOString(),
  models: rows,
};
if (out) writeFileSync(out, JSON.stringify(report, null, 1) + '\n');
process.stdout.write(JSON.stringify(report, null, 1) + '\n');
