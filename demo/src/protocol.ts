/**
 * @fileoverview Messages between a demo page and its model worker (model-worker.ts).
 *
 * The model runs in a dedicated worker so the page stays responsive while it decodes: tokens are
 * posted back as they are sampled, which is what makes the output stream — batched per frame
 * (16 ms), since one message and one DOM update per token cost a small model a third of its speed. Every
 * request carries an id; its answer (or error) carries the same id.
 */
import type { WasmMeta } from '../../runtime-wasm/host/format.js';
import type { GenerateResult } from '../../runtime-wasm/host/session.js';

export interface SampleSettings {
  maxTokens: number;
  seed: number;
  temperature: number;
  topK: number;
}

export type Request =
  | { type: 'load'; id: number; source: string | ArrayBuffer; name: string; threads: number }
  | { type: 'generate'; id: number; prompt: string; settings: SampleSettings }
  | { type: 'classify'; id: number; pixels: Uint8Array }
  | { type: 'compile'; id: number; onnx: ArrayBuffer; name: string; vocab?: string[] };

export interface Loaded {
  meta: Omit<WasmMeta, 'values'>;
  /** Threads the session really runs on (1 when the page is not cross-origin isolated). */
  threads: number;
  requestedThreads: number;
  /** Why `threads` is fewer than requested, when it is (the runtime's words). */
  threadsNote?: string;
  crossOriginIsolated: boolean;
  memoryBytes: number;
  loadMs: number;
}

/** What the session's generate returns, posted back as it is. */
export type Generated = GenerateResult;

export interface Classified {
  label: number;
  name: string;
  scores: number[];
  ms: number;
}

export interface CompiledModel {
  wasm: ArrayBuffer;
  seconds: number;
  summary: string[];
}

export type Reply =
  | { type: 'loaded'; id: number; result: Loaded }
  /** Tokens sampled since the last message: one message per ~16 ms (a frame), not per token. */
  | { type: 'tokens'; id: number; text: string; tokenIds: number[] }
  | { type: 'generated'; id: number; result: Generated }
  | { type: 'classified'; id: number; result: Classified }
  | { type: 'progress'; id: number; stage: string; done: number; total: number }
  | { type: 'compiled'; id: number; result: CompiledModel }
  | { type: 'error'; id: number; message: string };
