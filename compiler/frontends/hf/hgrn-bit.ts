/**
 * @fileoverview A MatMul-free LM checkpoint directory → the float graph of one decode step.
 *
 * The graph is the one `models/trit_models/onnx_lm.py` exports (docs/onnx-format.md), node for
 * node, so both roads meet at the same canonical form and the rest of the compiler is shared:
 *
 *   h = embeddings[id]
 *   per layer n:  a = RMSNorm(h)·attn_norm
 *                 i = BL_i(a); f = σ(BL_f(a)); f = lb[n] + (1 − lb[n])·f   (n > 0)
 *                 h_n = f·state_n + silu(i)·(1 − f)                          → new_state.n
 *                 s = BL_o(RMSNorm(BL_g(a))·g_norm · silu(h_n)) + h
 *                 [gate, up] = BL_gate(RMSNorm(s)·mlp_norm);  h = s + BL_down(silu(gate)·up)
 *   logits = BL_lm_head(RMSNorm(h)·norm)
 *   BL(x) = (q_x / s_x) · W̃ᵀ,  q_x = clip(round(y·s_x)), s_x = 127 / max(max|y|, 1e-5),  y = RMSNorm(x)·g
 *
 * Constant parts are folded here: the lower bounds lb = cumsum(softmax(lower_bounds)) − row 0 are
 * input-independent and become one constant row per layer, and each BitLinear's weight becomes its
 * ternary values and scale (./quantize.ts) as soon as it is read, so the float copy is dropped.
 * The norm weights stay elementwise multiplies: folding one into the ternary matrix would make
 * the matrix non-ternary, and the lowering already turns them into fixed-point constants.
 * Scalars are float32, as the ONNX export stores them.
 */
import { TritError } from '../../../common/errors.js';
import { broadcastShapes } from '../../ir/types.js';
import { evalNode } from '../../float/eval.js';
import type { FAttrs, FConst, FGraph, FNode, FOp } from '../../float/graph.js';
import type { Checkpoint } from './checkpoint.js';
import { expectedSize, expectedTensors, hgrnBitShape, type HgrnBitShape } from './config.js';
import { ternarize } from './quantize.js';

/** The activation-scale floor and the BitLinear RMSNorm eps upstream really uses (matmulfree.md §2.2). */
const ACT_EPS = 1e-5;
const BITLINEAR_EPS = 1e-6;

/** Builds the decode-step float graph from an opened checkpoint. `onTensor` reports reading progress. */
export function importHgrnBit(ck: Checkpoint, onTensor?: (done: number, total: number) => void): { graph: FGraph; shape: HgrnBitShape } {
  const cfgFile = `${ck.dir}/config.json`;
  const shape = hgrnBitShape(ck.config, cfgFile);
  checkTensors(ck, shape);
  const b = new Builder(ck, onTensor);
  const { hidden: d, layers: L, intermediate: I, rmsNormEps: eps } = shape;
  const g = b.g;
  g.name = 'hgrn_bit_decode_step';
  g.meta = {
    format: 'hf-safetensors',
    model_type: 'hgrn_bit',
    hidden_size: String(d),
    num_hidden_layers: String(L),
    intermediate_size: String(I),
    vocab_size: String(shape.vocab),
  };
  b.input('input_ids', [1], true);

  let h = b.op('gather', [b.weight('model.embeddings.weight'), 'input_ids'], {}, [1, d]);
  let lb = '';
  if (shape.useLowerBound) {
    const raw = b.weight('model.lower_bounds');
    const m = b.op('reduce_max', [raw], { axis: 0 }, [1, d]);
    const e = b.op('exp', [b.op('sub', [raw, m])]);
    const sm = b.op('div', [e, b.op('reduce_sum', [e], { axis: 0 }, [1, d])]);
    const cs = b.op('cumsum', [sm], { axis: 0 }, [L, d]);
    lb = b.op('sub', [cs, b.op('slice', [cs], { axis: 0, start: 0, end: 1 }, [1, d])]);
  }
  for (let n = 0; n < L; n++) {
    const p = `model.layers.${n}`;
    const state = b.input(`state.${n}`, [1, d], false);
    const a = b.rmsNorm(h, `${p}.attn_norm.weight`, eps);
    const i = b.bitLinear(a, `${p}.attn.i_proj`);
    let f = b.op('sigmoid', [b.bitLinear(a, `${p}.attn.f_proj`)]);
    const gp = b.bitLinear(a, `${p}.attn.g_proj`);
    if (shape.useLowerBound && n > 0) {
      // lb[0] = 0: layer 0 has no lower bound
      const lbn = b.op('reshape', [b.op('slice', [lb], { axis: 0, start: n, end: n + 1 }, [1, d])], {}, [d]);
      f = b.op('add', [lbn, b.op('mul', [b.op('sub', [b.scalar(1), lbn]), f])]);
    }
    const siluI = b.op('mul', [i, b.op('sigmoid', [i])]);
    const inp = b.op('mul', [siluI, b.op('sub', [b.scalar(1), f])]);
    const hs = b.op('add', [b.op('mul', [f, state]), inp], {}, undefined, `new_state.${n}`);
    const gn = b.rmsNorm(gp, `${p}.attn.g_norm.weight`, eps);
    const o = b.op('mul', [gn, b.op('mul', [hs, b.op('sigmoid', [hs])])]);
    const s = b.op('add', [b.bitLinear(o, `${p}.attn.o_proj`), h]);
    const mm = b.rmsNorm(s, `${p}.mlp_norm.weight`, eps);
    const y = b.bitLinear(mm, `${p}.mlp.gate_proj`);
    const gate = b.op('slice', [y], { axis: 1, start: 0, end: I }, [1, I]);
    const up = b.op('slice', [y], { axis: 1, start: I, end: 2 * I }, [1, I]);
    const z = b.bitLinear(b.op('mul', [b.op('mul', [gate, b.op('sigmoid', [gate])]), up]), `${p}.mlp.down_proj`);
    h = b.op('add', [s, z], {}, undefined, `${p}.out`);
    g.outputs.push({ name: `new_state.${n}`, value: hs });
    g.states.push({ input: state, output: `new_state.${n}` });
  }
  const hn = b.rmsNorm(h, 'model.norm.weight', eps);
  const logits = b.bitLinear(hn, 'lm_head', 'logits');
  g.outputs.unshift({ name: 'logits', value: logits });
  return { graph: g, shape };
}

/** Names the first missing, mis-shaped or unexpected tensor. */
function checkTensors(ck: Checkpoint, s: HgrnBitShape): void {
  // A config.json far larger than the checkpoint (a million layers) is refused before its tensor
  // list is built; a near miss goes on to the list, which names the first tensor that is wrong.
  const need = expectedSize(s);
  if (need.tensors > 2 * ck.tensors.size + 16)
    throw new TritError(
      `config.json (${s.layers} layers, hidden_size ${s.hidden}, vocab_size ${s.vocab}) describes ${need.tensors.toLocaleString('en-US')} tensors ` +
        `of ${need.elements.toLocaleString('en-US')} parameters, but the checkpoint holds ${ck.tensors.size} tensors`,
      { file: `${ck.dir}/config.json` },
      'the weights and config.json are from different models, or shards are missing',
    );
  const want = expectedTensors(s);
  for (const [name, shape] of want) {
    const t = ck.tensors.get(name);
    if (!t)
      throw new TritError(
        `the checkpoint has no tensor '${name}', which config.json (${s.layers} layers, hidden_size ${s.hidden}) needs`,
        { file: ck.dir, tensor: name },
        'the weights and config.json are from different models, or a shard is missing',
      );
    if (t.shape.length !== shape.length || t.shape.some((v, k) => v !== shape[k])) {
      throw new TritError(
        `has shape [${t.shape}] but config.json implies [${shape}]`,
        { file: t.file, tensor: name },
        'the weights and config.json are from different models',
      );
    }
  }
  for (const [name, t] of ck.tensors) {
    if (!want.has(name))
      throw new TritError(
        'is not a tensor of the MatMul-free LM this config.json describes',
        { file: t.file, tensor: name },
        'the checkpoint has parts trit does not know how to compile (or its config.json is wrong)',
      );
  }
}

/** Emits float-graph nodes, folding any whose inputs are all constant (as the ONNX importer does). */
class Builder {
  readonly g: FGraph = { name: '', inputs: [], consts: new Map(), nodes: [], outputs: [], states: [], meta: {} };
  private readonly shapes = new Map<string, number[]>();
  private counter = 0;
  private done = 0;

  constructor(
    private readonly ck: Checkpoint,
    private readonly onTensor?: (done: number, total: number) => void,
  ) {}

  input(name: string, shape: number[], int: boolean): string {
    this.g.inputs.push({ name, shape, int });
    this.shapes.set(name, shape);
    return name;
  }

  private addConst(name: string, c: FConst): string {
    this.g.consts.set(name, c);
    this.shapes.set(name, c.shape);
    return name;
  }

  scalar(v: number): string {
    return this.addConst(`const.${++this.counter}`, { shape: [], data: Float64Array.of(Math.fround(v)), int: false });
  }

  private progress(): void {
    this.onTensor?.(++this.done, this.ck.tensors.size);
  }

  /** A float tensor of the checkpoint as a constant. */
  weight(name: string): string {
    const t = this.ck.tensors.get(name)!;
    const data = Float64Array.from(this.ck.read(name));
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i]))
        throw new TritError(`holds ${data[i]} at element ${i}`, { file: t.file, tensor: name }, 'the checkpoint is corrupt');
    }
    this.progress();
    return this.addConst(name, { shape: t.shape, data, int: false });
  }

  op(op: FOp, inputs: string[], attrs: FAttrs = {}, shape?: number[], out?: string): string {
    const shapes = inputs.map((x) => this.shapes.get(x)!);
    let s = shape;
    if (!s) {
      s = shapes.length === 1 ? shapes[0] : (broadcastShapes(shapes[0], shapes[1]) ?? undefined);
      if (!s)
        throw new TritError(
          `shapes [${shapes[0]}] and [${shapes[1]}] of ${op} do not broadcast`,
          { node: out ?? op },
          'config.json and the tensors disagree on a dimension; check hidden_size and intermediate_size',
        );
    }
    const name = out ?? `${op}.${++this.counter}`;
    const int = op === 'round' || op === 'clip';
    const node: FNode = { out: name, op, inputs, attrs, shape: s, int, src: out ?? op };
    if (inputs.every((x) => this.g.consts.has(x))) {
      // Rounded to float32 after every op, as PyTorch computes it and as the ONNX importer folds
      // the trainer's export of the same checkpoint (compiler/frontends/onnx/fold.ts).
      const data = evalNode(
        node,
        inputs.map((x) => this.g.consts.get(x)!.data),
        shapes,
      ).map(Math.fround);
      return this.addConst(name, { shape: s, data, int });
    }
    this.g.nodes.push(node);
    this.shapes.set(name, s);
    return name;
  }

  /** x / sqrt(mean(x²) + eps) · w over the last axis, spelled as the ONNX export spells it. */
  rmsNorm(x: string, weight: string, eps: number): string {
    const xs = this.shapes.get(x)!;
    const ms = this.op('reduce_mean', [this.op('mul', [x, x])], { axis: xs.length - 1 }, [...xs.slice(0, -1), 1]);
    const r = this.op('recip', [this.op('sqrt', [this.op('add', [ms, this.scalar(eps)])])]);
    return this.op('mul', [this.op('mul', [x, r]), this.weight(weight)]);
  }

  /** RMSNorm → abs-max int8 quantization → ternary matmul with the weight's scale. */
  bitLinear(x: string, name: string, out?: string): string {
    const y = this.rmsNorm(x, `${name}.norm.weight`, BITLINEAR_EPS);
    const ys = this.shapes.get(y)!;
    const amax = this.op('reduce_max', [this.op('abs', [y])], { axis: ys.length - 1 }, [...ys.slice(0, -1), 1]);
    const s = this.op('div', [this.scalar(127), this.op('max', [amax, this.scalar(ACT_EPS)])]);
    const q = this.op('clip', [this.op('round', [this.op('mul', [y, s])])], { lo: -128, hi: 127 });
    const wname = `${name}.weight`;
    const t = this.ck.tensors.get(wname)!;
    const [N, K] = t.shape;
    const { values, scale } = ternarize(this.ck.read(wname), { file: t.file, tensor: wname });
    this.progress();
    const tname = this.addConst(`${wname}.ternary`, { shape: [N, K], data: values, int: true });
    return this.op('ternary_matmul', [this.op('div', [q, s]), tname], { scale }, [...ys.slice(0, -1), N], out);
  }
}
