/**
 * @fileoverview The contract between a compiled model (.wasm) and the host: the `trit` custom
 * section (JSON) and the exports every model has. Shared by the compiler and the runtime.
 */

/** Custom section holding the model's metadata as UTF-8 JSON. */
export const META_SECTION = 'trit';

/** Custom section holding the tokenizer file the model was compiled with, byte for byte. */
export const TOKENIZER_SECTION = 'trit.tokenizer';

/** Tokenizer files a model can carry: a SentencePiece `tokenizer.model` or a `tokenizer.json`. */
export type TokenizerFormat = 'sentencepiece' | 'tokenizer.json';

/** Custom section holding the constants (weights, tables, embeddings): segments the host copies
 *  into linear memory before the first run (runtime-wasm/host/binary.ts dataPayload). */
export const DATA_SECTION = 'trit.data';

/** Bumped whenever the layout or the exports change incompatibly. */
export const WASM_FORMAT = 3; // 2: the memory import is declared shared; 3: constants in DATA_SECTION

/** A tensor the host reads or writes, at a fixed address. */
export interface TensorSlot {
  name: string;
  /** Storage in memory: every integer value is stored as i32; f32 edges as f32. */
  storage: 'i32' | 'f32';
  /** The IR dtype (the range the integers keep to). */
  dtype: 'i8' | 'i16' | 'i32' | 'f32';
  shape: number[];
  frac: number;
  offset: number;
  /** Integer inputs that index a table: ids must be in [0, limit). */
  limit?: number;
}

export interface WasmMeta {
  format: number;
  tritVersion: string;
  model: string;
  /** sha256 of the source ONNX file. */
  sourceSha256: string;
  /** 'lm' (token in, logits out, recurrent state), 'classifier' (image in, scores out) or 'other'. */
  kind: 'lm' | 'classifier' | 'other';
  /** Vocabulary (LM, one string per id) or class names (classifier). */
  vocab?: string[];
  classes?: string[];
  /** The tokenizer in the TOKENIZER_SECTION (LMs compiled from a checkpoint directory): its
   *  format, the file it came from, and whether a prompt starts with <s> (add_bos_token). */
  tokenizer?: { format: TokenizerFormat; file: string; bytes: number; addBos: boolean };
  inputs: TensorSlot[];
  outputs: TensorSlot[];
  /** The output step/forward/classify return (logits or class scores), not a state. */
  primary: string;
  states: { name: string; offset: number; bytes: number }[];
  /** Memory the model needs, in 64 KiB pages. */
  pages: number;
  /** Address of the thread control block. */
  ctl: number;
  /** Most threads the model runs with (its jobs are cut into at most 16 chunks). */
  maxThreads: number;
  /** Matrix steps (ternary matmuls) per step, and how many of them threads share: only those of at
   *  least `minWeights` weights (smaller ones cost more to share than to compute). */
  threading?: { matrices: number; shared: number; minWeights: number };
  /** SIMD flavour of the kernels: 'fixed' or 'relaxed'. */
  simd: 'fixed' | 'relaxed';
  /** Bytes by kind, for reports. */
  sizes: { weights: number; tables: number; activations: number; kernels: number };
  /** Per-inference statistics of the IR (adds, subs, ...). */
  stats?: Record<string, number>;
  /** Addresses of every IR value (for layer-by-layer checks), when compiled with debug. */
  values?: Record<string, { offset: number; n: number }>;
  /** Free-form facts from the IR (formats, calibration). */
  irMeta?: Record<string, string>;
}

/** Exports of a model module. */
export interface ModelExports {
  /** One inference or decode step; nthreads ≥ 1 workers share the matrix work. */
  run(nthreads: number): void;
  /** A decode step that only advances the recurrent state (no outputs): prefill. */
  advance(nthreads: number): void;
  /** Zeroes the recurrent state. */
  reset(): void;
  /** Worker body: returns when stop() is called. `seen` is the generation at pool start. */
  worker(tid: number, nthreads: number, seen: number): void;
  stop(nthreads: number): void;
}

/** Major.minor of the trit that compiled a model must equal the runtime's. */
export function compatible(a: string, b: string): boolean {
  const mm = (v: string) => v.split('.').slice(0, 2).join('.');
  return mm(a) === mm(b);
}
