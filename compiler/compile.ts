/**
 * @fileoverview The compile pipeline, top to bottom: import (an ONNX file or a checkpoint
 * directory) → canonicalise → calibrate → lower →
 * validate → prove ranges. Each stage is one call so a reader (or a test) can stop after any.
 */
import { TritError } from '../common/errors.js';
import { importOnnx } from './frontends/onnx/import.js';
import { openCheckpoint, type CheckpointIO } from './frontends/hf/checkpoint.js';
import { importHgrnBit } from './frontends/hf/hgrn-bit.js';
import type { ExternalReader } from './frontends/onnx/proto.js';
import { canonicalize } from './float/passes.js';
import type { FGraph } from './float/graph.js';
import { calibrate, defaultCalibration, type CalibRanges, type CalibSequence } from './lower/calibrate.js';
import { lowerToIR, type LowerOptions, type ValueMap } from './lower/lower.js';
import { validate } from './ir/validate.js';
import { eliminateCommonSubexpressions } from './ir/cse.js';
import { analyzeRanges } from './ir/range.js';
import { graphStats, type IRStats } from './ir/stats.js';
import type { IRGraph } from './ir/graph.js';
import { sha256Hex } from './util/hash.js';
import { numel } from './ir/types.js';

/** Options of a compile. */
export interface CompileOptions {
  /** File name for messages. */
  file?: string;
  /** Calibration sequences; default: reproducible random ones (docs/IR.md §Formats). */
  calibration?: CalibSequence[];
  /** Steps of default calibration (fewer for big models). */
  calibrationSteps?: number;
  lower?: Partial<LowerOptions>;
  /** Reader for tensors stored as ONNX external data (the CLI reads them beside the file). */
  externalData?: ExternalReader;
  /** Progress callback: stage name and fraction done. */
  onProgress?: (stage: string, done: number, total: number) => void;
  /** The back-end the formats are chosen for: 'fpga' keeps sigmoid/tanh tables at 64 points per
   *  unit (block RAM is the scarce resource there); 'wasm' (the default, also what `verify` checks)
   *  uses denser tables, which the float model needs to be followed within float32 noise. */
  target?: 'wasm' | 'fpga';
  /** What the calibration sequences are, for the metadata (e.g. 'calibration.safetensors'). */
  calibrationSource?: string;
}

/** Everything a compile produces. */
export interface Compiled {
  ir: IRGraph;
  float: FGraph;
  valueMap: ValueMap;
  ranges: CalibRanges;
  stats: IRStats;
  /** Values whose fixed-point format was sized from calibration (they saturate beyond it). */
  calibrationSized: number;
}

/** Default number of calibration steps: 256, fewer for models whose float evaluation is slow. */
function defaultSteps(g: FGraph): number {
  let params = 0;
  for (const c of g.consts.values()) params += numel(c.shape);
  return Math.max(16, Math.min(256, Math.floor(2e9 / Math.max(params, 1))));
}

/** Models with at least this many ternary weights get dense activation tables (docs/IR.md §8). */
export const DENSE_TABLE_WEIGHTS = 2 ** 22;

/** Points per unit of the sigmoid/tanh tables (docs/IR.md §8). Linear interpolation between
 *  points h apart errs by up to h²/8 · max|σ''| ≈ 0.012·h²: 2.9·10⁻⁶ at 64 points, which on
 *  mmfree-shakespeare-char was the largest error source (layer-0 output 7.5·10⁻³ relative to
 *  PyTorch, through flipped int8 codes downstream) — 1.3·10⁻⁵ at 256 points, for +0.06 MiB of
 *  .wasm. So 256 by default, 1,024 from 4M ternary weights on (tables are then well under 1% of
 *  the module), and 64 for the FPGA, where tables live in scarce block RAM. */
export function defaultLutDensity(g: FGraph, target: CompileOptions['target'] = 'wasm'): number {
  if (target === 'fpga') return 64;
  let weights = 0;
  for (const n of g.nodes) if (n.op === 'ternary_matmul') weights += numel(g.consts.get(n.inputs[1])?.shape ?? []);
  return weights >= DENSE_TABLE_WEIGHTS ? 1024 : 256;
}

/** Compiles ONNX bytes to validated, range-checked IR. */
export function compileOnnx(bytes: Uint8Array, opts: CompileOptions = {}): Compiled {
  const progress = opts.onProgress ?? (() => {});
  progress('import', 0, 1);
  const float = canonicalize(importOnnx(bytes, { file: opts.file, externalData: opts.externalData }));
  progress('import', 1, 1);
  return compileFloat(float, sha256Hex(bytes), opts);
}

/** Compiles a Hugging Face checkpoint directory (a MatMul-free LM: config.json + safetensors). */
export function compileCheckpoint(dir: string, io: CheckpointIO, opts: CompileOptions = {}): Compiled {
  const progress = opts.onProgress ?? (() => {});
  const ck = openCheckpoint(dir, io);
  const { graph } = importHgrnBit(ck, (d, t) => progress('read weights', d, t));
  graph.meta.source = 'checkpoint directory';
  return compileFloat(canonicalize(graph), ck.digest(), opts);
}

/** The shared back half: calibrate → lower → merge twins → validate → prove ranges. */
function compileFloat(float: FGraph, sourceSha256: string, opts: CompileOptions): Compiled {
  try {
    return lowerFloat(float, sourceSha256, opts);
  } catch (e) {
    throw e instanceof TritError ? e.inFile(opts.file) : e;
  }
}

function lowerFloat(float: FGraph, sourceSha256: string, opts: CompileOptions): Compiled {
  const progress = opts.onProgress ?? (() => {});
  const seqs = opts.calibration ?? defaultCalibration(float, opts.calibrationSteps ?? defaultSteps(float), 64);
  const ranges = calibrate(float, seqs, (d, t) => progress('calibrate', d, t));
  const lower = {
    ...opts.lower,
    lutDensity: opts.lower?.lutDensity ?? defaultLutDensity(float, opts.target),
    exactQuant: opts.lower?.exactQuant ?? true,
  };
  const { ir, valueMap, calibrationSized } = lowerToIR(float, ranges, lower);
  ir.meta.lut_density = String(lower.lutDensity);
  ir.meta.source_sha256 = sourceSha256;
  ir.meta.calibration_steps = String(seqs.reduce((s, q) => s + q.length, 0));
  ir.meta.calibration = opts.calibration ? (opts.calibrationSource ?? 'given') : 'random';
  // Twins the lowering emitted (each BitLinear normalises a shared input again) merge exactly.
  const renamed = eliminateCommonSubexpressions(ir);
  for (const v of valueMap.values()) v.value = renamed.get(v.value) ?? v.value;
  try {
    validate(ir);
  } catch (e) {
    // The lowering checks what it emits; anything the validator still finds is a model trit
    // cannot represent exactly, said with the file and what to try.
    if (!(e instanceof TritError)) throw e;
    throw new TritError(
      `trit cannot represent this model in its fixed-point IR (${e.message.replace(/^.*?invalid IR: /, '')})`,
      { node: e.site.node },
      'usually a value far outside what the model computes elsewhere (an extreme constant or activation scale); rescale it before export, or report it with the model',
    );
  }
  analyzeRanges(ir);
  progress('lower', 1, 1);
  return { ir, float, valueMap, ranges, stats: graphStats(ir), calibrationSized };
}
