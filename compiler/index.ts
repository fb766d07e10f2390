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
export { TritError } from '../common/errors.js';
export { VERSION } from '../common/version.js';
export { linkWasm, type WasmOptions, type LinkedWasm } from './backends/wasm/link.js';
