/**
 * @fileoverview The valid files the fuzz generators start from, built once per run: a tiny LM
 * (ONNX, golden vectors, compiled .wasm), a tiny classifier (.wasm and MNIST-format IDX files), a
 * tiny MatMul-free checkpoint directory and small tokenizers. Small on purpose: a case should take
 * milliseconds, so that ten thousand of them take minutes.
 */
import { gzipSync } from 'node:zlib';
import { compileOnnx } from '../compiler/compile.js';
import { expectedTensors } from '../compiler/frontends/hf/config.js';
import { writeSafetensors, type STensor } from '../compiler/formats/safetensors.js';
import { linkWasm } from '../compiler/backends/wasm/link.js';
import { buildColumnsClassifier, buildMatmulFreeLM, type ColumnsConfig, type LMConfig } from '../fixtures/models.js';
import { lmGolden } from '../fixtures/zoo-random.js';
import { rng } from '../common/rng.js';

export const LM: LMConfig = { vocab: 64, d: 16, layers: 1, inter: 32, seed: 5 };
export const CLASSIFIER: ColumnsConfig = { inputs: 784, columns: 2, width: 8, hidden: 8, classes: 10, seed: 4 };

export interface Assets {
  lmOnnx: Uint8Array;
  lmGolden: Uint8Array;
  lmWasm: Uint8Array;
  /** the LM with a tokenizer.json carried in the module */
  lmWasmTok: Uint8Array;
  tokenizerJson: string;
  classifierWasm: Uint8Array;
  idxImages: Uint8Array;
  idxLabels: Uint8Array;
  checkpoint: { config: string; safetensors: Uint8Array };
}

/** A Llama-kind BPE tokenizer.json over a 64-token vocabulary (the LM's). */
export function tinyTokenizerJson(): string {
  const vocab: Record<string, number> = {};
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\u2581.,';
  [...chars].forEach((c, i) => (vocab[c] = i));
  const merges = ['t h', 'h e', 'a n', 'i n', 'e r', 'o n', 'r e', 'th e', '\u2581 t'];
  merges.forEach((m, i) => (vocab[m.replace(' ', '')] = chars.length + i));
  return JSON.stringify({
    version: '1.0',
    added_tokens: [],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Prepend', prepend: '\u2581' },
        { type: 'Replace', pattern: { String: ' ' }, content: '\u2581' },
      ],
    },
    pre_tokenizer: null,
    model: { type: 'BPE', vocab, merges, unk_token: null, fuse_unk: false, byte_fallback: false },
    decoder: null,
  });
}

function idx(dims: number[], data: Uint8Array): Uint8Array {
  const head = new Uint8Array(4 + 4 * dims.length);
  head.set([0, 0, 8, dims.length]);
  const dv = new DataView(head.buffer);
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(head.length + data.length);
  out.set(head);
  out.set(data, head.length);
  return gzipSync(out);
}

function checkpoint(): Assets['checkpoint'] {
  const shape = { vocab: 32, hidden: 16, layers: 1, intermediate: 16, rmsNormEps: 1e-6, useLowerBound: true };
  const r = rng(9);
  const tensors: Record<string, STensor> = {};
  for (const [name, s] of expectedTensors(shape))
    tensors[name] = { dtype: 'F32', shape: s, data: Float64Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => r() - 0.5) };
  const config = {
    model_type: 'hgrn_bit',
    vocab_size: 32,
    hidden_size: 16,
    num_hidden_layers: 1,
    intermediate_size: 16,
    hidden_ratio: 4,
    num_heads: 1,
    rms_norm_eps: 1e-6,
    use_lower_bound: true,
    tie_word_embeddings: false,
  };
  return { config: JSON.stringify(config), safetensors: writeSafetensors(tensors, { format: 'pt' }) };
}

let cached: Promise<Assets> | undefined;

/** The base files (built on first use). */
export function assets(): Promise<Assets> {
  return (cached ??= build());
}

async function build(): Promise<Assets> {
  const lmOnnx = buildMatmulFreeLM(LM);
  const lm = compileOnnx(lmOnnx, { file: 'lm.onnx' });
  const tokenizerJson = tinyTokenizerJson();
  const tokenizer = { format: 'tokenizer.json' as const, file: 'tokenizer.json', bytes: new TextEncoder().encode(tokenizerJson), addBos: false };
  const cls = compileOnnx(buildColumnsClassifier(CLASSIFIER), { file: 'classifier.onnx' });
  const r = rng(2);
  const images = Uint8Array.from({ length: 16 * 784 }, () => Math.floor(r() * 256));
  const labels = Uint8Array.from({ length: 16 }, (_, i) => i % 10);
  return {
    lmOnnx,
    lmGolden: await lmGolden(LM, 2, 6, 2, 3),
    lmWasm: linkWasm(lm.ir, { simd: 'fixed' }).bytes,
    lmWasmTok: linkWasm(lm.ir, { simd: 'fixed', tokenizer }).bytes,
    tokenizerJson,
    classifierWasm: linkWasm(cls.ir, { simd: 'fixed' }).bytes,
    idxImages: idx([16, 28, 28], images),
    idxLabels: idx([16], labels),
    checkpoint: checkpoint(),
  };
}
