/**
 * @fileoverview trit's library entry: compile an ONNX ternary model to the addition-only IR, run
 * it exactly, verify it against golden vectors.
 */
export { compileOnnx, compileCheckpoint, type CompileOptions, type Compiled } from './compile.js';
export { openCheckpoint, type Checkpoint, type CheckpointIO } from './frontends/hf/checkpoint.js';
export { nodeCheckpointIO } from './frontends/hf/node-io.js';
export { Interpreter, type StepResult } from './interp/interp.js';
export { verifyGolden, verifyRunner, readGolden, DEFAULT_TOLERANCES, type VerifyReport, type Tolerances } from './verify.js';
export { printGraph, parseGraph } from './ir/text.js';
export { validate } from './ir/validate.js';
export { analyzeRanges } from './ir/range.js';
export { graphStats, type IRStats } from './ir/stats.js';
export type { IRGraph, IRNode, Const } from './ir/graph.js';
export { TritError } from './errors.js';
export { VERSION } from './version.js';
export { linkWasm, type WasmOptions, type LinkedWasm } from './backends/wasm/link.js';
export { load, TritSession, readMeta, type LoadOptions, type GenerateOptions, type GenerateResult, type Classification } from '../runtime-wasm/host/session.js';
export type { WasmMeta } from '../runtime-wasm/host/format.js';
