/**
 * @fileoverview The compile pipeline, top to bottom: import → canonicalise → calibrate → lower →
 * validate → prove ranges. Each stage is one call so a reader (or a test) can stop after any.
 */
import { importOnnx } from './frontends/onnx/import.js';
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

/** Compiles ONNX bytes to validated, range-checked IR. */
export function compileOnnx(bytes: Uint8Array, opts: CompileOptions = {}): Compiled {
  const progress = opts.onProgress ?? (() => {});
  progress('import', 0, 1);
  const float = canonicalize(importOnnx(bytes, { file: opts.file, externalData: opts.externalData }));
  progress('import', 1, 1);
  const seqs = opts.calibration ?? defaultCalibration(float, opts.calibrationSteps ?? defaultSteps(float), 64);
  const ranges = calibrate(float, seqs, (d, t) => progress('calibrate', d, t));
  const { ir, valueMap } = lowerToIR(float, ranges, opts.lower);
  ir.meta.source_sha256 = sha256Hex(bytes);
  ir.meta.calibration_steps = String(seqs.reduce((s, q) => s + q.length, 0));
  // Twins the lowering emitted (each BitLinear normalises a shared input again) merge exactly.
  const renamed = eliminateCommonSubexpressions(ir);
  for (const v of valueMap.values()) v.value = renamed.get(v.value) ?? v.value;
  validate(ir);
  analyzeRanges(ir);
  progress('lower', 1, 1);
  return { ir, float, valueMap, ranges, stats: graphStats(ir) };
}
