/**
 * @fileoverview The MatMul-free LM's config.json (`model_type: "hgrn_bit"`, as upstream's
 * ridger/MMfreeLM-* repositories ship it) and the tensors such a checkpoint must hold
 * (ridgerchu/matmulfreellm, mmfreelm/models/hgrn_bit/configuration_hgrn_bit.py): names and shapes, nothing missing and nothing extra.
 */
import { TritError } from '../../../common/errors.js';

/** The dimensions trit needs from config.json. */
export interface HgrnBitShape {
  vocab: number;
  /** hidden_size d */
  hidden: number;
  layers: number;
  /** I = intermediate_size, or 256·ceil(int(d·hidden_ratio·2/3)/256) when null (upstream's rule). */
  intermediate: number;
  rmsNormEps: number;
  useLowerBound: boolean;
  bos?: number;
  eos?: number;
}

/** Reads and checks config.json; refuses the variants whose math trit does not implement. */
export function hgrnBitShape(cfg: Record<string, unknown>, file: string): HgrnBitShape {
  const site = { file };
  if (cfg.model_type !== 'hgrn_bit') {
    throw new TritError(
      `model_type ${JSON.stringify(cfg.model_type)} is not supported from a directory`,
      site,
      'trit reads MatMul-free LM checkpoints (model_type "hgrn_bit", ridger/MMfreeLM-*) from a directory; export other models to ONNX',
    );
  }
  const int = (k: string, def?: number): number => {
    const v = cfg[k] ?? def;
    if (!Number.isSafeInteger(v) || (v as number) <= 0) throw new TritError(`"${k}" must be a positive integer, got ${JSON.stringify(cfg[k])}`, site);
    return v as number;
  };
  const want = (k: string, ok: unknown, why: string) => {
    if (cfg[k] !== undefined && cfg[k] !== null && cfg[k] !== ok)
      throw new TritError(`"${k}": ${JSON.stringify(cfg[k])} is not supported (only ${JSON.stringify(ok)})`, site, why);
  };
  want('num_heads', 1, 'the published MatMul-free LMs use one head');
  want('expand_ratio', 1, 'the published MatMul-free LMs use expand_ratio 1');
  want('use_short_conv', false, 'the published MatMul-free LMs have no short convolution');
  want('hidden_act', 'swish', 'the channel mixer is a SwiGLU');
  want('tie_word_embeddings', false, 'lm_head is its own ternary BitLinear in the MatMul-free LM');
  const hidden = int('hidden_size'),
    ratio = int('hidden_ratio', 4);
  const intermediate = cfg.intermediate_size == null ? 256 * Math.ceil(Math.trunc((hidden * ratio * 2) / 3) / 256) : int('intermediate_size');
  const eps = cfg.rms_norm_eps ?? 1e-6;
  if (typeof eps !== 'number' || !(eps > 0 && eps < 1))
    throw new TritError(`"rms_norm_eps" must be a small positive number, got ${JSON.stringify(cfg.rms_norm_eps)}`, site);
  const opt = (k: string) => (Number.isSafeInteger(cfg[k]) ? (cfg[k] as number) : undefined);
  return {
    vocab: int('vocab_size'),
    hidden,
    layers: int('num_hidden_layers'),
    intermediate,
    rmsNormEps: eps,
    useLowerBound: cfg.use_lower_bound !== false,
    bos: opt('bos_token_id'),
    eos: opt('eos_token_id'),
  };
}

/** How many tensors and elements `expectedTensors(s)` lists, computed without listing them: a
 *  config.json is checked against the checkpoint with these before anything is built from it
 *  (a config with a million layers would otherwise build a million-entry list first). */
export function expectedSize(s: HgrnBitShape): { tensors: number; elements: number } {
  const { vocab: V, hidden: d, layers: L, intermediate: I } = s;
  const perLayer = d + 3 * (d * d + d) + d + d * d + d + d + 2 * I * d + d + d * I + I;
  return { tensors: 1 + (s.useLowerBound ? 1 : 0) + 15 * L + 3, elements: 2 * V * d + (s.useLowerBound ? L * d : 0) + L * perLayer + 2 * d };
}

/** Every tensor the checkpoint must hold, with its shape, in upstream's state-dict order. */
export function expectedTensors(s: HgrnBitShape): Map<string, number[]> {
  const { vocab: V, hidden: d, layers: L, intermediate: I } = s;
  const m = new Map<string, number[]>([['model.embeddings.weight', [V, d]]]);
  if (s.useLowerBound) m.set('model.lower_bounds', [L, d]);
  for (let n = 0; n < L; n++) {
    const p = `model.layers.${n}`;
    m.set(`${p}.attn_norm.weight`, [d]);
    for (const x of ['i', 'f', 'g']) {
      m.set(`${p}.attn.${x}_proj.weight`, [d, d]);
      m.set(`${p}.attn.${x}_proj.norm.weight`, [d]);
    }
    m.set(`${p}.attn.g_norm.weight`, [d]);
    m.set(`${p}.attn.o_proj.weight`, [d, d]);
    m.set(`${p}.attn.o_proj.norm.weight`, [d]);
    m.set(`${p}.mlp_norm.weight`, [d]);
    m.set(`${p}.mlp.gate_proj.weight`, [2 * I, d]);
    m.set(`${p}.mlp.gate_proj.norm.weight`, [d]);
    m.set(`${p}.mlp.down_proj.weight`, [d, I]);
    m.set(`${p}.mlp.down_proj.norm.weight`, [I]);
  }
  m.set('model.norm.weight', [d]);
  m.set('lm_head.weight', [V, d]);
  m.set('lm_head.norm.weight', [d]);
  return m;
}
