/**
 * @fileoverview ONNX → float graph. Translates standard-opset nodes, folds every constant
 * subgraph as it goes, and recognises ternary weights by their values (docs/onnx-format.md).
 *
 * Exporters differ (torch.onnx.export, onnx.helper scripts, quantization tools), so nothing here
 * keys on names or exact op sequences: a MatMul/Gemm/MatMulInteger whose constant operand, after
 * folding, takes only the values {−c, 0, +c} becomes a ternary matmul with scale c.
 */
import { budget, checkElements } from '../../../common/budget.js';
import { TritError } from '../../../common/errors.js';
import { broadcastShapes, numel } from '../../ir/types.js';
import { evalNode } from '../../float/eval.js';
import type { FAttrs, FConst, FGraph, FNode, FOp } from '../../float/graph.js';
import {
  attrs,
  checkedNumel,
  decodeModel,
  defaultOpset,
  isIntType,
  readTensor,
  toNum,
  typeName,
  type ExternalReader,
  type NodeProto,
} from './proto.js';
import { maxAbs } from '../../util/minmax.js';
import { FOLD, foldNode, FLOAT, INT64, isFloatType, type CT } from './fold.js';

/** Options for the import. */
export interface ImportOptions {
  /** Name used in error messages (the file path). */
  file?: string;
  /** Reads tensors stored as ONNX external data (big models); given by callers that know the path. */
  externalData?: ExternalReader;
}

/** Decodes and imports an ONNX model. */
export function importOnnx(bytes: Uint8Array, opts: ImportOptions = {}): FGraph {
  const file = opts.file ?? '<onnx>';
  const model = decodeModel(bytes, file);
  const opset = defaultOpset(model, file);
  return new Importer(model, opset, file, opts.externalData).run();
}

// Not exported; its helpers are not private because the op table below (TRANSLATE) calls them.
class Importer {
  g: FGraph;
  info = new Map<string, { shape: number[]; int: boolean; dtype: number }>();
  counter = 0;
  /** Elements built beyond the file's own bytes so far (see account). */
  created = 0;
  node: NodeProto | null = null;
  /** For folded constants: the initializer they were computed from (for error messages). */
  origin = new Map<string, string>();

  /** Remaining ONNX consumers of each value: a folded constant nobody needs any more is freed at
   *  once, so importing a big model holds about one float copy of one matrix at a time. */
  uses = new Map<string, number>();
  /** Values the float graph's nodes reference (never freed). */
  referenced = new Set<string>();

  constructor(
    readonly model: ReturnType<typeof decodeModel>,
    readonly opset: number,
    readonly file: string,
    readonly external?: ExternalReader,
  ) {
    this.g = {
      name: model.graph!.name || 'model',
      inputs: [],
      consts: new Map(),
      nodes: [],
      outputs: [],
      states: [],
      meta: { opset: String(opset), producer: model.producerName ?? '' },
    };
  }

  site(tensor?: string) {
    return {
      file: this.file,
      node: this.node ? this.node.name || `${this.node.opType} #${this.model.graph!.node!.indexOf(this.node)}` : undefined,
      tensor,
    };
  }

  fail(msg: string, hint?: string, tensor?: string): never {
    throw new TritError(msg, this.site(tensor), hint);
  }

  run(): FGraph {
    const graph = this.model.graph!;
    for (const init of graph.initializer ?? []) {
      const name = init.name ?? '';
      const t = readTensor(init, { file: this.file, tensor: name }, this.external);
      this.addConst(name, { shape: t.dims, data: t.data, int: t.int }, t.dtype);
    }
    for (const n of graph.node ?? []) for (const x of n.input ?? []) this.uses.set(x, (this.uses.get(x) ?? 0) + 1);
    for (const o of graph.output ?? []) this.uses.set(o.name ?? '', Infinity);
    for (const vi of graph.input ?? []) {
      const name = vi.name ?? '';
      if (this.g.consts.has(name)) continue; // initializer listed as input (old exporters)
      const tt = vi.type?.tensorType;
      if (!tt) this.fail(`input '${name}' is not a tensor`, undefined, name);
      const dims = (tt!.shape?.dim ?? []).map((d) => (d.dimValue != null && toNum(d.dimValue) > 0 ? toNum(d.dimValue) : 1));
      checkedNumel(dims, { file: this.file, tensor: name });
      const int = isIntType(tt!.elemType ?? 1);
      this.g.inputs.push({ name, shape: dims, int });
      this.info.set(name, { shape: dims, int, dtype: tt!.elemType ?? FLOAT });
    }
    for (const n of graph.node ?? []) {
      this.node = n;
      if (n.domain && n.domain !== 'ai.onnx') this.unsupported(n);
      this.translate(n);
      this.release(n);
    }
    this.node = null;
    for (const vo of graph.output ?? []) {
      const name = vo.name ?? '';
      if (!this.info.has(name)) this.fail(`output '${name}' is not produced by any node`, undefined, name);
      if (this.g.outputs.some((o) => o.name === name))
        this.fail(`output '${name}' is listed twice`, 'each graph output must have its own name', name);
      this.g.outputs.push({ name, value: name });
    }
    if (this.g.outputs.length === 0) this.fail('the graph has no outputs');
    this.pairStates();
    return this.g;
  }

  /** Pairs each float input X with an output named `new_X` or `X_out`: the decode-step state. */
  pairStates(): void {
    for (const i of this.g.inputs) {
      const o = this.g.outputs.find((x) => x.name === `new_${i.name}` || x.name === `${i.name}_out`);
      if (!o || i.int) continue;
      const oi = this.info.get(o.value)!;
      if (numel(oi.shape) !== numel(i.shape))
        this.fail(`state '${i.name}' has shape [${i.shape}] but '${o.name}' has [${oi.shape}]`, "a state output must have its input's shape", o.name);
      this.g.states.push({ input: i.name, output: o.name });
    }
  }

  /** Frees constants no later node and no emitted node needs (folded weights, casts). */
  release(n: NodeProto): void {
    for (const x of n.input ?? []) {
      const left = (this.uses.get(x) ?? 1) - 1;
      this.uses.set(x, left);
      if (left <= 0 && !this.referenced.has(x)) this.g.consts.delete(x);
    }
    for (const o of n.output ?? []) if (!this.uses.get(o) && !this.referenced.has(o) && this.g.consts.has(o)) this.g.consts.delete(o);
  }

  unsupported(n: NodeProto): never {
    const dom = n.domain && n.domain !== 'ai.onnx' ? ` of domain '${n.domain}'` : '';
    if (!dom && CONSTANT_ONLY_OPS.includes(n.opType ?? '')) {
      const runtime = (n.input ?? []).filter((x) => x && !this.g.consts.has(x));
      this.fail(
        `op ${n.opType} is supported on constants only, and its input '${runtime[0]}' depends on the model's input`,
        `trit evaluates ${n.opType} at compile time (shape arithmetic, weight quantizers); on run-time values it reads only: ${SUPPORTED_OPS.join(', ')}`,
      );
    }
    this.fail(
      `op ${n.opType}${dom} is not supported`,
      `trit reads these standard ONNX ops: ${SUPPORTED_OPS.join(', ')}; and on constants also ${CONSTANT_ONLY_OPS.join(', ')}`,
    );
  }

  addConst(name: string, c: FConst, dtype = c.int ? INT64 : FLOAT): void {
    this.g.consts.set(name, c);
    this.info.set(name, { shape: c.shape, int: c.int, dtype });
  }

  /** A constant with its ONNX element type, for the folder. */
  ct(name: string): CT | undefined {
    const c = this.g.consts.get(name);
    return c && { dtype: this.info.get(name)!.dtype, shape: c.shape, data: c.data };
  }

  /** Evaluates a node whose inputs are all constants, by the ONNX definition (./fold.ts). */
  tryFold(n: NodeProto, ins: string[], outs: string[]): boolean {
    const present = ins.filter(Boolean);
    if (present.length === 0 || !present.every((x) => this.g.consts.has(x)) || !FOLD[n.opType ?? '']) return false;
    const r = foldNode(
      n,
      ins.map((x) => (x ? this.ct(x) : undefined)),
      this.opset,
      this.site(outs[0]),
    );
    if (!r) return false;
    const largest = Math.max(...present.map((x) => this.g.consts.get(x)!.data.length));
    r.forEach((t, i) => {
      if (!outs[i]) return;
      this.account(t.data.length - largest, outs[i]);
      this.addConst(outs[i], { shape: t.shape, data: t.data, int: !isFloatType(t.dtype) }, t.dtype);
      const big = present.reduce((p, x) => (numel(this.g.consts.get(x)!.shape) > numel(this.g.consts.get(p)!.shape) ? x : p));
      this.origin.set(outs[i], this.origin.get(big) ?? big);
    });
    return true;
  }

  /** Counts what the model makes trit build beyond its own bytes (activations, constants folded
   *  larger than their inputs) against the model's total budget. */
  account(grown: number, name: string): void {
    if (grown <= 0) return;
    this.created += grown;
    checkElements(this.created, 'the activations and computed constants of this model together', this.site(name), budget().totalElements);
  }

  fresh(base: string): string {
    return `${base}.${++this.counter}`;
  }

  shapeOf(name: string): number[] {
    const i = this.info.get(name);
    if (!i) this.fail(`input '${name}' is not defined (missing initializer or node output)`, 'the graph is incomplete or out of order', name);
    return i!.shape;
  }

  constOf(name: string, what: string): FConst {
    const c = this.g.consts.get(name);
    if (!c) this.fail(`${what} ('${name}') must be a constant`, 'trit needs static shapes and parameters; fold it before export', name);
    return c!;
  }

  /** Adds a node, or folds it into a constant when every input is constant. Returns the value's name. */
  emit(op: FOp, inputs: string[], a: FAttrs, shape: number[], int: boolean, out?: string): string {
    const name = out ?? this.fresh(this.node?.output?.[0] || op);
    const folds = inputs.length > 0 && inputs.every((x) => this.g.consts.has(x));
    const largest = folds ? Math.max(...inputs.map((x) => this.g.consts.get(x)!.data.length)) : 0;
    this.account(checkedNumel(shape, this.site(name), Math.max(budget().elements, largest)) - largest, name);
    const node: FNode = { out: name, op, inputs, attrs: a, shape, int, src: this.node?.name || this.node?.opType || op };
    if (folds) {
      const data = evalNode(
        node,
        inputs.map((x) => this.g.consts.get(x)!.data),
        inputs.map((x) => this.g.consts.get(x)!.shape),
      );
      this.addConst(name, { shape, data, int });
      const big = inputs.reduce((p, x) => (numel(this.g.consts.get(x)!.shape) > numel(this.g.consts.get(p)!.shape) ? x : p));
      this.origin.set(name, this.origin.get(big) ?? big);
      return name;
    }
    this.g.nodes.push(node);
    for (const x of inputs) this.referenced.add(x);
    this.info.set(name, { shape, int, dtype: int ? INT64 : FLOAT });
    return name;
  }

  unary(op: FOp, x: string, out?: string, int = false): string {
    return this.emit(op, [x], {}, this.shapeOf(x), int, out);
  }

  binary(op: FOp, x: string, y: string, out?: string): string {
    const s = broadcastShapes(this.shapeOf(x), this.shapeOf(y));
    if (!s) this.fail(`operand shapes [${this.shapeOf(x)}] and [${this.shapeOf(y)}] do not broadcast`, "the model's dimensions do not fit together");
    const int = op !== 'div' && op !== 'pow' && this.info.get(x)!.int && this.info.get(y)!.int;
    return this.emit(op, [x, y], {}, s!, int, out);
  }

  scalar(v: number, int = false): string {
    const name = this.fresh('const');
    this.addConst(name, { shape: [], data: Float64Array.of(v), int });
    return name;
  }

  axis(a: number, rank: number): number {
    const ax = a < 0 ? a + rank : a;
    if (ax < 0 || ax >= Math.max(rank, 1)) this.fail(`axis ${a} is out of range for rank ${rank}`);
    return ax;
  }

  reshape(x: string, shape: number[], out?: string): string {
    if (numel(shape) !== numel(this.shapeOf(x)))
      this.fail(`cannot reshape [${this.shapeOf(x)}] to [${shape}]`, "the model's dimensions do not fit together");
    return this.emit('reshape', [x], {}, shape, this.info.get(x)!.int, out);
  }

  reduce(op: FOp, x: string, axes: number[] | undefined, keep: boolean, out?: string): string {
    const s = this.shapeOf(x);
    const all = axes === undefined || axes.length === 0 ? s.map((_, i) => i) : axes.map((a) => this.axis(a, s.length));
    const real = all.filter((a) => s[a] !== 1);
    let v = x;
    const kept = s.slice();
    if (real.length > 1) this.fail(`reducing over several axes (${all}) at once is not supported`, 'reduce over one axis at a time');
    for (const a of all) kept[a] = 1;
    if (real.length === 1) v = this.emit(op, [x], { axis: real[0] }, kept, op === 'argmax' || this.info.get(x)!.int);
    else if (op === 'argmax') v = this.emit('mul', [x, this.scalar(0, true)], {}, s, true); // argmax over a size-1 axis is 0
    const final = keep ? kept : s.filter((_, i) => !all.includes(i));
    return this.reshape(v, final, out);
  }

  translate(n: NodeProto): void {
    const ins = (n.input ?? []).map((s) => s ?? '');
    const outs = (n.output ?? []).map((s) => s ?? '');
    const A = attrs(n);
    const o = outs[0];
    const x = ins[0];
    if (ins.length === 0 && !['Constant'].includes(n.opType ?? '')) this.fail(`${n.opType} has no inputs`);
    if (outs.length === 0 || !o) this.fail(`${n.opType} has no output`, 'every node names its output');
    const need = MIN_INPUTS[n.opType ?? ''] ?? 1;
    if (ins.slice(0, need).some((i) => !i) || ins.length < need)
      this.fail(
        `${n.opType} takes at least ${need} inputs, got ${ins.filter(Boolean).length}`,
        'the graph is incomplete (an input name is empty or missing)',
      );
    for (const i of ins) if (i) this.shapeOf(i);
    // ONNX graphs are in single-assignment form: a name defined twice would let a later node
    // read a value an earlier one was still using.
    const twice = outs.find((x) => x && (this.info.has(x) || outs.indexOf(x) !== outs.lastIndexOf(x)));
    if (twice !== undefined)
      this.fail(
        `tensor '${twice}' is defined twice (by this node and an initializer, input or earlier node)`,
        'each tensor name must be produced once',
        twice,
      );
    if (this.tryFold(n, ins, outs)) return;
    const rule = Object.hasOwn(TRANSLATE, n.opType ?? '') ? TRANSLATE[n.opType!] : undefined;
    if (!rule) this.unsupported(n);
    rule!(this, { n, ins, outs, A, o, x });
  }

  slice(x: string, axis: number, start: number, end: number, out?: string): string {
    const s = this.shapeOf(x).slice();
    s[axis] = end - start;
    return this.emit('slice', [x], { axis, start, end }, s, this.info.get(x)!.int, out);
  }

  transpose(x: string, perm: number[], out?: string): string {
    const s = this.shapeOf(x);
    if (perm.length !== s.length || [...perm].sort().some((p, i) => p !== i)) this.fail(`bad Transpose perm [${perm}] for rank ${s.length}`);
    const shape = perm.map((p) => s[p]);
    const moved = perm.filter((p) => s[p] !== 1);
    if (!this.g.consts.has(x) && moved.every((p, i) => i === 0 || p > moved[i - 1])) return this.reshape(x, shape, out);
    return this.emit('transpose', [x], { perm }, shape, this.info.get(x)!.int, out);
  }

  /** x[.., K] · B[K, N]: ternary when B is a constant taking only {−c, 0, +c}. */
  matmul(x: string, b: string, out?: string): string {
    const xs = this.shapeOf(x),
      bs = this.shapeOf(b);
    if (bs.length !== 2 || xs.at(-1) !== bs[0]) this.fail(`MatMul shapes [${xs}] × [${bs}] do not fit`, "the model's dimensions do not fit together");
    const shape = [...xs.slice(0, -1), bs[1]];
    const B = this.g.consts.get(b);
    if (!B) {
      if (this.g.consts.has(x)) this.fail('MatMul with a constant left operand is not supported', 'put the weight on the right: y = x · W');
      this.fail(
        `MatMul of two activations ('${x}' × '${b}') is not addition-only`,
        'trit compiles matrix layers whose weights are constant and ternary',
      );
    }
    const [K, N] = bs;
    const c = maxAbs(B!.data);
    const T = new Int8Array(N * K);
    const off: number[] = [];
    for (let k = 0; k < K; k++)
      for (let j = 0; j < N; j++) {
        const v = B!.data[k * N + j];
        const t = v === 0 ? 0 : Math.abs(Math.abs(v) - c) <= 1e-6 * c ? Math.sign(v) : NaN;
        if (Number.isNaN(t)) {
          if (off.length < 4) off.push(v);
          continue;
        }
        T[j * K + k] = t;
      }
    if (off.length) {
      const distinct = [...new Set(B!.data)].sort((p, q) => p - q);
      const shown =
        distinct.length <= 6
          ? distinct.map((v) => +v.toPrecision(4)).join(', ')
          : `${distinct
              .slice(0, 5)
              .map((v) => +v.toPrecision(4))
              .join(', ')}, …`;
      const src = this.origin.get(b) ?? b;
      this.fail(
        `weight '${src}' is not ternary: it takes ${distinct.length} distinct values (${shown}); a ternary weight takes only 0 and ±c`,
        'trit compiles ternary matrix layers only: quantize the weight to {−c, 0, +c} (abs-mean ternarization) before export',
        src,
      );
    }
    const tname = `${b}.ternary`;
    if (!this.g.consts.has(tname)) this.addConst(tname, { shape: [N, K], data: T, int: true });
    return this.emit('ternary_matmul', [x, tname], { scale: c === 0 ? 1 : c }, shape, false, out);
  }
}

/** What a rule sees of one ONNX node: its inputs and outputs (names; '' for an omitted optional one), attributes, first input and first output. */
interface Site {
  n: NodeProto;
  ins: string[];
  outs: string[];
  A: ReturnType<typeof attrs>;
  o: string;
  x: string;
}
type Rule = (im: Importer, s: Site) => void;

/** Identity, Dropout. */
function onIdentity(im: Importer, { o, x }: Site): void {
  im.unary('identity', x, o, im.info.get(x)!.int);
}

/** Add. */
function onAdd(im: Importer, { ins, o, x }: Site): void {
  im.binary('add', x, ins[1], o);
}

/** Sub. */
function onSub(im: Importer, { ins, o, x }: Site): void {
  im.binary('sub', x, ins[1], o);
}

/** Mul. */
function onMul(im: Importer, { ins, o, x }: Site): void {
  im.binary('mul', x, ins[1], o);
}

/** Div. */
function onDiv(im: Importer, { ins, o, x }: Site): void {
  // ONNX integer Div truncates toward zero.
  if (im.info.get(x)!.int && im.info.get(ins[1])!.int) im.unary('trunc', im.binary('div', x, ins[1]), o, true);
  else im.binary('div', x, ins[1], o);
}

/** Max, Min. */
function onMax(im: Importer, { n, ins, o, x }: Site): void {
  let v = x;
  for (let k = 1; k < ins.length; k++) v = im.binary(n.opType === 'Max' ? 'max' : 'min', v, ins[k], k === ins.length - 1 ? o : undefined);
  if (ins.length === 1) im.unary('identity', x, o);
}

/** Pow. */
function onPow(im: Importer, { ins, o, x }: Site): void {
  im.binary('pow', x, ins[1], o);
}

/** Neg. */
function onNeg(im: Importer, { o, x }: Site): void {
  im.unary('neg', x, o, im.info.get(x)!.int);
}

/** Abs. */
function onAbs(im: Importer, { o, x }: Site): void {
  im.unary('abs', x, o, im.info.get(x)!.int);
}

/** Sqrt. */
function onSqrt(im: Importer, { o, x }: Site): void {
  im.unary('sqrt', x, o);
}

/** Reciprocal. */
function onReciprocal(im: Importer, { o, x }: Site): void {
  im.unary('recip', x, o);
}

/** Sigmoid. */
function onSigmoid(im: Importer, { o, x }: Site): void {
  im.unary('sigmoid', x, o);
}

/** Tanh. */
function onTanh(im: Importer, { o, x }: Site): void {
  im.unary('tanh', x, o);
}

/** Exp. */
function onExp(im: Importer, { o, x }: Site): void {
  im.unary('exp', x, o);
}

/** Relu. */
function onRelu(im: Importer, { o, x }: Site): void {
  im.unary('relu', x, o, im.info.get(x)!.int);
}

/** Round. */
function onRound(im: Importer, { o, x }: Site): void {
  im.unary('round', x, o, true);
}

/** Clip. */
function onClip(im: Importer, { ins, o, x }: Site): void {
  const lo = ins[1] ? im.constOf(ins[1], 'Clip min').data[0] : -Infinity;
  const hi = ins[2] ? im.constOf(ins[2], 'Clip max').data[0] : Infinity;
  im.emit('clip', [x], { lo, hi }, im.shapeOf(x), im.info.get(x)!.int, o);
}

/** Cast. */
function onCast(im: Importer, { A, o, x }: Site): void {
  const to = A.int('to');
  const int = isIntType(to);
  if (![1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 16].includes(to)) im.fail(`Cast to ${typeName(to)} of a run-time value is not supported`);
  im.unary(int && !im.info.get(x)!.int ? 'trunc' : 'identity', x, o, int || im.info.get(x)!.int);
}

/** ReduceMean, ReduceSum, ReduceMax, ReduceSumSquare. */
function onReduceMean(im: Importer, { n, ins, A, o, x }: Site): void {
  const axesFromInput = n.opType === 'ReduceSum' || im.opset >= 18;
  const axes = axesFromInput ? (ins[1] ? Array.from(im.constOf(ins[1], 'axes').data) : undefined) : A.ints('axes');
  if (A.int('noop_with_empty_axes', 0) && (!axes || axes.length === 0)) {
    im.unary('identity', x, o);
    return;
  }
  const keep = A.int('keepdims', 1) === 1;
  let v = x;
  if (n.opType === 'ReduceSumSquare') v = im.binary('mul', x, x);
  const op: FOp = n.opType === 'ReduceMean' ? 'reduce_mean' : n.opType === 'ReduceMax' ? 'reduce_max' : 'reduce_sum';
  im.reduce(op, v, axes, keep, o);
}

/** ArgMax. */
function onArgMax(im: Importer, { A, o, x }: Site): void {
  if (A.int('select_last_index', 0)) im.fail('ArgMax with select_last_index=1 is not supported');
  im.reduce('argmax', x, [A.int('axis', 0)], A.int('keepdims', 1) === 1, o);
}

/** CumSum. */
function onCumSum(im: Importer, { ins, A, o, x }: Site): void {
  const ax = im.axis(im.constOf(ins[1], 'CumSum axis').data[0], im.shapeOf(x).length);
  if (A.int('exclusive', 0) || A.int('reverse', 0)) im.fail('CumSum with exclusive or reverse is not supported');
  im.emit('cumsum', [x], { axis: ax }, im.shapeOf(x), im.info.get(x)!.int, o);
}

/** Softmax. */
function onSoftmax(im: Importer, { A, o, x }: Site): void {
  const s = im.shapeOf(x);
  const ax = im.axis(A.int('axis', -1), s.length);
  const m = im.reduce('reduce_max', x, [ax], true);
  const e = im.unary('exp', im.binary('sub', x, m));
  im.binary('div', e, im.reduce('reduce_sum', e, [ax], true), o);
}

/** MatMul, MatMulInteger. */
function onMatMul(im: Importer, { n, ins, o, x }: Site): void {
  if (n.opType === 'MatMulInteger') {
    for (const z of [ins[2], ins[3]])
      if (z && im.constOf(z, 'zero point').data.some((v) => v !== 0))
        im.fail('MatMulInteger with a nonzero zero point is not supported', 'use symmetric int8 quantization (zero point 0)');
  }
  im.matmul(x, ins[1], o);
}

/** Gemm. */
function onGemm(im: Importer, { ins, A, o, x }: Site): void {
  if (A.int('transA', 0)) im.fail('Gemm with transA=1 is not supported');
  let b = ins[1];
  if (A.int('transB', 0)) b = im.transpose(b, [1, 0]);
  let v = im.matmul(x, b, ins[2] || A.float('alpha', 1) !== 1 ? undefined : o);
  const alpha = A.float('alpha', 1),
    beta = A.float('beta', 1);
  if (alpha !== 1) v = im.binary('mul', v, im.scalar(alpha), ins[2] ? undefined : o);
  if (ins[2]) im.binary('add', v, beta === 1 ? ins[2] : im.binary('mul', ins[2], im.scalar(beta)), o);
}

/** DequantizeLinear. */
function onDequantizeLinear(im: Importer, { ins, A, o, x }: Site): void {
  const s = im.shapeOf(x);
  const ax = im.axis(A.int('axis', 1), Math.max(s.length, 1));
  const align = (t: string) =>
    im.shapeOf(t).length === 1 && s.length > 1 && im.shapeOf(t)[0] !== 1
      ? im.reshape(
          t,
          s.map((d, i) => (i === ax ? d : 1)),
        )
      : t;
  let v = x;
  if (ins[2]) v = im.binary('sub', v, align(ins[2]));
  im.binary('mul', v, align(ins[1]), o);
}

/** QuantizeLinear. */
function onQuantizeLinear(im: Importer, { ins, o, x }: Site): void {
  const zp = ins[2] ? im.constOf(ins[2], 'zero point') : null;
  const elem = zp ? (im.model.graph!.initializer?.find((t) => t.name === ins[2])?.dataType ?? 2) : 2;
  const [lo, hi] = elem === 3 ? [-128, 127] : [0, 255];
  let v = im.unary('round', im.binary('div', x, ins[1]), undefined, true);
  if (ins[2]) v = im.binary('add', v, ins[2]);
  im.emit('clip', [v], { lo, hi }, im.shapeOf(v), true, o);
}

/** LayerNormalization. */
function onLayerNormalization(im: Importer, { ins, outs, A, o, x }: Site): void {
  const s = im.shapeOf(x);
  const ax = im.axis(A.int('axis', -1), s.length);
  if (ax !== s.length - 1) im.fail('LayerNormalization is supported over the last axis only');
  const eps = A.float('epsilon', 1e-5);
  const mean = im.reduce('reduce_mean', x, [ax], true);
  const d = im.binary('sub', x, mean);
  const v = im.reduce('reduce_mean', im.binary('mul', d, d), [ax], true);
  const r = im.unary('rsqrt', im.binary('add', v, im.scalar(eps)));
  let y = im.binary('mul', im.binary('mul', d, r), ins[1], ins[2] ? undefined : o);
  if (ins[2]) y = im.binary('add', y, ins[2], o);
  if (outs.length > 1 && outs.slice(1).some(Boolean)) im.fail("LayerNormalization's Mean/InvStdDev outputs are not supported");
}

/** Gather. */
function onGather(im: Importer, { ins, A, o, x }: Site): void {
  const ax = im.axis(A.int('axis', 0), im.shapeOf(x).length);
  const ds = im.shapeOf(x),
    is = im.shapeOf(ins[1]);
  if (ax === 0) {
    im.emit('gather', [x, ins[1]], {}, [...is, ...ds.slice(1)], im.info.get(x)!.int, o);
    return;
  }
  const idx = im.constOf(ins[1], 'Gather indices on a non-leading axis');
  if (idx.data.length !== 1) im.fail('Gather on a non-leading axis supports one constant index');
  const k = idx.data[0] < 0 ? idx.data[0] + ds[ax] : idx.data[0];
  const sl = im.slice(x, ax, k, k + 1);
  im.reshape(sl, idx.shape.length === 0 ? ds.filter((_, i) => i !== ax) : ds.map((d, i) => (i === ax ? 1 : d)), o);
}

/** Reshape. */
function onReshape(im: Importer, { ins, A, o, x }: Site): void {
  const want = Array.from(im.constOf(ins[1], 'Reshape shape').data);
  const s = im.shapeOf(x);
  const shape = want.map((d, i) => (d === 0 && !A.int('allowzero', 0) ? s[i] : d));
  const known = shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const full = shape.map((d) => (d === -1 ? numel(s) / Math.max(known, 1) : d));
  if (!full.every((d) => Number.isInteger(d) && d >= 0)) im.fail(`cannot reshape [${s}] to [${want}]`);
  im.reshape(x, full, o);
}

/** Flatten. */
function onFlatten(im: Importer, { A, o, x }: Site): void {
  const s = im.shapeOf(x);
  const ax = A.int('axis', 1) < 0 ? A.int('axis', 1) + s.length : A.int('axis', 1);
  im.reshape(x, [numel(s.slice(0, ax)), numel(s.slice(ax))], o);
}

/** Squeeze, Unsqueeze. */
function onSqueeze(im: Importer, { n, ins, A, o, x }: Site): void {
  const s = im.shapeOf(x);
  const axes = ins[1] ? Array.from(im.constOf(ins[1], 'axes').data) : (A.ints('axes') ?? []);
  if (n.opType === 'Squeeze') {
    const ax = axes.length ? axes.map((a) => im.axis(a, s.length)) : s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
    for (const a of ax) if (s[a] !== 1) im.fail(`cannot squeeze axis ${a} of size ${s[a]}`);
    im.reshape(
      x,
      s.filter((_, i) => !ax.includes(i)),
      o,
    );
  } else {
    const r = s.length + axes.length;
    const ax = axes.map((a) => (a < 0 ? a + r : a));
    const out: number[] = [];
    let k = 0;
    for (let i = 0; i < r; i++) out.push(ax.includes(i) ? 1 : s[k++]);
    im.reshape(x, out, o);
  }
}

/** Slice. */
function onSlice(im: Importer, { ins, o, x }: Site): void {
  const s = im.shapeOf(x);
  const starts = Array.from(im.constOf(ins[1], 'Slice starts').data);
  const ends = Array.from(im.constOf(ins[2], 'Slice ends').data);
  const axes = ins[3] ? Array.from(im.constOf(ins[3], 'Slice axes').data) : starts.map((_, i) => i);
  const steps = ins[4] ? Array.from(im.constOf(ins[4], 'Slice steps').data) : starts.map(() => 1);
  let v = x;
  axes.forEach((a, i) => {
    if (steps[i] !== 1) im.fail('Slice with a step other than 1 is not supported');
    const ax = im.axis(a, s.length);
    const clampI = (p: number) => Math.min(Math.max(p < 0 ? p + s[ax] : p, 0), s[ax]);
    const b = clampI(starts[i]),
      e = clampI(ends[i]);
    if (e <= b) im.fail(`Slice selects nothing on axis ${ax}`);
    v = im.slice(v, ax, b, e, i === axes.length - 1 ? o : undefined);
  });
  if (axes.length === 0) im.unary('identity', x, o);
}

/** Split. */
function onSplit(im: Importer, { ins, outs, A, x }: Site): void {
  const s = im.shapeOf(x);
  const ax = im.axis(A.int('axis', 0), s.length);
  let sizes = ins[1] ? Array.from(im.constOf(ins[1], 'split').data) : A.ints('split');
  if (!sizes || sizes.length === 0) {
    const k = outs.length;
    const each = Math.ceil(s[ax] / k);
    sizes = outs.map((_, i) => Math.min(each, s[ax] - i * each));
  }
  if (sizes.reduce((p, q) => p + q, 0) !== s[ax]) im.fail(`split sizes ${sizes} do not sum to ${s[ax]}`);
  let at = 0;
  sizes.forEach((len, i) => {
    im.slice(x, ax, at, at + len, outs[i]);
    at += len;
  });
}

/** Concat. */
function onConcat(im: Importer, { ins, A, o }: Site): void {
  const parts = ins.filter(Boolean);
  const s0 = im.shapeOf(parts[0]);
  const ax = im.axis(A.int('axis'), s0.length);
  const shape = s0.slice();
  shape[ax] = parts.reduce((p, q) => p + im.shapeOf(q)[ax], 0);
  for (const p of parts) {
    const ps = im.shapeOf(p);
    if (ps.length !== s0.length || ps.some((d, i) => i !== ax && d !== s0[i]))
      im.fail(`Concat operand [${ps}] does not match [${s0}] off axis ${ax}`);
  }
  im.emit(
    'concat',
    parts,
    { axis: ax },
    shape,
    parts.every((p) => im.info.get(p)!.int),
    o,
  );
}

/** Transpose. */
function onTranspose(im: Importer, { A, o, x }: Site): void {
  const s = im.shapeOf(x);
  const perm = A.ints('perm') ?? s.map((_, i) => s.length - 1 - i);
  im.transpose(x, perm, o);
}

/** Constant. */
function onConstant(im: Importer, { n, A, o }: Site): void {
  const t = A.tensor('value');
  if (t) {
    const r = readTensor(t, { file: im.file, tensor: o }, im.external);
    im.addConst(o, { shape: r.dims, data: r.data, int: r.int }, r.dtype);
    return;
  }
  const a = n.attribute?.[0];
  if (!a) im.fail('Constant has no value');
  if (a!.name === 'value_float') {
    im.addConst(o, { shape: [], data: Float64Array.of(a!.f ?? 0), int: false });
    return;
  }
  if (a!.name === 'value_int') {
    im.addConst(o, { shape: [], data: Float64Array.of(toNum(a!.i)), int: true });
    return;
  }
  if (a!.name === 'value_floats') {
    const v = a!.floats ?? [];
    im.addConst(o, { shape: [v.length], data: Float64Array.from(v), int: false });
    return;
  }
  if (a!.name === 'value_ints') {
    const v = (a!.ints ?? []).map(toNum);
    im.addConst(o, { shape: [v.length], data: Float64Array.from(v), int: true });
    return;
  }
  im.fail(`Constant attribute '${a!.name}' is not supported`);
}

/** Shape. */
function onShape(im: Importer, { n, o, x }: Site): void {
  // a run-time value's shape is static: fold it as ONNX defines Shape
  const [t] = foldNode(n, [{ dtype: im.info.get(x)!.dtype, shape: im.shapeOf(x), data: new Float64Array(0) }], im.opset, im.site(o))!;
  im.addConst(o, { shape: t.shape, data: t.data, int: true }, INT64);
}

/** ConstantOfShape. */
function onConstantOfShape(im: Importer, { A, o, x }: Site): void {
  const shape = Array.from(im.constOf(x, 'ConstantOfShape shape').data);
  const n2 = checkedNumel(shape, im.site(o));
  im.account(n2, o);
  const t = A.tensor('value');
  const v = t ? readTensor(t, { file: im.file, tensor: o }, im.external) : { data: Float64Array.of(0), int: false };
  im.addConst(o, { shape, data: new Float64Array(n2).fill(v.data[0] ?? 0), int: v.int });
}

/** Inputs ONNX requires for the ops that take more than one (onnx.ai/onnx/operators); 1 otherwise. */
const MIN_INPUTS: Record<string, number> = {
  Add: 2,
  Sub: 2,
  Mul: 2,
  Div: 2,
  Pow: 2,
  Max: 1,
  Min: 1,
  MatMul: 2,
  MatMulInteger: 2,
  Gemm: 2,
  DequantizeLinear: 2,
  QuantizeLinear: 2,
  LayerNormalization: 2,
  Gather: 2,
  Reshape: 2,
  Slice: 3,
  Expand: 2,
  Tile: 2,
  Where: 3,
  Equal: 2,
  Greater: 2,
  Less: 2,
  Range: 3,
  CumSum: 2,
  Constant: 0,
};

/** The ONNX front-end's op table: every op type read on run-time values, and its float-graph form. */
const TRANSLATE: Record<string, Rule> = {
  Identity: onIdentity,
  Dropout: onIdentity,
  Add: onAdd,
  Sub: onSub,
  Mul: onMul,
  Div: onDiv,
  Max: onMax,
  Min: onMax,
  Pow: onPow,
  Neg: onNeg,
  Abs: onAbs,
  Sqrt: onSqrt,
  Reciprocal: onReciprocal,
  Sigmoid: onSigmoid,
  Tanh: onTanh,
  Exp: onExp,
  Relu: onRelu,
  Round: onRound,
  Clip: onClip,
  Cast: onCast,
  ReduceMean: onReduceMean,
  ReduceSum: onReduceMean,
  ReduceMax: onReduceMean,
  ReduceSumSquare: onReduceMean,
  ArgMax: onArgMax,
  CumSum: onCumSum,
  Softmax: onSoftmax,
  MatMul: onMatMul,
  MatMulInteger: onMatMul,
  Gemm: onGemm,
  DequantizeLinear: onDequantizeLinear,
  QuantizeLinear: onQuantizeLinear,
  LayerNormalization: onLayerNormalization,
  Gather: onGather,
  Reshape: onReshape,
  Flatten: onFlatten,
  Squeeze: onSqueeze,
  Unsqueeze: onSqueeze,
  Slice: onSlice,
  Split: onSplit,
  Concat: onConcat,
  Transpose: onTranspose,
  Constant: onConstant,
  Shape: onShape,
  ConstantOfShape: onConstantOfShape,
};

/** Every ONNX op type the importer reads on values that depend on the input. */
export const SUPPORTED_OPS = Object.keys(TRANSLATE).sort();

/** Ops the importer evaluates only when every input is a constant (shape arithmetic, quantizers). */
export const CONSTANT_ONLY_OPS = Object.keys(FOLD)
  .filter((op) => !(SUPPORTED_OPS as readonly string[]).includes(op))
  .sort();
