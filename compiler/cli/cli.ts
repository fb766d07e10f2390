/**
 * @fileoverview The `trit` command line: inspect | compile | run | verify | bench.
 *
 * Bad input ends in one clear line (`trit: error: …`) and exit code 1; anything else escaping is a
 * bug in trit and is reported as such with exit code 70.
 */
import { readFileSync, existsSync, statSync, writeFileSync, renameSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { TritError } from '../errors.js';
import { compileOnnx, type Compiled } from '../compile.js';
import { printGraph } from '../ir/text.js';
import { readGolden, verifyGolden, DEFAULT_TOLERANCES, type VerifyReport } from '../verify.js';
import type { CalibSequence } from '../lower/calibrate.js';
import { numel, typeToString } from '../ir/types.js';
import { VERSION } from '../version.js';

const USAGE = `trit ${VERSION} — compile ternary neural networks into addition-only programs

usage:
  trit inspect <model.onnx> [--json] [--ir <out.tir>] [--calibration <golden.safetensors>]
      Import and lower the model; print its IR summary and per-inference operation counts.
  trit verify <model.onnx> --golden <golden.safetensors> [--json]
              [--min-agreement 0.995] [--max-rel-error 0.05] [--calibration <golden.safetensors>]
      Run the IR interpreter on golden vectors; print per-output and per-layer errors and
      argmax agreement; exit 1 when outside the tolerances.
  trit compile | run | bench
      Not in this version: the wasm back-end (compile/run) and benchmarks arrive with later releases.

options:
  --json          machine-readable output on stdout
  --calibration   golden file whose inputs calibrate fixed-point ranges (default: seeded random inputs)
  -h, --help      this text
  -v, --version   the version
`;

function readInput(path: string, what: string): Uint8Array {
  if (!existsSync(path)) throw new TritError(`no such file`, { file: path }, `check the path of the ${what}`);
  if (statSync(path).isDirectory()) throw new TritError(`is a directory, expected a ${what} file`, { file: path });
  return new Uint8Array(readFileSync(path));
}

/** Golden inputs as calibration sequences (split where `reset` is 1). */
function calibrationFrom(path: string): CalibSequence[] {
  const g = readGolden(readInput(path, 'golden .safetensors'), path);
  const seqs: CalibSequence[] = [];
  for (let s = 0; s < g.steps; s++) {
    if (g.reset[s] || seqs.length === 0) seqs.push([]);
    const step: Record<string, Float64Array> = {};
    for (const [name, t] of g.inputs) {
      const n = numel(t.shape.slice(1));
      step[name] = t.data.slice(s * n, (s + 1) * n);
    }
    seqs.at(-1)!.push(step);
  }
  return seqs;
}

/** Progress on stderr: a live counter on a terminal; elsewhere one line per stage that took > 2 s. */
function progress() {
  const tty = process.stderr.isTTY;
  let last = 0;
  const started = new Map<string, number>();
  return (stage: string, done: number, total: number) => {
    const now = Date.now();
    if (!started.has(stage)) started.set(stage, now);
    const took = now - started.get(stage)!;
    if (tty && took > 500 && (done === total || now - last > 200)) {
      last = now;
      process.stderr.write(`\r${stage}: ${done}/${total}${done === total ? '\n' : ''}`);
    } else if (!tty && done === total && took > 2000) {
      process.stderr.write(`${stage}: ${total} done in ${(took / 1000).toFixed(1)} s\n`);
    }
  };
}

function compileFile(path: string, calibration?: string): Compiled {
  const bytes = readInput(path, 'model .onnx');
  return compileOnnx(bytes, { file: path, calibration: calibration ? calibrationFrom(calibration) : undefined, onProgress: progress() });
}

const fmt = (n: number) => n.toLocaleString('en-US');

function inspect(path: string, opts: { json: boolean; ir?: string; calibration?: string }): number {
  const c = compileFile(path, opts.calibration);
  if (opts.ir) {
    const tmp = `${opts.ir}.tmp-${process.pid}`;
    try { writeFileSync(tmp, printGraph(c.ir)); renameSync(tmp, opts.ir); } finally { if (existsSync(tmp)) rmSync(tmp); }
  }
  const s = c.stats;
  if (opts.json) {
    const { opCounts, ...stats } = s;
    process.stdout.write(JSON.stringify({
      model: path, name: c.ir.name, meta: c.ir.meta,
      inputs: c.ir.inputs.map((i) => ({ name: i.name, type: typeToString(i.type) })),
      outputs: c.ir.outputs.map((o) => o.name),
      states: c.ir.states.map((x) => ({ name: x.name, type: typeToString(x.type) })),
      stats, ops: opCounts,
    }, null, 2) + '\n');
    return 0;
  }
  const L: string[] = [];
  L.push(`${path}: ${c.ir.name}  (sha256 ${c.ir.meta.source_sha256.slice(0, 16)}…, opset ${c.ir.meta.opset})`);
  L.push(`  inputs   ${c.ir.inputs.map((i) => `${i.name} ${typeToString(i.type)}`).join(', ')}`);
  L.push(`  outputs  ${c.ir.outputs.map((o) => o.name).join(', ')}`);
  if (c.ir.states.length) L.push(`  state    ${c.ir.states.map((x) => `${x.name} ${typeToString(x.type)}`).join(', ')}`);
  L.push(`  IR       ${s.nodes} nodes: ${Object.entries(s.opCounts).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  L.push('');
  L.push('per inference (one decode step for recurrent models):');
  const rows: [string, string][] = [
    ['adds', fmt(s.adds)], ['subs', fmt(s.subs)], ['weight multiplies', fmt(s.weightMultiplies)],
    ['constant multiplies (shift-and-add)', fmt(s.constMultiplies)], ['elementwise multiplies', fmt(s.elementwiseMultiplies)],
    ['table lookups', fmt(s.lookups)],
    ['ternary weights', `${fmt(s.ternaryWeights)} (${(s.weightSparsity * 100).toFixed(1)}% zero)`],
    ['weight bytes (2 bits/weight)', fmt(s.weightBytes)], ['other constant bytes', fmt(s.constBytes)], ['state bytes', fmt(s.stateBytes)],
  ];
  for (const [k, v] of rows) L.push(`  ${k.padEnd(38)}${v.padStart(16)}`);
  process.stdout.write(L.join('\n') + '\n');
  return 0;
}

function verify(path: string, opts: { json: boolean; golden?: string; minAgreement?: string; maxRelError?: string; calibration?: string }): number {
  if (!opts.golden) throw new TritError('verify needs --golden <golden.safetensors>', {}, 'see docs/golden-format.md');
  const num = (v: string | undefined, d: number, name: string) => {
    if (v === undefined) return d;
    const x = Number(v);
    if (!Number.isFinite(x) || x < 0) throw new TritError(`--${name} must be a non-negative number, got '${v}'`);
    return x;
  };
  const tol = {
    minAgreement: num(opts.minAgreement, DEFAULT_TOLERANCES.minAgreement, 'min-agreement'),
    maxRelError: num(opts.maxRelError, DEFAULT_TOLERANCES.maxRelError, 'max-rel-error'),
  };
  const golden = readGolden(readInput(opts.golden, 'golden .safetensors'), opts.golden);
  const c = compileFile(path, opts.calibration);
  const r = verifyGolden(c, golden, tol);
  if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else process.stdout.write(renderReport(path, r));
  return r.pass ? 0 : 1;
}

function renderReport(path: string, r: VerifyReport): string {
  const e = (x: number) => x.toExponential(2);
  const L = [`${path}: ${r.steps} golden steps, interpreter vs float reference`];
  L.push(`  ${'output'.padEnd(24)}${'max abs err'.padStart(12)}${'rel err'.padStart(10)}${'argmax'.padStart(9)}  verdict`);
  for (const o of r.outputs) {
    L.push(`  ${o.name.padEnd(24)}${e(o.maxAbsError).padStart(12)}${e(o.relError).padStart(10)}${(o.argmaxAgreement === undefined ? '-' : (o.argmaxAgreement * 100).toFixed(1) + '%').padStart(9)}  ${o.pass ? 'ok' : 'FAIL'}`);
  }
  if (r.layers.length) {
    L.push(`  ${'layer'.padEnd(24)}${'max abs err'.padStart(12)}${'rel err'.padStart(10)}`);
    for (const o of r.layers) L.push(`  ${o.name.padEnd(24)}${e(o.maxAbsError).padStart(12)}${e(o.relError).padStart(10)}`);
  }
  if (r.layersMissing.length) L.push(`  layers folded away or not in the IR: ${r.layersMissing.join(', ')}`);
  if (r.saturations) L.push(`  saturated elements (explicit clamps): ${r.saturations}`);
  L.push(`${r.pass ? 'PASS' : 'FAIL'}: argmax agreement ${(r.argmaxAgreement * 100).toFixed(2)}% (min ${(r.tolerances.minAgreement * 100).toFixed(1)}%), relative error limit ${r.tolerances.maxRelError}`);
  return L.join('\n') + '\n';
}

/** Runs the CLI; returns the exit code. */
export function main(argv: string[]): number {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' },
        ir: { type: 'string' }, golden: { type: 'string' }, calibration: { type: 'string' },
        'min-agreement': { type: 'string' }, 'max-rel-error': { type: 'string' },
      },
    });
  } catch (e) {
    process.stderr.write(`trit: error: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals: pos } = parsed;
  if (v.version) { process.stdout.write(`${VERSION}\n`); return 0; }
  if (v.help || pos.length === 0) { process.stdout.write(USAGE); return pos.length === 0 && !v.help ? 2 : 0; }
  const [verb, model, ...extra] = pos;
  try {
    if (extra.length) throw new TritError(`unexpected arguments: ${extra.join(' ')}`);
    switch (verb) {
      case 'inspect':
        if (!model) throw new TritError('inspect needs a model: trit inspect <model.onnx>');
        return inspect(model, { json: v.json!, ir: v.ir, calibration: v.calibration });
      case 'verify':
        if (!model) throw new TritError('verify needs a model: trit verify <model.onnx> --golden <file>');
        return verify(model, { json: v.json!, golden: v.golden, minAgreement: v['min-agreement'], maxRelError: v['max-rel-error'], calibration: v.calibration });
      case 'compile': case 'run': case 'bench':
        process.stderr.write(`trit: '${verb}' is not available in trit ${VERSION}: the wasm back-end and the benchmarks are not built yet. Use 'trit inspect' or 'trit verify'.\n`);
        return 2;
      default:
        process.stderr.write(`trit: unknown command '${verb}'\n\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    if (e instanceof TritError) {
      process.stderr.write(`trit: error: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`trit: internal error — this is a bug in trit, please report it with the command you ran:\n${(e as Error).stack ?? e}\n`);
    return 70;
  }
}

