/**
 * @fileoverview How many of trit's int8 activation codes differ from PyTorch's (issue 17).
 *
 *   models/py models/act_codes.py MODEL --golden G --out codes.safetensors --steps 200
 *   node dist/bench/act-codes.js MODEL codes.safetensors G [--steps N] [--float64] [--lower JSON]
 *
 * MODEL is what `trit compile` takes (an .onnx or a checkpoint directory), compiled with the CLI's
 * defaults. The interpreter runs the golden file's inputs; each ternary matmul's int8 input is
 * matched to one of PyTorch's BitLinears by width and by the codes of the first step (PyTorch
 * calls f_proj before i_proj; the export writes i_proj first). A differing code counts as a
 * near-tie when PyTorch's own value before rounding lies within 10⁻⁴ of k + ½ — its float32
 * rounding (three operations on values up to 127) reaches a few 10⁻⁵, so such a code is float
 * noise of the reference, not a trit error. Each side carries its own recurrent state, so one
 * differing code moves the later layers' inputs a little and codes further on differ too;
 * --float64 measures the same for the ONNX graph evaluated exactly (float64, no fixed point): how
 * far PyTorch's float32 is from exact arithmetic, the floor any evaluator meets.
 */
import { readFileSync } from 'node:fs';
import { compileFile } from '../compiler/node.js';
import { readGolden } from '../compiler/verify.js';
import { readSafetensors } from '../compiler/formats/safetensors.js';
import { Interpreter } from '../compiler/interp/interp.js';
import { numel } from '../compiler/ir/types.js';
import { evalGraph } from '../compiler/float/eval.js';

const [model, codesPath, goldenPath, ...rest] = process.argv.slice(2);
if (!model || !codesPath || !goldenPath) {
  process.stderr.write('usage: node dist/bench/act-codes.js MODEL codes.safetensors golden.safetensors [--steps N]\n');
  process.exit(2);
}
const stepsFlag = rest.indexOf('--steps');
const { tensors } = readSafetensors(new Uint8Array(readFileSync(codesPath)), codesPath);
const K = [...tensors.keys()].filter((k) => k.startsWith('q.')).length;
const S = Math.min(tensors.get('q.0')!.shape[0], stepsFlag >= 0 ? Number(rest[stepsFlag + 1]) : Infinity);
const golden = readGolden(new Uint8Array(readFileSync(goldenPath)), goldenPath);
const float64 = rest.includes('--float64'); // the same ONNX evaluated exactly: the reference's own floor
const lowerFlag = rest.indexOf('--lower'); // e.g. --lower '{"exactQuant":false,"lutDensity":64}': the lowering before issue 17
const c = compileFile(model, undefined, lowerFlag >= 0 ? JSON.parse(rest[lowerFlag + 1]) : undefined);
const matmuls = float64 ? c.float.nodes.filter((n) => n.op === 'ternary_matmul') : c.ir.nodes.filter((n) => n.op === 'ternary_matmul');
const codesOf = matmuls.map((n) => n.inputs[0]);
const it = new Interpreter(c.ir);
const got: Float64Array[][] = codesOf.map(() => []);
let state: Record<string, Float64Array> = {};
const t0 = Date.now();
for (let s = 0; s < S; s++) {
  const feed: Record<string, Float64Array> = {};
  for (const [name, t] of golden.inputs) {
    const n = numel(t.shape.slice(1));
    feed[name] = t.data.slice(s * n, (s + 1) * n);
  }
  if (float64) {
    if (golden.reset[s] || s === 0)
      state = Object.fromEntries(
        c.float.states.map((x) => [x.input, new Float64Array(numel(c.float.inputs.find((i) => i.name === x.input)!.shape))]),
      );
    const env = evalGraph(c.float, { ...feed, ...state });
    for (const x of c.float.states) state[x.input] = Float64Array.from(env.get(c.float.outputs.find((o) => o.name === x.output)!.value)!);
    codesOf.forEach((v, i) => got[i].push(Float64Array.from(env.get(v)!)));
  } else {
    if (golden.reset[s]) it.reset();
    const r = it.run(feed, { record: true });
    codesOf.forEach((v, i) => got[i].push(Float64Array.from(r.values!.get(v)!)));
  }
  if (Date.now() - t0 > 5000 && s % 10 === 0) process.stderr.write(`\rstep ${s + 1}/${S}`);
}
process.stderr.write('\n');

// Match PyTorch's BitLinear k to an IR matmul input: same width, fewest differing codes at step 0.
const used = new Set<number>();
let total = 0,
  differ = 0,
  nearTie = 0,
  worst = 0;
const rows: string[] = [];
for (let k = 0; k < K; k++) {
  const q = tensors.get(`q.${k}`)!,
    pre = tensors.get(`pre.${k}`)!;
  const W = q.shape[1];
  let best = -1,
    bestD = Infinity;
  codesOf.forEach((_, i) => {
    if (used.has(i) || got[i][0].length !== W) return;
    let d = 0;
    for (let j = 0; j < W; j++) if (got[i][0][j] !== q.data[j]) d++;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  if (best < 0) {
    rows.push(`  BitLinear ${k}: no IR matmul input of width ${W}`);
    continue;
  }
  used.add(best);
  let dk = 0,
    tk = 0;
  for (let s = 0; s < S; s++)
    for (let j = 0; j < W; j++) {
      total++;
      const a = got[best][s][j],
        b = q.data[s * W + j];
      if (a === b) continue;
      differ++;
      dk++;
      worst = Math.max(worst, Math.abs(a - b));
      const p = Math.abs(pre.data[s * W + j]);
      if (Math.abs(p - Math.floor(p) - 0.5) < 1e-4) {
        nearTie++;
        tk++;
      }
    }
  if (dk) rows.push(`  ${matmuls[best].out}: ${dk} of ${S * W} differ (${tk} at a float32 near-tie)`);
}
const pct = (x: number) => `${((100 * x) / Math.max(total, 1)).toFixed(4)}%`;
process.stdout.write(
  `${model}${float64 ? ' (float64 evaluation of the same graph)' : lowerFlag >= 0 ? ` (trit, lowering ${rest[lowerFlag + 1]})` : ' (trit, default compile)'}: ${S} steps, ${K} BitLinears, ${total.toLocaleString('en-US')} int8 codes\n`,
);
process.stdout.write(
  `  differ from PyTorch: ${differ} (${pct(differ)}); at a float32 near-tie of PyTorch's: ${nearTie} (${pct(nearTie)}); ` +
    `elsewhere: ${differ - nearTie} (${pct(differ - nearTie)}); largest difference ${worst}\n`,
);
for (const r of rows) process.stdout.write(r + '\n');
