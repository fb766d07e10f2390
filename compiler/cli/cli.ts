/**
 * @fileoverview The `trit` command line: inspect | compile | run | verify | bench.
 *
 * Bad input ends in one clear line (`trit: error: …`) and exit code 1; anything else escaping is a
 * bug in trit and is reported as such with exit code 70.
 */
import { readFileSync, existsSync, statSync, writeFileSync, renameSync, rmSync, openSync, readSync, mkdirSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { TritError } from '../errors.js';
import { compileCheckpoint, compileOnnx, type Compiled, type CompileOptions } from '../compile.js';
import { nodeCheckpointIO } from '../frontends/hf/node-io.js';
import { openCheckpoint } from '../frontends/hf/checkpoint.js';
import { hgrnBitShape } from '../frontends/hf/config.js';
import { fInfo } from '../float/graph.js';
import { loadSentencePiece } from '../../runtime-wasm/host/sentencepiece.js';
import { loadTokenizerJson } from '../../runtime-wasm/host/tokenizer-json.js';
import type { TokenizerFormat } from '../../runtime-wasm/host/format.js';
import { printGraph } from '../ir/text.js';
import { readCalibration, readGolden, verifyGolden, verifyRunner, DECISIVE_GAP, DEFAULT_TOLERANCES, type VerifyReport } from '../verify.js';
import type { CalibSequence } from '../lower/calibrate.js';
import { numel, typeToString } from '../ir/types.js';
import type { LowerOptions } from '../lower/lower.js';
import { VERSION } from '../version.js';
import { linkWasm, type LinkedWasm } from '../backends/wasm/link.js';
import { readMeta, TritSession } from '../../runtime-wasm/host/session.js';
import { readMnistTest } from '../formats/idx.js';
import { dirname, join, basename } from 'node:path';
import { buildVerilog } from '../../hdl-gen/src/build.js';
import { deviceByName } from '../../hdl-gen/src/device.js';

const USAGE = `trit ${VERSION} — compile ternary neural networks into addition-only programs

usage:
  A <model> is an ONNX file or a Hugging Face checkpoint directory of a MatMul-free LM
  (config.json + model.safetensors, or shards + model.safetensors.index.json; F32/F16/BF16),
  such as ridger/MMfreeLM-370M, -1.3B or -2.7B.

  trit inspect <model> [--json] [--ir <out.tir>] [--calibration <inputs.safetensors>]
      Import and lower the model; print its IR summary and per-inference operation counts
      (for a directory also its config, tensors, dtypes and tokenizer).
  trit verify <model|model.wasm> --golden <golden.safetensors> [--json]
              [--min-agreement 0.995] [--max-rel-error 0.05] [--calibration <inputs.safetensors>]
      Run the IR interpreter (or, for a .wasm, the compiled module) on golden vectors; print
      per-output and per-layer errors and argmax agreement; exit 1 when outside the tolerances.
  trit compile <model> --target wasm -o <model.wasm> [--simd fixed|relaxed]
              [--calibration <inputs.safetensors>] [--vocab <vocab.json>] [--classes a,b,...]
              [--tokenizer <tokenizer.model|tokenizer.json>] [--table-bits 16|32] [--lut-density N]
      Compile to one self-contained SIMD WebAssembly module (kernels, packed weights, schedule,
      metadata, tokenizer). The model's tokenizer.model (else tokenizer.json) is carried in the
      module; else a vocab.json beside the model; else byte tokens.
      --table-bits 16 stores embedding tables as i16 (half the memory of the default i32).
      --lut-density N: sigmoid/tanh table points per unit (default 256; 1024 for models with
      4M or more ternary weights; 64 for --target verilog). ONNX external data (model.onnx.data) is read from beside the model.
  trit compile <model> --target verilog --device up5k -o <dir> [--calibration <inputs>]
              [--clock 12] [--baud 115200] [--fmax-target 30] [--seed 1] [--no-synth]
      Verilog for the trit core with this model's program (docs/verilog.md), simulated once for
      the cycle count, then Yosys → nextpnr-ice40 → icepack (through @yowasp, no native tools):
      <dir>/<model>.bin (iCEBreaker bitstream), report.json, <model>.hdl.json, dmem.bin, rtl/.
      --device xc7a35t (xc7a50t, xc7a100t, xc7a200t, xc7s50, xc7z020): a Yosys synth_xilinx
      resource estimate, without place and route. A model that does not fit is refused.
  trit run <model.wasm|model> --prompt "ROMEO:" [--max-tokens 200] [--seed 1]
           [--temperature 0.8] [--top-k 0] [--threads N] [--json]
      Generate text with a language model (a directory or .onnx is compiled first); prints the
      text, then tokens/s on stderr. SentencePiece models start the prompt with <s> and stop at </s>.
  trit run <classifier.wasm|.onnx> --mnist <dir> [--limit N] [--threads N] [--json]
      Classify the MNIST test set; prints accuracy and images/s.
  trit bench [--quick] [-o bench/results] [--repeats 3] [--big <370M dir>] [--no-big]
             [--fpga auto|skip|rebuild] [--watts-per-core W] [--mnist <dir>]
      The benchmark suite on this machine (docs/benchmarks.md): kernel throughput against a
      streaming roofline; decode tokens/s, first-token latency and peak memory for trit wasm
      (1, 2 threads), onnxruntime-node, onnxruntime-web and PyTorch (reference, float and int8
      baselines); classifier images/s; compile time; UP5K builds; energy per token (measured,
      modelled or op-count model, each labelled). Writes <out>/<date>-<host>.json and
      <out>/<date>-<host>/report.md with SVG plots. --quick: a two-minute smoke run (small
      models, one repeat, existing UP5K builds only). A full run took 24 minutes on a 2-core
      machine; add ~15 if the UP5K builds are missing and ~1 to generate the 370M model.

options:
  --json          machine-readable output on stdout
  --threads N     threads sharing the ternary matrix work (wasm threads; default 1; a model
                  with no matrix worth sharing runs on one, and says so)
  --calibration   a safetensors file whose input.* tensors calibrate fixed-point ranges (a golden file
                  works); default: calibration.safetensors beside the model, else seeded random inputs
  -h, --help      this text
  -v, --version   the version
`;

function readInput(path: string, what: string): Uint8Array {
  if (!existsSync(path)) throw new TritError(`no such file`, { file: path }, `check the path of the ${what}`);
  if (statSync(path).isDirectory()) throw new TritError(`is a directory, expected a ${what} file`, { file: path });
  const b = readFileSync(path); // a view, not a copy: model files can be gigabytes
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The file trit reads calibration inputs from when it sits beside the model (or in its directory). */
export const CALIBRATION_FILE = 'calibration.safetensors';

/** Where calibration comes from: the flag, else calibration.safetensors beside the model, else random. */
function resolveCalibration(model: string, flag?: string): { seqs?: CalibSequence[]; source: string; file?: string } {
  const file = flag ?? (existsSync(besideModel(model, CALIBRATION_FILE)) ? besideModel(model, CALIBRATION_FILE) : undefined);
  if (!file) return { source: 'random' };
  const seqs = readCalibration(readInput(file, 'calibration .safetensors'), file);
  return { seqs, file, source: basename(file) };
}

/** One stderr line saying what the formats were sized from, and what to do when it was random. */
function reportCalibration(c: Compiled, cal: { file?: string }, flag?: string): void {
  const steps = c.ir.meta.calibration_steps;
  if (cal.file) {
    process.stderr.write(`calibration: ${steps} steps from ${cal.file}${flag ? '' : ' (beside the model)'}\n`);
  } else if (c.calibrationSized > 0) {
    process.stderr.write(`calibration: ${steps} steps of random inputs (no ${CALIBRATION_FILE} beside the model); ${c.calibrationSized} value formats are sized from it — ` +
      `for a faithful model pass --calibration <file> with representative inputs (docs/golden-format.md)\n`);
  }
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

/** ONNX external data: files named by the tensors, beside the model; read slice by slice. */
function externalReader(model: string) {
  const fds = new Map<string, number>();
  return (location: string, offset: number, length: number): Uint8Array => {
    const p = join(dirname(model), location);
    let fd = fds.get(p);
    if (fd === undefined) {
      if (!existsSync(p)) throw new TritError(`external data file '${location}' is missing`, { file: model }, `put ${location} beside the model`);
      fds.set(p, (fd = openSync(p, 'r')));
    }
    const buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, offset + got);
      if (n <= 0) throw new TritError(`external data file '${location}' ends before offset ${offset + length}`, { file: model }, 'the .data file is truncated');
      got += n;
    }
    return buf;
  };
}

/** A model path that is a directory: a Hugging Face checkpoint (config.json + safetensors). */
export function isCheckpointDir(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** A file that belongs to the model: inside a checkpoint directory, else beside the model file. */
function besideModel(model: string, file: string): string {
  return isCheckpointDir(model) ? join(model, file) : join(dirname(model), file);
}

/** Compiles a model file or checkpoint directory with the CLI's defaults (calibration beside the
 *  model, progress on stderr). `target` 'fpga' keeps the activation tables block-RAM sized. */
export function compileFile(path: string, calibration?: string, lower?: Partial<LowerOptions>, target: CompileOptions['target'] = 'wasm'): Compiled {
  const cal = resolveCalibration(path, calibration);
  const opts = { file: path, calibration: cal.seqs, calibrationSource: cal.source, onProgress: progress(), lower, target };
  let c: Compiled;
  if (isCheckpointDir(path)) {
    const io = nodeCheckpointIO();
    try {
      c = compileCheckpoint(path.replace(/\/+$/, ''), io, opts);
    } finally {
      io.close();
    }
  } else {
    const bytes = readInput(path, 'model .onnx or a checkpoint directory');
    c = compileOnnx(bytes, { ...opts, externalData: externalReader(path) });
  }
  reportCalibration(c, cal, calibration);
  return c;
}

const fmt = (n: number) => n.toLocaleString('en-US');

function inspect(path: string, opts: { json: boolean; ir?: string; calibration?: string; lower?: Partial<LowerOptions> }): number {
  const c = compileFile(path, opts.calibration, opts.lower);
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
  if (isCheckpointDir(path)) {
    L.push(...describeCheckpoint(path));
    L.push(`${path}: ${c.ir.name}  (sha256 of config + tensors ${c.ir.meta.source_sha256.slice(0, 16)}…)`);
  } else {
    L.push(`${path}: ${c.ir.name}  (sha256 ${c.ir.meta.source_sha256.slice(0, 16)}…, opset ${c.ir.meta.opset})`);
  }
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

/** What a checkpoint directory holds: files, dtypes, parameters, config, tokenizer (headers only). */
function describeCheckpoint(dir: string): string[] {
  const io = nodeCheckpointIO();
  try {
    const ck = openCheckpoint(dir, io);
    const shape = hgrnBitShape(ck.config, join(dir, 'config.json'));
    const dtypes = new Map<string, number>();
    let params = 0, bytes = 0;
    for (const t of ck.tensors.values()) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      dtypes.set(t.dtype, (dtypes.get(t.dtype) ?? 0) + n);
      params += n;
      bytes += t.bytes;
    }
    const tk = tokenizerFor(dir);
    return [
      `${dir}: Hugging Face checkpoint, model_type hgrn_bit (MatMul-free LM)`,
      `  config   hidden_size ${shape.hidden}, ${shape.layers} layers, intermediate ${shape.intermediate}, vocab ${shape.vocab}, rms_norm_eps ${shape.rmsNormEps}, lower bounds ${shape.useLowerBound ? 'yes' : 'no'}`,
      `  weights  ${ck.tensors.size} tensors, ${fmt(params)} parameters, ${(bytes / 2 ** 20).toFixed(1)} MiB in ${ck.files.length} file${ck.files.length > 1 ? 's' : ''} (${[...dtypes].map(([k, n]) => `${k} ${fmt(n)}`).join(', ')})`,
      `  tokenizer ${tk ? `${tk.file} (${tk.format}, ${fmt(tk.size)} tokens${tk.addBos ? ', prompts start with <s>' : ''})` : 'none (byte tokens)'}`,
      '',
    ];
  } finally {
    io.close();
  }
}

async function verify(path: string, opts: { json: boolean; golden?: string; minAgreement?: string; maxRelError?: string; calibration?: string; threads?: string; lower?: Partial<LowerOptions> }): Promise<number> {
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
  let r: VerifyReport;
  let irMeta: Record<string, string> = {};
  if (path.endsWith('.wasm')) {
    const s = await TritSession.create(path, { threads: intFlag(opts.threads, 1, 'threads', 1), name: path });
    irMeta = s.meta.irMeta ?? {};
    try {
      r = verifyRunner({
        inputs: s.meta.inputs.map((i) => ({ name: i.name, n: numel(i.shape) })),
        // The outputs that carry next states (no argmax for them): the IR metadata pairs each state
        // with its output ('state:x' = 'x -> new_x'); the state buffers themselves are named after the inputs.
        stateOutputs: new Set(Object.entries(irMeta).filter(([k]) => k.startsWith('state:')).map(([, v]) => v.split(' -> ')[1])),
        reset: () => s.reset(),
        run: (feed) => s.run(feed),
      }, golden, tol);
    } finally {
      await s.close();
    }
  } else {
    const c = compileFile(path, opts.calibration, opts.lower);
    irMeta = c.ir.meta;
    r = verifyGolden(c, golden, tol);
  }
  if (opts.json) process.stdout.write(JSON.stringify(r, null, 2) + '\n');
  else process.stdout.write(renderReport(path, r, path.endsWith('.wasm') ? 'compiled wasm' : 'interpreter') + (r.pass ? '' : failHint(irMeta)));
  return r.pass ? 0 : 1;
}

/** What to try after a FAIL, from how the model was compiled (its IR metadata). */
function failHint(meta: Record<string, string>): string {
  const tips: string[] = [];
  if (meta.calibration === 'random') {
    tips.push(`its value formats were sized from random inputs: put a ${CALIBRATION_FILE} of representative inputs beside the model, or pass --calibration <file> (docs/golden-format.md)`);
  }
  if (Number(meta.lut_density ?? 0) < 1024) tips.push('finer sigmoid/tanh tables: --lut-density 1024');
  tips.push('the per-layer errors above show where the error starts (docs/IR.md §8)');
  return `  hint: ${tips.join('; ')}\n`;
}

function renderReport(path: string, r: VerifyReport, what: string): string {
  const e = (x: number) => x.toExponential(2);
  const L = [`${path}: ${r.steps} golden steps, ${what} vs float reference`];
  const pct = (x: number | undefined) => (x === undefined ? '-' : (x * 100).toFixed(1) + '%');
  L.push(`  ${'output'.padEnd(24)}${'max abs err'.padStart(12)}${'rel err'.padStart(10)}${'argmax'.padStart(9)}${'decisive'.padStart(10)}  verdict`);
  for (const o of r.outputs) {
    L.push(`  ${o.name.padEnd(24)}${e(o.maxAbsError).padStart(12)}${e(o.relError).padStart(10)}${pct(o.argmaxAgreement).padStart(9)}${pct(o.decisiveAgreement).padStart(10)}  ${o.pass ? 'ok' : 'FAIL'}`);
  }
  if (r.layers.length) {
    L.push(`  ${'layer'.padEnd(24)}${'max abs err'.padStart(12)}${'rel err'.padStart(10)}`);
    for (const o of r.layers) L.push(`  ${o.name.padEnd(24)}${e(o.maxAbsError).padStart(12)}${e(o.relError).padStart(10)}`);
  }
  if (r.layersMissing.length) L.push(`  layers folded away or not in the IR: ${r.layersMissing.join(', ')}`);
  if (r.saturations) L.push(`  saturated elements (explicit clamps): ${r.saturations}`);
  const dec = r.outputs.find((o) => o.decisiveSteps !== undefined);
  L.push(`${r.pass ? 'PASS' : 'FAIL'}: argmax agreement ${(r.decisiveAgreement * 100).toFixed(2)}% on the ${dec?.decisiveSteps ?? r.steps} decisive steps ` +
    `(min ${(r.tolerances.minAgreement * 100).toFixed(1)}%; ${(r.argmaxAgreement * 100).toFixed(2)}% on all ${r.steps}, near-ties included), relative error limit ${r.tolerances.maxRelError}`);
  L.push(`  decisive: the reference's top two scores are more than ${DECISIVE_GAP * 100}% of its score range apart (docs/golden-format.md)`);
  return L.join('\n') + '\n';
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv, allowPositionals: true, strict: true,
      options: {
        json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' },
        ir: { type: 'string' }, golden: { type: 'string' }, calibration: { type: 'string' },
        'min-agreement': { type: 'string' }, 'max-rel-error': { type: 'string' },
        target: { type: 'string' }, output: { type: 'string', short: 'o' }, simd: { type: 'string' },
        vocab: { type: 'string' }, classes: { type: 'string' }, tokenizer: { type: 'string' },
        prompt: { type: 'string' }, 'max-tokens': { type: 'string' }, seed: { type: 'string' },
        temperature: { type: 'string' }, 'top-k': { type: 'string' }, threads: { type: 'string' },
        mnist: { type: 'string' }, limit: { type: 'string' }, 'table-bits': { type: 'string' }, 'lut-density': { type: 'string' },
        device: { type: 'string' }, clock: { type: 'string' }, baud: { type: 'string' },
        'fmax-target': { type: 'string' }, 'no-synth': { type: 'boolean', default: false },
        quick: { type: 'boolean', default: false }, repeats: { type: 'string' }, big: { type: 'string' },
        'no-big': { type: 'boolean', default: false }, fpga: { type: 'string' }, 'watts-per-core': { type: 'string' },
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
        if (model.endsWith('.wasm')) return inspectWasm(model, v.json!);
        return inspect(model, { json: v.json!, ir: v.ir, calibration: v.calibration, lower: lowerFlags(v) });
      case 'verify':
        if (!model) throw new TritError('verify needs a model: trit verify <model.onnx> --golden <file>');
        return await verify(model, { json: v.json!, golden: v.golden, minAgreement: v['min-agreement'], maxRelError: v['max-rel-error'], calibration: v.calibration, threads: v.threads, lower: lowerFlags(v) });
      case 'compile':
        if (!model) throw new TritError('compile needs a model: trit compile <model.onnx> --target wasm -o model.wasm');
        return await compileCmd(model, v);
      case 'run':
        if (!model) throw new TritError('run needs a model: trit run <model.wasm> --prompt "..."');
        return await runCmd(model, v);
      case 'bench':
        if (model) throw new TritError(`bench takes no model (it runs the zoo's); unexpected '${model}'`);
        return await benchCmd(v);
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


type Flags = Record<string, string | boolean | undefined>;

/** --table-bits and --lut-density: lowering choices a user may override. */
function lowerFlags(v: Flags): Partial<LowerOptions> {
  const o: Partial<LowerOptions> = {};
  const tb = v['table-bits'];
  if (tb !== undefined && tb !== '16' && tb !== '32') throw new TritError(`--table-bits must be 16 or 32, got '${tb}'`);
  if (tb) o.tableBits = Number(tb) as 16 | 32;
  const ld = v['lut-density'];
  if (ld !== undefined) {
    const n = Number(ld);
    if (!Number.isInteger(n) || n < 8 || n > 4096 || (n & (n - 1)) !== 0) throw new TritError(`--lut-density must be a power of two from 8 to 4096, got '${ld}'`);
    o.lutDensity = n;
  }
  return o;
}

function intFlag(v: string | boolean | undefined, d: number, name: string, min = 0): number {
  if (v === undefined) return d;
  const x = Number(v);
  if (!Number.isInteger(x) || x < min) throw new TritError(`--${name} must be an integer ≥ ${min}, got '${v}'`);
  return x;
}

/** "2 threads", or "1 thread: <why not the number asked for>". */
function threadsLine(s: TritSession): string {
  return `${s.threads} thread${s.threads > 1 ? 's' : ''}${s.threadsNote ? `: ${s.threadsNote}` : ''}`;
}

function numFlag(v: string | boolean | undefined, d: number, name: string): number {
  if (v === undefined) return d;
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0) throw new TritError(`--${name} must be a non-negative number, got '${v}'`);
  return x;
}

/** Vocabulary: --vocab, else vocab.json beside the model (undefined when there is none). */
export function vocabFor(model: string, flag?: string): string[] | undefined {
  const path = flag ?? besideModel(model, 'vocab.json');
  if (!flag && !existsSync(path)) return undefined;
  const raw = readInput(path, 'vocab .json');
  let v: unknown;
  try { v = JSON.parse(new TextDecoder().decode(raw)); } catch { throw new TritError('not valid JSON', { file: path }, 'expected a JSON array of strings, one per token id'); }
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw new TritError('expected a JSON array of strings, one per token id', { file: path });
  return v as string[];
}

/** The tokenizer to carry in the module: --tokenizer, else the model directory's (or the model
 *  file's neighbours') tokenizer.model, else tokenizer.json. Parsed here so a bad one fails the
 *  compile, not the first run. */
export function tokenizerFor(model: string, flag?: string): { format: TokenizerFormat; file: string; bytes: Uint8Array; addBos: boolean; size: number } | undefined {
  const path = flag ?? [besideModel(model, 'tokenizer.model'), besideModel(model, 'tokenizer.json')].find((p) => existsSync(p));
  if (!path) return undefined;
  const bytes = readInput(path, 'tokenizer.model or tokenizer.json');
  const format: TokenizerFormat = path.endsWith('.json') ? 'tokenizer.json' : 'sentencepiece';
  const tk = format === 'sentencepiece' ? loadSentencePiece(bytes, path) : loadTokenizerJson(new TextDecoder().decode(bytes), path);
  // add_bos_token from tokenizer_config.json (Llama/Mistral tokenizers default to true).
  let addBos = tk.bos >= 0;
  const cfgPath = join(dirname(path), 'tokenizer_config.json');
  if (existsSync(cfgPath)) {
    try { addBos = JSON.parse(readFileSync(cfgPath, 'utf8')).add_bos_token !== false && tk.bos >= 0; } catch { throw new TritError('not valid JSON', { file: cfgPath }); }
  }
  return { format, file: basename(path), bytes, addBos, size: tk.size };
}

/** ONNX → IR → wasm, with progress on stderr. */
function buildWasm(model: string, v: Flags): LinkedWasm {
  const t0 = Date.now();
  const simd = (v.simd as string | undefined) ?? 'fixed';
  if (simd !== 'fixed' && simd !== 'relaxed') throw new TritError(`--simd must be 'fixed' or 'relaxed', got '${simd}'`);
  const c = compileFile(model, v.calibration as string | undefined, lowerFlags(v));
  const t1 = Date.now();
  process.stderr.write(`compiled to IR in ${((t1 - t0) / 1000).toFixed(1)} s; linking wasm…\n`);
  const classes = typeof v.classes === 'string' ? v.classes.split(',') : undefined;
  const tokenizer = tokenizerFor(model, v.tokenizer as string | undefined);
  const V = c.float.outputs.length ? fInfo(c.float).get(c.float.outputs[0].value)?.shape.at(-1) : undefined;
  if (tokenizer && V !== undefined && tokenizer.size > V) {
    throw new TritError(`the tokenizer has ${tokenizer.size} tokens but the model's output has ${V}`, { file: (v.tokenizer as string | undefined) ?? besideModel(model, tokenizer.file) }, 'the tokenizer is from another model');
  }
  const linked = linkWasm(c.ir, { simd, vocab: tokenizer ? undefined : vocabFor(model, v.vocab as string | undefined), tokenizer, classes, onProgress: progress() });
  process.stderr.write(`linked in ${((Date.now() - t1) / 1000).toFixed(1)} s\n`);
  return linked;
}

async function compileCmd(model: string, v: Flags): Promise<number> {
  const target = (v.target as string | undefined) ?? 'wasm';
  if (target === 'verilog') return compileVerilog(model, v);
  if (target !== 'wasm') throw new TritError(`unknown --target '${target}'`, {}, 'use --target wasm or --target verilog');
  const dirModel = isCheckpointDir(model);
  const out = (v.output as string | undefined) ?? (dirModel ? join(dirname(model), basename(model.replace(/\/+$/, '')) + '.wasm') : join(dirname(model), basename(model).replace(/\.onnx$/, '') + '.wasm'));
  const t0 = Date.now();
  const linked = buildWasm(model, v);
  mkdirSync(dirname(out) || '.', { recursive: true });
  const tmp = `${out}.tmp-${process.pid}`;
  try { writeFileSync(tmp, linked.bytes); renameSync(tmp, out); } finally { if (existsSync(tmp)) rmSync(tmp); }
  const m = linked.meta, st = m.stats ?? {};
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;
  if (v.json) {
    process.stdout.write(JSON.stringify({ output: out, bytes: linked.bytes.length, seconds: (Date.now() - t0) / 1000, sizes: m.sizes, memoryBytes: m.pages * 65536, stats: st, simd: m.simd }, null, 2) + '\n');
    return 0;
  }
  const L = [`wrote ${out}: ${mb(linked.bytes.length)} in ${((Date.now() - t0) / 1000).toFixed(1)} s (${m.simd} SIMD)`];
  L.push(`  weights (2 bits/weight, 16-row tiles)  ${mb(m.sizes.weights).padStart(12)}`);
  L.push(`  other constants (tables, embeddings)   ${mb(m.sizes.tables).padStart(12)}`);
  L.push(`  activations, state, sum tables         ${mb(m.sizes.activations).padStart(12)}`);
  L.push(`  linear memory                          ${mb(m.pages * 65536).padStart(12)}`);
  L.push(`  per step: ${fmt(st.adds ?? 0)} adds, ${fmt(st.subs ?? 0)} subs, ${fmt(st.weightMultiplies ?? 0)} weight multiplies, ` +
    `${fmt(st.constMultiplies ?? 0)} constant multiplies, ${fmt(st.elementwiseMultiplies ?? 0)} elementwise multiplies, ${fmt(st.lookups ?? 0)} lookups`);
  process.stdout.write(L.join('\n') + '\n');
  return 0;
}

/** ONNX → IR → Verilog (+ bitstream or estimate), with progress on stderr. */
async function compileVerilog(model: string, v: Flags): Promise<number> {
  if (!v.device) throw new TritError('--target verilog needs --device', {}, 'e.g. --device up5k (iCEBreaker) or --device xc7a35t (estimate)');
  const dev = deviceByName(v.device as string);
  const outDir = (v.output as string | undefined) ?? 'build';
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new TritError('-o must be a folder for --target verilog', { file: outDir });
  const t0 = Date.now();
  const c = compileFile(model, v.calibration as string | undefined, lowerFlags(v), 'fpga');
  process.stderr.write(`compiled to IR in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const name = basename(model).replace(/\.onnx$/, '') === 'model' ? basename(dirname(model)) : basename(model).replace(/\.onnx$/, '');
  const report = await buildVerilog(c.ir, {
    device: dev.name, outDir, name, model,
    clockHz: numFlag(v.clock, 12, 'clock') * 1e6, baud: intFlag(v.baud, 115200, 'baud', 300),
    targetMHz: numFlag(v['fmax-target'], 30, 'fmax-target'), seed: intFlag(v.seed, 1, 'seed'), noSynth: v['no-synth'] === true,
    log: (l) => process.stderr.write(`${l}\n`),
  });
  if (v.json) { process.stdout.write(JSON.stringify(report, null, 2) + '\n'); return 0; }
  const r = report as Record<string, number | string | boolean | null>;
  const unit = c.ir.states.length ? 'token' : 'inference';
  const cyc = r.cyclesPerInference === null ? `cycles not measured (${r.cyclesSource})` : `${Number(r.cyclesPerInference).toLocaleString('en-US')} cycles per ${unit}`;
  const L: string[] = [];
  if (dev.family === 'ice40' && !v['no-synth']) {
    L.push(`wrote ${join(outDir, name + '.bin')} (${r.bitstreamBytes} bytes) and ${join(outDir, 'report.json')} in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    L.push(`  device            iCE40 UP5K (SG48, iCEBreaker)`);
    L.push(`  logic cells       ${r.logicCells} / ${r.logicCellsAvailable}  (LUT4 ${r.luts}, carry ${r.carries}, DFF ${r.dffs})`);
    L.push(`  EBR / SPRAM / DSP ${r.ebr} / 30, ${r.spram} / 4, ${r.dsp} / 8`);
    L.push(`  Fmax after route  ${r.fmaxMHz} MHz (target ${r.targetMHz}; the board clock is ${r.boardClockMHz} MHz)`);
    L.push(`  cycles            ${cyc}${r.cyclesPerInference === null ? '' : ` — ${r.cyclesSource}`}`);
    if (r.cyclesPerInference !== null) L.push(`  throughput        ${r.inferencesPerSecondAtFmax} ${unit}s/s at Fmax, ${r.inferencesPerSecondAtBoardClock} at ${r.boardClockMHz} MHz`);
  } else if (dev.family === 'xc7' && !v['no-synth']) {
    L.push(`ESTIMATE (Yosys synth_xilinx, no place and route) for the ${dev.name}: ${r.luts} LUTs, ${r.carry4} CARRY4, ${r.ffs} FFs, ` +
      `${r.bram36} RAMB36 + ${r.bram18} RAMB18, ${r.dsp48} DSP48; ${cyc}`);
    L.push(`wrote ${join(outDir, 'report.json')} and the design in ${join(outDir, 'rtl')}`);
  } else {
    L.push(`wrote the design to ${join(outDir, 'rtl')}; ${cyc}${r.cyclesPerInference === null ? '' : ` (${r.cyclesSource})`}`);
  }
  process.stdout.write(L.join('\n') + '\n');
  return 0;
}

async function loadModel(model: string, v: Flags): Promise<TritSession> {
  const threads = intFlag(v.threads, 1, 'threads', 1);
  if (model.endsWith('.onnx') || isCheckpointDir(model)) return TritSession.create(buildWasm(model, v).bytes, { threads, name: model });
  return TritSession.create(model, { threads, name: model });
}

async function runCmd(model: string, v: Flags): Promise<number> {
  const s = await loadModel(model, v);
  try {
    if (v.mnist !== undefined) return runMnist(s, v);
    if (v.prompt === undefined) throw new TritError(s.meta.kind === 'classifier' ? 'a classifier needs --mnist <dir>' : 'run needs --prompt "<text>"');
    if (s.meta.kind !== 'lm') throw new TritError('this model is not a language model (it has no recurrent state and token input)', { file: model });
    const stream = !v.json && process.stdout.isTTY;
    if (!v.json) process.stdout.write(v.prompt as string);
    const r = s.generateSync(v.prompt as string, {
      maxTokens: intFlag(v['max-tokens'], 200, 'max-tokens'),
      seed: intFlag(v.seed, 1, 'seed'),
      temperature: numFlag(v.temperature, 0.8, 'temperature'),
      topK: intFlag(v['top-k'], 0, 'top-k'),
      onToken: stream ? (t) => process.stdout.write(t) : undefined,
    });
    if (v.json) {
      process.stdout.write(JSON.stringify({ text: r.text, tokens: r.tokens, tokensPerSecond: r.tokensPerSecond, prefillTokensPerSecond: r.prefillTokensPerSecond, promptTokens: r.promptTokens, threads: s.threads, threadsNote: s.threadsNote, seconds: r.seconds }) + '\n');
    } else {
      if (!stream) process.stdout.write(r.text);
      process.stdout.write('\n');
      process.stderr.write(`${r.tokens.length} tokens, ${r.tokensPerSecond.toFixed(1)} tokens/s decode, ${r.prefillTokensPerSecond.toFixed(1)} tokens/s prompt (${threadsLine(s)})\n`);
    }
    return 0;
  } finally {
    await s.close();
  }
}

function runMnist(s: TritSession, v: Flags): number {
  const { images, labels } = readMnistTest(v.mnist as string, intFlag(v.limit, 10000, 'limit', 1));
  let correct = 0;
  const t0 = performance.now();
  for (let i = 0; i < images.length; i++) {
    if (s.classify(images[i]).label === labels[i]) correct++;
    if (!v.json && process.stderr.isTTY && i % 500 === 0) process.stderr.write(`\r${i}/${images.length}`);
  }
  const secs = (performance.now() - t0) / 1000;
  const r = { images: images.length, correct, accuracy: correct / images.length, imagesPerSecond: images.length / secs, threads: s.threads };
  if (v.json) process.stdout.write(JSON.stringify(r) + '\n');
  else process.stdout.write(`${process.stderr.isTTY ? '\r' : ''}MNIST test: ${correct}/${images.length} = ${(r.accuracy * 100).toFixed(2)}% correct, ${r.imagesPerSecond.toFixed(0)} images/s (${threadsLine(s)})\n`);
  return 0;
}

async function benchCmd(v: Flags): Promise<number> {
  const fpga = (v.fpga as string | undefined) ?? 'auto';
  if (!['auto', 'skip', 'rebuild'].includes(fpga)) throw new TritError(`--fpga must be auto, skip or rebuild, not '${fpga}'`);
  const wpc = v['watts-per-core'] !== undefined ? Number(v['watts-per-core']) : undefined;
  if (wpc !== undefined && !(wpc > 0 && wpc < 1000)) throw new TritError(`--watts-per-core must be a positive number of watts, not '${v['watts-per-core']}'`);
  if (v.big !== undefined && !existsSync(v.big as string)) throw new TritError('no such folder', { file: v.big as string }, 'give a folder made by models/make_random.py --shape 370M');
  const repeats = v.repeats !== undefined ? intFlag(v.repeats, 3, 'repeats', 1) : undefined;
  // Imported here: the benchmark pulls in tinybench and the HDL tools, which other verbs do not need.
  const { runBench } = await import('../../bench/suite/index.js');
  const r = await runBench({
    quick: !!v.quick, out: v.output as string | undefined, repeats,
    big: v.big as string | undefined, noBig: !!v['no-big'], fpga: fpga as 'auto' | 'skip' | 'rebuild', wattsPerCore: wpc, mnist: v.mnist as string | undefined,
  });
  if (v.json) process.stdout.write(JSON.stringify({ json: r.json, report: r.report }) + '\n');
  else process.stdout.write(`${r.report}\n`);
  return 0;
}

function inspectWasm(path: string, json: boolean): number {
  const m = readMeta(readInput(path, 'model .wasm'), path);
  if (json) { process.stdout.write(JSON.stringify(m, null, 2) + '\n'); return 0; }
  const L = [`${path}: ${m.model} (${m.kind}), compiled by trit ${m.tritVersion}, ${m.simd} SIMD, source sha256 ${m.sourceSha256.slice(0, 16)}…`];
  L.push(`  inputs   ${m.inputs.map((i) => `${i.name} ${i.dtype}[${i.shape}]`).join(', ')}`);
  L.push(`  outputs  ${m.outputs.map((i) => `${i.name} ${i.dtype}[${i.shape}]`).join(', ')}`);
  L.push(`  memory   ${(m.pages / 16).toFixed(1)} MiB (weights ${(m.sizes.weights / 2 ** 20).toFixed(2)} MiB)`);
  if (m.vocab) L.push(`  vocab    ${m.vocab.length} tokens`);
  process.stdout.write(L.join('\n') + '\n');
  return 0;
}
