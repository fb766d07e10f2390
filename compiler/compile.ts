/**
 * @fileoverview The compile pipeline, top to bottom: import (an ONNX file or a checkpoint
 * directory) → canonicalise → calibrate → lower →
 * validate → prove ranges. Each stage is one call so a reader (or a test) can stop after any.
 */
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
}

/** Everything a compile produces. */
export interface Compiled {
  ir: IRGraph;
  float: FGraph;
  valueMap: ValueMap;
  ranges: CalibRanges;
  stats: IRStats;
}

/** Default number of calibration steps: 256, fewer for models whose float evaluation is slow. */
function defaultSteps(g: FGraph): number {
  let params = 0;
  for (const c of g.consts.values()) params += numel(c.shape);
  return Math.max(16, Math.min(256, Math.floor(2e9 / Math.max(params, 1))));
}

/** Models with at least this many ternary weights get dense activation tables (docs/IR.md §8). */
export const DENSE_TABLE_WEIGHTS = 2 ** 22;

/** Points per unit of the sigmoid/tanh tables: 64 (docs/IR.md §8: enough for small models, where
 *  tables are a large share of the bytes — an FPGA's block RAM); 1,024 from 4M ternary weights on,
 *  where tables are well under 1% of the module and the finer interpolation measurably raises
 *  next-token agreement with the float reference (docs/checkpoints.md). */
export function defaultLutDensity(g: FGraph): number {
  let weights = 0;
  for (const n of g.nodes) if (n.op === 'ternary_matmul') weights += numel(g.consts.get(n.inputs[1])?.shape ?? []);
  return weights >= DENSE_TABLE_WEIGHTS ? 1024 : 64;
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
  const progress = opts.onProgress ?? (() => {});
  const seqs = opts.calibration ?? defaultCalibration(float, opts.calibrationSteps ?? defaultSteps(float), 64);
  const ranges = calibrate(float, seqs, (d, t) => progress('calibrate', d, t));
  const lower = { ...opts.lower, lutDensity: opts.lower?.lutDensity ?? defaultLutDensity(float) };
  const { ir, valueMap } = lowerToIR(float, ranges, lower);
  ir.meta.lut_density = String(lower.lutDensity);
  ir.meta.source_sha256 = sourceSha256;
  ir.meta.calibration_steps = String(seqs.reduce((s, q) => s + q.length, 0));
  // Twins the lowering emitted (each BitLinear normalises a shared input again) merge exactly.
  const renamed = eliminateCommonSubexpressions(ir);
  for (const v of valueMap.values()) v.value = renamed.get(v.value) ?? v.value;
  validate(ir);
  analyzeRanges(ir);
  progress('lower', 1, 1);
  return { ir, float, valueMap, ranges, stats: graphStats(ir) };
}
