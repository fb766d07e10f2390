/** @fileoverview `trit compile`: a model to one self-contained SIMD WebAssembly module, or to Verilog for the trit core with a bitstream or a resource estimate. */
import { mkdirSync } from 'node:fs';
import { checkOutput, writeOutput } from '../compiler/util/outputs.js';
import { dirname, join, basename } from 'node:path';
import { TritError } from '../common/errors.js';
import { isDirectory } from '../compiler/util/files.js';
import type { LinkedWasm } from '../compiler/backends/wasm/link.js';
import { intFlag, LOWER, lowerFlags, numFlag, oneOf, str, type Flags } from './options.js';
import { fmt, type Verb } from './verb.js';

export const compile: Verb = {
  name: 'compile',
  takesModel: true,
  forms: [
    {
      args: '<model>',
      required: ['target'],
      fixed: { target: 'wasm' },
      options: ['output', 'simd', 'no-fuse', 'vocab', 'classes', 'tokenizer', 'json', ...LOWER],
      text:
        'Compile to one self-contained SIMD WebAssembly module (kernels, packed weights, schedule, metadata, tokenizer). ' +
        "The model's tokenizer.model (else tokenizer.json) is carried in the module; else a vocab.json beside the model; else byte tokens. " +
        'ONNX external data (model.onnx.data) is read from beside the model.',
    },
    {
      args: '<model>',
      required: ['target', 'device', 'output'],
      fixed: { target: 'verilog', output: '<dir>' },
      options: ['clock', 'baud', 'fmax-target', 'seed', 'seeds', 'no-synth', 'json', ...LOWER],
      text:
        "Verilog for the trit core with this model's program (docs/verilog.md), simulated once for the cycle count, then Yosys → nextpnr-ice40 → icepack " +
        '(through @yowasp, no native tools): <dir>/<model>.bin (iCEBreaker bitstream), report.json, <model>.hdl.json, dmem.bin, rtl/. ' +
        'An xc7 device gets a Yosys synth_xilinx resource estimate, without place and route. A model that does not fit is refused.',
    },
  ],
  run: (model, v) => compileModel(model!, v),
};

/** ONNX → IR → wasm, with progress on stderr. */
export async function buildWasm(model: string, v: Flags): Promise<LinkedWasm> {
  // The compiler is imported when a verb needs it: `trit run x.wasm`, `--help` and the sandbox
  // worker (watchdog.ts) start without it.
  const { besideModel, compileFile, progress, tokenizerFor, vocabFor } = await import('../compiler/node.js');
  const { fInfo } = await import('../compiler/float/graph.js');
  const t0 = Date.now();
  const simd = oneOf(v, 'simd', ['fixed', 'relaxed'] as const, 'fixed');
  const c = compileFile(model, str(v, 'calibration'), lowerFlags(v));
  const t1 = Date.now();
  process.stderr.write(`compiled to IR in ${((t1 - t0) / 1000).toFixed(1)} s; linking wasm…\n`);
  const classes = str(v, 'classes')?.split(',');
  const tokenizer = tokenizerFor(model, str(v, 'tokenizer'));
  // The tokenizer must fit the logits (as the runtime picks them: 'logits', else the first output
  // that is not a state), not whatever output happens to come first.
  const stateOuts = new Set(c.float.states.map((x) => x.output));
  const primary = c.float.outputs.find((o) => o.name === 'logits') ?? c.float.outputs.find((o) => !stateOuts.has(o.name));
  const V = primary ? fInfo(c.float).get(primary.value)?.shape.at(-1) : undefined;
  if (tokenizer && V !== undefined && tokenizer.size > V) {
    throw new TritError(
      `the tokenizer has ${tokenizer.size} tokens but the model's output has ${V}`,
      { file: str(v, 'tokenizer') ?? besideModel(model, tokenizer.file) },
      'the tokenizer is from another model',
    );
  }
  // Imported here, not at the top: binaryen alone costs ~110 MiB of memory, which `trit run` on a
  // .wasm, `inspect` and `--help` never need.
  const { linkWasm } = await import('../compiler/backends/wasm/link.js');
  const linked = linkWasm(c.ir, {
    simd,
    vocab: tokenizer ? undefined : vocabFor(model, str(v, 'vocab')),
    tokenizer,
    classes,
    fuse: !v['no-fuse'],
    onProgress: progress(),
  });
  process.stderr.write(`linked in ${((Date.now() - t1) / 1000).toFixed(1)} s\n`);
  return linked;
}

async function compileModel(model: string, v: Flags): Promise<number> {
  if (oneOf(v, 'target', ['wasm', 'verilog'] as const, 'wasm') === 'verilog') return compileVerilog(model, v);
  const dirModel = isDirectory(model);
  const out =
    str(v, 'output') ??
    (dirModel
      ? join(dirname(model), basename(model.replace(/\/+$/, '')) + '.wasm')
      : join(dirname(model), basename(model).replace(/\.onnx$/, '') + '.wasm'));
  const t0 = Date.now();
  const linked = await buildWasm(model, v);
  mkdirSync(dirname(out) || '.', { recursive: true });
  writeOutput(out, linked.bytes, (l) => process.stderr.write(`${l}\n`));
  const m = linked.meta,
    st = m.stats ?? {};
  const mb = (n: number) => `${(n / 2 ** 20).toFixed(2)} MiB`;
  if (v.json) {
    process.stdout.write(
      JSON.stringify(
        {
          output: out,
          bytes: linked.bytes.length,
          seconds: (Date.now() - t0) / 1000,
          sizes: m.sizes,
          memoryBytes: m.pages * 65536,
          stats: st,
          simd: m.simd,
        },
        null,
        2,
      ) + '\n',
    );
    return 0;
  }
  const L = [`wrote ${out}: ${mb(linked.bytes.length)} in ${((Date.now() - t0) / 1000).toFixed(1)} s (${m.simd} SIMD)`];
  L.push(`  weights (2 bits/weight, 16-row tiles)  ${mb(m.sizes.weights).padStart(12)}`);
  L.push(`  other constants (tables, embeddings)   ${mb(m.sizes.tables).padStart(12)}`);
  L.push(`  activations, state, sum tables         ${mb(m.sizes.activations).padStart(12)}`);
  L.push(`  linear memory                          ${mb(m.pages * 65536).padStart(12)}`);
  L.push(
    `  per step: ${fmt(st.adds ?? 0)} adds, ${fmt(st.subs ?? 0)} subs, ${fmt(st.weightMultiplies ?? 0)} weight multiplies, ` +
      `${fmt(st.constMultiplies ?? 0)} constant multiplies, ${fmt(st.elementwiseMultiplies ?? 0)} elementwise multiplies, ${fmt(st.lookups ?? 0)} lookups`,
  );
  process.stdout.write(L.join('\n') + '\n');
  return 0;
}

/** ONNX → IR → Verilog (+ bitstream or estimate), with progress on stderr. */
async function compileVerilog(model: string, v: Flags): Promise<number> {
  if (typeof v.device !== 'string')
    throw new TritError('--target verilog needs --device', {}, 'e.g. --device up5k (iCEBreaker) or --device xc7a35t (estimate)');
  const { compileFile } = await import('../compiler/node.js');
  const { buildVerilog, compileForDevice } = await import('../hdl-gen/src/build.js');
  const { deviceByName } = await import('../hdl-gen/src/device.js');
  const dev = deviceByName(v.device);
  const outDir = str(v, 'output') ?? 'build';
  checkOutput(outDir, 'dir');
  const t0 = Date.now();
  const log = (l: string) => process.stderr.write(`${l}\n`);
  const c = compileForDevice((lower) => compileFile(model, str(v, 'calibration'), { ...lowerFlags(v), ...lower }, 'fpga'), dev, log);
  process.stderr.write(`compiled to IR in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const name = basename(model).replace(/\.onnx$/, '') === 'model' ? basename(dirname(model)) : basename(model).replace(/\.onnx$/, '');
  const report = await buildVerilog(c.ir, {
    device: dev.name,
    outDir,
    name,
    model,
    clockHz: numFlag(v, 'clock', 12) * 1e6,
    baud: intFlag(v, 'baud', 115200, 300),
    targetMHz: numFlag(v, 'fmax-target', 30),
    seed: intFlag(v, 'seed', 1),
    seeds: intFlag(v, 'seeds', 3, 1),
    noSynth: v['no-synth'] === true,
    log,
  });
  if (v.json) {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return 0;
  }
  const r = report as Record<string, number | string | boolean | null>;
  const unit = c.ir.states.length ? 'token' : 'inference';
  const cyc =
    r.cyclesPerInference === null
      ? `cycles not measured (${r.cyclesSource})`
      : `${Number(r.cyclesPerInference).toLocaleString('en-US')} cycles per ${unit}`;
  const L: string[] = [];
  if (dev.family === 'ice40' && !v['no-synth']) {
    L.push(
      `wrote ${join(outDir, name + '.bin')} (${r.bitstreamBytes} bytes) and ${join(outDir, 'report.json')} in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
    L.push(`  device            iCE40 UP5K (SG48, iCEBreaker)`);
    L.push(`  logic cells       ${r.logicCells} / ${r.logicCellsAvailable}  (LUT4 ${r.luts}, carry ${r.carries}, DFF ${r.dffs})`);
    L.push(`  EBR / SPRAM / DSP ${r.ebr} / 30, ${r.spram} / 4, ${r.dsp} / 8`);
    const seeds = report.seedsTried as { seed: number; fmaxMHz: number }[];
    const seedNote = seeds.length > 1 ? `; seed ${r.seed} of ${seeds.map((t) => `${t.seed}: ${t.fmaxMHz}`).join(', ')}` : `; seed ${r.seed}`;
    L.push(`  Fmax after route  ${r.fmaxMHz} MHz (target ${r.targetMHz}; the board clock is ${r.boardClockMHz} MHz${seedNote})`);
    L.push(`  cycles            ${cyc}${r.cyclesPerInference === null ? '' : ` — ${r.cyclesSource}`}`);
    if (r.cyclesPerInference !== null)
      L.push(`  throughput        ${r.inferencesPerSecondAtFmax} ${unit}s/s at Fmax, ${r.inferencesPerSecondAtBoardClock} at ${r.boardClockMHz} MHz`);
  } else if (dev.family === 'xc7' && !v['no-synth']) {
    L.push(
      `ESTIMATE (Yosys synth_xilinx, no place and route) for the ${dev.name}: ${r.luts} LUTs, ${r.carry4} CARRY4, ${r.ffs} FFs, ` +
        `${r.bram36} RAMB36 + ${r.bram18} RAMB18, ${r.dsp48} DSP48; ${cyc}`,
    );
    L.push(`wrote ${join(outDir, 'report.json')} and the design in ${join(outDir, 'rtl')}`);
  } else {
    L.push(`wrote the design to ${join(outDir, 'rtl')}; ${cyc}${r.cyclesPerInference === null ? '' : ` (${r.cyclesSource})`}`);
  }
  const byOp = (report as { cyclesByOp?: Record<string, number> | null }).cyclesByOp;
  if (byOp) L.push(`  cycles by op      ${splitLine(byOp, Number(r.cyclesPerInference))}`);
  process.stdout.write(L.join('\n') + '\n');
  return 0;
}

/** "matmul 25% · mul 31% · …", largest first. */
function splitLine(byOp: Record<string, number>, total: number): string {
  return Object.entries(byOp)
    .sort((a, b) => b[1] - a[1])
    .filter(([, n]) => n / total >= 0.005)
    .map(([op, n]) => `${op} ${((100 * n) / total).toFixed(0)}%`)
    .join(' · ');
}
