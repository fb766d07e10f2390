/**
 * @fileoverview Every option of the `trit` command line, as data: the parser (node:util parseArgs)
 * and `--help` are both generated from this table and from each verb's list of the options it
 * takes, so the help text cannot drift from what is accepted. Also the small checks that turn a
 * flag's string into a number and refuse a bad one with a message naming the flag.
 */
import { TritError } from '../common/errors.js';
import type { LowerOptions } from '../compiler/lower/lower.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** How the value is shown in usage lines (`--seed N`); booleans have none. */
  value?: string;
  help: string;
}

export const OPTIONS = {
  json: { type: 'boolean', help: 'machine-readable output on stdout' },
  help: { type: 'boolean', short: 'h', help: 'this text (`trit <verb> --help`: that verb only)' },
  version: { type: 'boolean', short: 'v', help: 'the version' },
  ir: { type: 'string', value: '<out.tir>', help: 'also write the IR in its text form (docs/IR.md)' },
  golden: { type: 'string', value: '<golden.safetensors>', help: 'golden vectors: inputs and the float reference outputs (docs/golden-format.md)' },
  calibration: {
    type: 'string',
    value: '<inputs.safetensors>',
    help: 'a safetensors file whose input.* tensors calibrate fixed-point ranges (a golden file works); default: calibration.safetensors beside the model, else seeded random inputs',
  },
  'min-agreement': { type: 'string', value: '0.995', help: 'verify: the least argmax agreement on decisive steps that passes' },
  'max-rel-error': { type: 'string', value: '0.05', help: 'verify: the largest relative error of an output that passes' },
  target: { type: 'string', value: 'wasm|verilog', help: 'what to compile to' },
  output: { type: 'string', short: 'o', value: '<path>', help: 'the output file (wasm) or folder (verilog, bench)' },
  simd: { type: 'string', value: 'fixed|relaxed', help: 'fixed SIMD runs everywhere; relaxed needs a runtime with relaxed SIMD' },
  vocab: { type: 'string', value: '<vocab.json>', help: 'token strings when there is no tokenizer (default: vocab.json beside the model)' },
  classes: { type: 'string', value: 'a,b,...', help: 'class names of a classifier' },
  tokenizer: {
    type: 'string',
    value: '<tokenizer.model|tokenizer.json>',
    help: 'the tokenizer to carry in the module (default: the one beside the model)',
  },
  'table-bits': { type: 'string', value: '16|32', help: '16 stores embedding tables as i16 (half the memory of the default i32)' },
  'lut-density': {
    type: 'string',
    value: 'N',
    help: 'sigmoid/tanh table points per unit (default 256; 1024 for models with 4M or more ternary weights; 64 for --target verilog)',
  },
  device: {
    type: 'string',
    value: 'up5k|xc7a35t|...',
    help: 'the FPGA: up5k builds a bitstream; xc7a35t, xc7a50t, xc7a100t, xc7a200t, xc7s50, xc7z020 a Yosys estimate',
  },
  clock: { type: 'string', value: 'MHz', help: 'the board clock (default 12)' },
  baud: { type: 'string', value: 'N', help: 'the UART bridge baud rate (default 115200)' },
  'fmax-target': { type: 'string', value: 'MHz', help: 'the frequency nextpnr places for (default 30)' },
  seed: {
    type: 'string',
    value: 'N',
    help: 'the sampling seed (run), the first placement seed (verilog) or the proposer and training seed (search); default 1 (search: 0)',
  },
  seeds: {
    type: 'string',
    value: 'N',
    help: 'placement seeds to try, from --seed on, until one routes at 24 MHz; the fastest is kept (default 3; 1: no retry)',
  },
  'no-fuse': {
    type: 'boolean',
    help: 'wasm: one kernel call per elementwise node instead of fused loops (same results; for A/B timing and debugging)',
  },
  'no-synth': { type: 'boolean', help: 'write the Verilog and simulate, without Yosys and nextpnr' },
  prompt: { type: 'string', value: '"<text>"', help: 'the prompt to continue' },
  'max-tokens': { type: 'string', value: 'N', help: 'tokens to generate (default 200)' },
  temperature: { type: 'string', value: 'T', help: 'sampling temperature (default 0.8; 0 is greedy)' },
  'top-k': { type: 'string', value: 'K', help: 'sample from the K likeliest tokens (default 0: all)' },
  threads: {
    type: 'string',
    value: 'N',
    help: 'threads sharing the ternary matrix work (wasm threads; default 1; a model with no matrix worth sharing runs on one, and says so)',
  },
  mnist: { type: 'string', value: '<dir>', help: 'MNIST IDX files (t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz)' },
  limit: { type: 'string', value: 'N', help: 'classify only the first N test images' },
  quick: { type: 'boolean', help: 'bench: a two-minute smoke run (small models, one repeat, existing UP5K builds only)' },
  repeats: { type: 'string', value: 'N', help: 'bench: repeats of each measurement (default 3)' },
  db: { type: 'string', value: '<search.sqlite>', help: 'search: the archive (SQLite): created, or continued where a stopped search left it' },
  family: { type: 'string', value: 'mlp', help: 'search: the design space (default mlp: ternary MNIST MLPs)' },
  trials: { type: 'string', value: 'N', help: 'search: finished + failed trials to reach (default 20)' },
  jobs: { type: 'string', value: 'N', help: 'search: trials in parallel, one core each (default 1)' },
  budget: { type: 'string', value: 'seconds', help: 'search: CPU seconds of training per candidate (default 60)' },
  proposer: {
    type: 'string',
    value: '"<command>"',
    help: 'search: an external proposer — the archive as JSON on its stdin, the next candidate as JSON on its stdout (default: the built-in evolutionary one)',
  },
  'train-images': { type: 'string', value: 'N', help: 'search: MNIST training images used (default 60000)' },
  'test-images': { type: 'string', value: 'N', help: 'search: MNIST test images evaluated (default 10000)' },
  'no-fpga': { type: 'boolean', help: 'search: skip the UP5K fit prediction and simulated cycle count' },
  'no-wasm': { type: 'boolean', help: 'search: skip the wasm build and its measured images/s' },
  'place-route': {
    type: 'string',
    value: 'K',
    help: 'search: afterwards, build the K most accurate trials of the accuracy-vs-UP5K-cycles front for real (minutes each) and record logic cells and Fmax',
  },
  report: {
    type: 'string',
    value: '<dir>',
    help: 'search: write the Pareto fronts (SVG) and the archive as report.md into <dir>, instead of searching',
  },
  big: { type: 'string', value: '<370M dir>', help: 'bench: the 370M-shape model folder (default: generated once)' },
  'no-big': { type: 'boolean', help: 'bench: skip the 370M-shape model' },
  fpga: { type: 'string', value: 'auto|skip|rebuild', help: 'bench: reuse, skip or rebuild the UP5K builds' },
  'max-elements': {
    type: 'string',
    value: 'N',
    help: 'the most elements of one tensor a model may make trit build beyond its own bytes (folded constants, activations); default 16,777,216 (docs/security.md)',
  },
  timeout: { type: 'string', value: 'S', help: 'the longest one step of a .wasm may run before it is stopped (default 60 s)' },
  'watts-per-core': { type: 'string', value: 'W', help: 'bench: the per-core power for the modelled CPU energy when no meter is readable' },
} as const satisfies Record<string, OptionSpec>;

export type OptionName = keyof typeof OPTIONS;
/** Parsed flags: strings and booleans by option name. */
export type Flags = Partial<Record<OptionName, string | boolean>>;

/** The options every verb takes. */
export const COMMON: OptionName[] = ['help', 'json', 'max-elements'];

/** parseArgs' option table for a set of option names. */
export function parseSpec(names: readonly OptionName[]) {
  return Object.fromEntries(
    names.map((n) => {
      const o: OptionSpec = OPTIONS[n];
      return [n, o.short ? { type: o.type, short: o.short } : { type: o.type }];
    }),
  ) as Record<string, { type: 'string' | 'boolean'; short?: string }>;
}

/** `-o` for an option with a short name, else `--name`. */
export function flagName(n: OptionName): string {
  const o: OptionSpec = OPTIONS[n];
  return o.short ? `-${o.short}` : `--${n}`;
}

/** `[--name value]` (or `--name value` when required) as shown in usage lines. */
export function usageOf(n: OptionName, required = false): string {
  const o: OptionSpec = OPTIONS[n];
  const s = `${flagName(n)}${o.value ? ` ${o.value}` : ''}`;
  return required ? s : `[${s}]`;
}

export function str(v: Flags, name: OptionName): string | undefined {
  const x = v[name];
  return typeof x === 'string' ? x : undefined;
}

export function intFlag(v: Flags, name: OptionName, d: number, min = 0): number {
  const s = str(v, name);
  if (s === undefined) return d;
  const x = Number(s);
  if (!Number.isInteger(x) || x < min) throw new TritError(`--${name} must be an integer ≥ ${min}, got '${s}'`);
  return x;
}

export function numFlag(v: Flags, name: OptionName, d: number): number {
  const s = str(v, name);
  if (s === undefined) return d;
  const x = Number(s);
  if (!Number.isFinite(x) || x < 0) throw new TritError(`--${name} must be a non-negative number, got '${s}'`);
  return x;
}

export function oneOf<T extends string>(v: Flags, name: OptionName, allowed: readonly T[], d: T): T {
  const s = str(v, name) ?? d;
  if (!(allowed as readonly string[]).includes(s))
    throw new TritError(`--${name} must be ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}, not '${s}'`);
  return s as T;
}

/** --table-bits and --lut-density: lowering choices a user may override. */
export function lowerFlags(v: Flags): Partial<LowerOptions> {
  const o: Partial<LowerOptions> = {};
  const tb = str(v, 'table-bits');
  if (tb !== undefined && tb !== '16' && tb !== '32') throw new TritError(`--table-bits must be 16 or 32, got '${tb}'`);
  if (tb) o.tableBits = Number(tb) as 16 | 32;
  const ld = str(v, 'lut-density');
  if (ld !== undefined) {
    const n = Number(ld);
    if (!Number.isInteger(n) || n < 8 || n > 4096 || (n & (n - 1)) !== 0)
      throw new TritError(`--lut-density must be a power of two from 8 to 4096, got '${ld}'`);
    o.lutDensity = n;
  }
  return o;
}

export const LOWER: OptionName[] = ['calibration', 'table-bits', 'lut-density'];
