/**
 * @fileoverview ONNX → float graph. Translates standard-opset nodes, folds every constant
 * subgraph as it goes, and recognises ternary weights by their values (docs/onnx-format.md).
 *
 * Exporters differ (torch.onnx.export, onnx.helper scripts, quantization tools), so nothing here
 * keys on names or exact op sequences: a MatMul/Gemm/MatMulInteger whose constant operand, after
 * folding, takes only the values {−c, 0, +c} becomes a ternary matmul with scale c.
 */
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

/** Every ONNX op type the importer reads on values that depend on the input. */
export const SUPPORTED_OPS = [
  'Abs',
  'Add',
  'ArgMax',
  'Cast',
  'Clip',
  'Concat',
  'Constant',
  'ConstantOfShape',
  'CumSum',
  'DequantizeLinear',
  'Div',
  'Dropout',
  'Exp',
  'Flatten',
  'Gather',
  'Gemm',
  'Identity',
  'LayerNormalization',
  'MatMul',
  'MatMulInteger',
  'Max',
  'Min',
  'Mul',
  'Neg',
  'Pow',
  'QuantizeLinear',
  'Reciprocal',
  'ReduceMax',
  'ReduceMean',
  'ReduceSum',
  'ReduceSumSquare',
  'Relu',
  'Reshape',
  'Round',
  'Shape',
  'Sigmoid',
  'Slice',
  'Softmax',
  'Split',
  'Sqrt',
  'Squeeze',
  'Sub',
  'Tanh',
  'Transpose',
  'Unsqueeze',
] as const;

/** Ops the importer evaluates only when every input is a constant (shape arithmetic, quantizers). */
export const CONSTANT_ONLY_OPS = Object.keys(FOLD)
  .filter((op) => !(SUPPORTED_OPS as readonly string[]).includes(op))
  .sort();

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

class Importer {
  private g: FGraph;
  private info = new Map<string, { shape: number[]; int: boolean; dtype: number }>();
  private counter = 0;
  private node: NodeProto | null = null;
  /** For folded constants: the initializer they were computed from (for error messages). */
  private origin = new Map<string, string>();

  /** Remaining ONNX consumers of each value: a folded constant nobody needs any more is freed at
   *  once, so importing a big model holds about one float copy of one matrix at a time. */
  private uses = new Map<string, number>();
  /** Values the float graph's nodes reference (never freed). */
  private referenced = new Set<string>();

  constructor(
    private model: ReturnType<typeof decodeModel>,
    private opset: number,
    private file: string,
    private external?: ExternalReader,
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

  private site(tensor?: string) {
    return {
      file: this.file,
      node: this.node ? this.node.name || `${this.node.opType} #${this.model.graph!.node!.indexOf(this.node)}` : undefined,
      tensor,
    };
  }

  private fail(msg: string, hint?: string, tensor?: string): never {
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
      this.g.outputs.push({ name, value: name });
    }
    if (this.g.outputs.length === 0) this.fail('the graph has no outputs');
    this.pairStates();
    return this.g;
  }

  /** Pairs each float input X with an output named `new_X` or `X_out`: the decode-step state. */
  private pairStates(): void {
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
  private release(n: NodeProto): void {
    for (const x of n.input ?? []) {
      const left = (this.uses.get(x) ?? 1) - 1;
      this.uses.set(x, left);
      if (left <= 0 && !this.referenced.has(x)) this.g.consts.delete(x);
    }
    for (const o of n.output ?? []) if (!this.uses.get(o) && !this.referenced.has(o) && this.g.consts.has(o)) this.g.consts.delete(o);
  }

  private unsupported(n: NodeProto): never {
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

  private addConst(name: string, c: FConst, dtype = c.int ? INT64 : FLOAT): void {
    this.g.consts.set(name, c);
    this.info.set(name, { shape: c.shape, int: c.int, dtype });
  }

  /** A constant with its ONNX element type, for the folder. */
  private ct(name: string): CT | undefined {
    const c = this.g.consts.get(name);
    return c && { dtype: this.info.get(name)!.dtype, shape: c.shape, data: c.data };
  }

  /** Evaluates a node whose inputs are all constants, by the ONNX definition (./fold.ts). */
  private tryFold(n: NodeProto, ins: string[], outs: string[]): boolean {
    const present = ins.filter(Boolean);
    if (present.length === 0 || !present.every((x) => this.g.consts.has(x)) || !FOLD[n.opType ?? '']) return false;
    const r = foldNode(
      n,
      ins.map((x) => (x ? this.ct(x) : undefined)),
      this.opset,
      this.site(outs[0]),
    );
    if (!r) return false;
    r.forEach((t, i) => {
      if (!outs[i]) return;
      this.addConst(outs[i], { shape: t.shape, data: t.data, int: !isFloatType(t.dtype) }, t.dtype);
      const big = present.reduce((p, x) => (numel(this.g.consts.get(x)!.shape) > numel(this.g.consts.get(p)!.shape) ? x : p));
      this.origin.set(outs[i], this.origin.get(big) ?? big);
    });
    return true;
  }

  private fresh(base: string): string {
    return `${base}.${++this.counter}`;
  }

  private shapeOf(name: string): number[] {
    const i = this.info.get(name);
    if (!i) this.fail(`input '${name}' is not defined (missing initializer or node output)`, 'the graph is incomplete or out of order', name);
    return i!.shape;
  }

  private constOf(name: string, what: string): FConst {
    const c = this.g.consts.get(name);
    if (!c) this.fail(`${what} ('${name}') must be a constant`, 'trit needs static shapes and parameters; fold it before export', name);
    return c!;
  }

  /** Adds a node, or folds it into a constant when every input is constant. Returns the value's name. */
  private emit(op: FOp, inputs: string[], a: FAttrs, shape: number[], int: boolean, out?: string): string {
    const name = out ?? this.fresh(this.node?.output?.[0] || op);
    checkedNumel(shape, this.site(name));
    const node: FNode = { out: name, op, inputs, attrs: a, shape, int, src: this.node?.name || this.node?.opType || op };
    if (inputs.length > 0 && inputs.every((x) => this.g.consts.has(x))) {
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

  private unary(op: FOp, x: string, out?: string, int = false): string {
    return this.emit(op, [x], {}, this.shapeOf(x), int, out);
  }

  private binary(op: FOp, x: string, y: string, out?: string): string {
    const s = broadcastShapes(this.shapeOf(x), this.shapeOf(y));
    if (!s) this.fail(`operand shapes [${this.shapeOf(x)}] and [${this.shapeOf(y)}] do not broadcast`, "the model's dimensions do not fit together");
    const int = op !== 'div' && op !== 'pow' && this.info.get(x)!.int && this.info.get(y)!.int;
    return this.emit(op, [x, y], {}, s!, int, out);
  }

  private scalar(v: number, int = false): string {
    const name = this.fresh('const');
    this.addConst(name, { shape: [], data: Float64Array.of(v), int });
    return name;
  }

  private axis(a: number, rank: number): number {
    const ax = a < 0 ? a + rank : a;
    if (ax < 0 || ax >= Math.max(rank, 1)) this.fail(`axis ${a} is out of range for rank ${rank}`);
    return ax;
  }

  private reshape(x: string, shape: number[], out?: string): string {
    if (numel(shape) !== numel(this.shapeOf(x)))
      this.fail(`cannot reshape [${this.shapeOf(x)}] to [${shape}]`, "the model's dimensions do not fit together");
    return this.emit('reshape', [x], {}, shape, this.info.get(x)!.int, out);
  }

  private reduce(op: FOp, x: string, axes: number[] | undefined, keep: boolean, out?: string): string {
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

  private translate(n: NodeProto): void {
    const ins = (n.input ?? []).map((s) => s ?? '');
    const outs = (n.output ?? []).map((s) => s ?? '');
    const A = attrs(n);
    const o = outs[0];
    const x = ins[0];
    if (ins.length === 0 && !['Constant'].includes(n.opType ?? '')) this.fail(`${n.opType} has no inputs`);
    for (const i of ins) if (i) this.shapeOf(i);
    if (this.tryFold(n, ins, outs)) return;
    switch (n.opType) {
      case 'Identity':
      case 'Dropout':
        this.unary('identity', x, o, this.info.get(x)!.int);
        return;
      case 'Add':
        this.binary('add', x, ins[1], o);
        return;
      case 'Sub':
        this.binary('sub', x, ins[1], o);
        return;
      case 'Mul':
        this.binary('mul', x, ins[1], o);
        return;
      case 'Div': {
        // ONNX integer Div truncates toward zero.
        if (this.info.get(x)!.int && this.info.get(ins[1])!.int) this.unary('trunc', this.binary('div', x, ins[1]), o, true);
        else this.binary('div', x, ins[1], o);
        return;
      }
      case 'Max':
      case 'Min': {
        let v = x;
        for (let k = 1; k < ins.length; k++) v = this.binary(n.opType === 'Max' ? 'max' : 'min', v, ins[k], k === ins.length - 1 ? o : undefined);
        if (ins.length === 1) this.unary('identity', x, o);
        return;
      }
      case 'Pow':
        this.binary('pow', x, ins[1], o);
        return;
      case 'Neg':
        this.unary('neg', x, o, this.info.get(x)!.int);
        return;
      case 'Abs':
        this.unary('abs', x, o, this.info.get(x)!.int);
        return;
      case 'Sqrt':
        this.unary('sqrt', x, o);
        return;
      case 'Reciprocal':
        this.unary('recip', x, o);
        return;
      case 'Sigmoid':
        this.unary('sigmoid', x, o);
        return;
      case 'Tanh':
        this.unary('tanh', x, o);
        return;
      case 'Exp':
        this.unary('exp', x, o);
        return;
      case 'Relu':
        this.unary('relu', x, o, this.info.get(x)!.int);
        return;
      case 'Round':
        this.unary('round', x, o, true);
        return;
      case 'Clip': {
        const lo = ins[1] ? this.constOf(ins[1], 'Clip min').data[0] : -Infinity;
        const hi = ins[2] ? this.constOf(ins[2], 'Clip max').data[0] : Infinity;
        this.emit('clip', [x], { lo, hi }, this.shapeOf(x), this.info.get(x)!.int, o);
        return;
      }
      case 'Cast': {
        const to = A.int('to');
        const int = isIntType(to);
        if (![1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 16].includes(to)) this.fail(`Cast to ${typeName(to)} of a run-time value is not supported`);
        this.unary(int && !this.info.get(x)!.int ? 'trunc' : 'identity', x, o, int || this.info.get(x)!.int);
        return;
      }
      case 'ReduceMean':
      case 'ReduceSum':
      case 'ReduceMax':
      case 'ReduceSumSquare': {
        const axesFromInput = n.opType === 'ReduceSum' || this.opset >= 18;
        const axes = axesFromInput ? (ins[1] ? Array.from(this.constOf(ins[1], 'axes').data) : undefined) : A.ints('axes');
        if (A.int('noop_with_empty_axes', 0) && (!axes || axes.length === 0)) {
          this.unary('identity', x, o);
          return;
        }
        const keep = A.int('keepdims', 1) === 1;
        let v = x;
        if (n.opType === 'ReduceSumSquare') v = this.binary('mul', x, x);
        const op: FOp = n.opType === 'ReduceMean' ? 'reduce_mean' : n.opType === 'ReduceMax' ? 'reduce_max' : 'reduce_sum';
        this.reduce(op, v, axes, keep, o);
        return;
      }
      case 'ArgMax': {
        if (A.int('select_last_index', 0)) this.fail('ArgMax with select_last_index=1 is not supported');
        this.reduce('argmax', x, [A.int('axis', 0)], A.int('keepdims', 1) === 1, o);
        return;
      }
      case 'CumSum': {
        const ax = this.axis(this.constOf(ins[1], 'CumSum axis').data[0], this.shapeOf(x).length);
        if (A.int('exclusive', 0) || A.int('reverse', 0)) this.fail('CumSum with exclusive or reverse is not supported');
        this.emit('cumsum', [x], { axis: ax }, this.shapeOf(x), this.info.get(x)!.int, o);
        return;
      }
      case 'Softmax': {
        const s = this.shapeOf(x);
        const ax = this.axis(A.int('axis', -1), s.length);
        const m = this.reduce('reduce_max', x, [ax], true);
        const e = this.unary('exp', this.binary('sub', x, m));
        this.binary('div', e, this.reduce('reduce_sum', e, [ax], true), o);
        return;
      }
      case 'MatMul':
      case 'MatMulInteger': {
        if (n.opType === 'MatMulInteger') {
          for (const z of [ins[2], ins[3]])
            if (z && this.constOf(z, 'zero point').data.some((v) => v !== 0))
              this.fail('MatMulInteger with a nonzero zero point is not supported', 'use symmetric int8 quantization (zero point 0)');
        }
        this.matmul(x, ins[1], o);
        return;
      }
      case 'Gemm': {
        if (A.int('transA', 0)) this.fail('Gemm with transA=1 is not supported');
        let b = ins[1];
        if (A.int('transB', 0)) b = this.transpose(b, [1, 0]);
        let v = this.matmul(x, b, ins[2] || A.float('alpha', 1) !== 1 ? undefined : o);
        const alpha = A.float('alpha', 1),
          beta = A.float('beta', 1);
        if (alpha !== 1) v = this.binary('mul', v, this.scalar(alpha), ins[2] ? undefined : o);
        if (ins[2]) this.binary('add', v, beta === 1 ? ins[2] : this.binary('mul', ins[2], this.scalar(beta)), o);
        return;
      }
      case 'DequantizeLinear': {
        const s = this.shapeOf(x);
        const ax = this.axis(A.int('axis', 1), Math.max(s.length, 1));
        const align = (t: string) =>
          this.shapeOf(t).length === 1 && s.length > 1 && this.shapeOf(t)[0] !== 1
            ? this.reshape(
                t,
                s.map((d, i) => (i === ax ? d : 1)),
              )
            : t;
        let v = x;
        if (ins[2]) v = this.binary('sub', v, align(ins[2]));
        this.binary('mul', v, align(ins[1]), o);
        return;
      }
      case 'QuantizeLinear': {
        const zp = ins[2] ? this.constOf(ins[2], 'zero point') : null;
        const elem = zp ? (this.model.graph!.initializer?.find((t) => t.name === ins[2])?.dataType ?? 2) : 2;
        const [lo, hi] = elem === 3 ? [-128, 127] : [0, 255];
        let v = this.unary('round', this.binary('div', x, ins[1]), undefined, true);
        if (ins[2]) v = this.binary('add', v, ins[2]);
        this.emit('clip', [v], { lo, hi }, this.shapeOf(v), true, o);
        return;
      }
      case 'LayerNormalization': {
        const s = this.shapeOf(x);
        const ax = this.axis(A.int('axis', -1), s.length);
        if (ax !== s.length - 1) this.fail('LayerNormalization is supported over the last axis only');
        const eps = A.float('epsilon', 1e-5);
        const mean = this.reduce('reduce_mean', x, [ax], true);
        const d = this.binary('sub', x, mean);
        const v = this.reduce('reduce_mean', this.binary('mul', d, d), [ax], true);
        const r = this.unary('rsqrt', this.binary('add', v, this.scalar(eps)));
        let y = this.binary('mul', this.binary('mul', d, r), ins[1], ins[2] ? undefined : o);
        if (ins[2]) y = this.binary('add', y, ins[2], o);
        if (outs.length > 1 && outs.slice(1).some(Boolean)) this.fail("LayerNormalization's Mean/InvStdDev outputs are not supported");
        return;
      }
      case 'Gather': {
        const ax = this.axis(A.int('axis', 0), this.shapeOf(x).length);
        const ds = this.shapeOf(x),
          is = this.shapeOf(ins[1]);
        if (ax === 0) {
          this.emit('gather', [x, ins[1]], {}, [...is, ...ds.slice(1)], this.info.get(x)!.int, o);
          return;
        }
        const idx = this.constOf(ins[1], 'Gather indices on a non-leading axis');
        if (idx.data.length !== 1) this.fail('Gather on a non-leading axis supports one constant index');
        const k = idx.data[0] < 0 ? idx.data[0] + ds[ax] : idx.data[0];
        const sl = this.slice(x, ax, k, k + 1);
        this.reshape(sl, idx.shape.length === 0 ? ds.filter((_, i) => i !== ax) : ds.map((d, i) => (i === ax ? 1 : d)), o);
        return;
      }
      case 'Reshape': {
        const want = Array.from(this.constOf(ins[1], 'Reshape shape').data);
        const s = this.shapeOf(x);
        const shape = want.map((d, i) => (d === 0 && !A.int('allowzero', 0) ? s[i] : d));
        const known = shape.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
        const full = shape.map((d) => (d === -1 ? numel(s) / Math.max(known, 1) : d));
        if (!full.every((d) => Number.isInteger(d) && d >= 0)) this.fail(`cannot reshape [${s}] to [${want}]`);
        this.reshape(x, full, o);
        return;
      }
      case 'Flatten': {
        const s = this.shapeOf(x);
        const ax = A.int('axis', 1) < 0 ? A.int('axis', 1) + s.length : A.int('axis', 1);
        this.reshape(x, [numel(s.slice(0, ax)), numel(s.slice(ax))], o);
        return;
      }
      case 'Squeeze':
      case 'Unsqueeze': {
        const s = this.shapeOf(x);
        const axes = ins[1] ? Array.from(this.constOf(ins[1], 'axes').data) : (A.ints('axes') ?? []);
        if (n.opType === 'Squeeze') {
          const ax = axes.length ? axes.map((a) => this.axis(a, s.length)) : s.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
          for (const a of ax) if (s[a] !== 1) this.fail(`cannot squeeze axis ${a} of size ${s[a]}`);
          this.reshape(
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
          this.reshape(x, out, o);
        }
        return;
      }
      case 'Slice': {
        const s = this.shapeOf(x);
        const starts = Array.from(this.constOf(ins[1], 'Slice starts').data);
        const ends = Array.from(this.constOf(ins[2], 'Slice ends').data);
        const axes = ins[3] ? Array.from(this.constOf(ins[3], 'Slice axes').data) : starts.map((_, i) => i);
        const steps = ins[4] ? Array.from(this.constOf(ins[4], 'Slice steps').data) : starts.map(() => 1);
        let v = x;
        axes.forEach((a, i) => {
          if (steps[i] !== 1) this.fail('Slice with a step other than 1 is not supported');
          const ax = this.axis(a, s.length);
          const clampI = (p: number) => Math.min(Math.max(p < 0 ? p + s[ax] : p, 0), s[ax]);
          const b = clampI(starts[i]),
            e = clampI(ends[i]);
          if (e <= b) this.fail(`Slice selects nothing on axis ${ax}`);
          v = this.slice(v, ax, b, e, i === axes.length - 1 ? o : undefined);
        });
        if (axes.length === 0) this.unary('identity', x, o);
        return;
      }
      case 'Split': {
        const s = this.shapeOf(x);
        const ax = this.axis(A.int('axis', 0), s.length);
        let sizes = ins[1] ? Array.from(this.constOf(ins[1], 'split').data) : A.ints('split');
        if (!sizes || sizes.length === 0) {
          const k = outs.length;
          const each = Math.ceil(s[ax] / k);
          sizes = outs.map((_, i) => Math.min(each, s[ax] - i * each));
        }
        if (sizes.reduce((p, q) => p + q, 0) !== s[ax]) this.fail(`split sizes ${sizes} do not sum to ${s[ax]}`);
        let at = 0;
        sizes.forEach((len, i) => {
          this.slice(x, ax, at, at + len, outs[i]);
          at += len;
        });
        return;
      }
      case 'Concat': {
        const parts = ins.filter(Boolean);
        const s0 = this.shapeOf(parts[0]);
        const ax = this.axis(A.int('axis'), s0.length);
        const shape = s0.slice();
        shape[ax] = parts.reduce((p, q) => p + this.shapeOf(q)[ax], 0);
        for (const p of parts) {
          const ps = this.shapeOf(p);
          if (ps.length !== s0.length || ps.some((d, i) => i !== ax && d !== s0[i]))
            this.fail(`Concat operand [${ps}] does not match [${s0}] off axis ${ax}`);
        }
        this.emit(
          'concat',
          parts,
          { axis: ax },
          shape,
          parts.every((p) => this.info.get(p)!.int),
          o,
        );
        return;
      }
      case 'Transpose': {
        const s = this.shapeOf(x);
        const perm = A.ints('perm') ?? s.map((_, i) => s.length - 1 - i);
        this.transpose(x, perm, o);
        return;
      }
      case 'Constant': {
        const t = A.tensor('value');
        if (t) {
          const r = readTensor(t, { file: this.file, tensor: o }, this.external);
          this.addConst(o, { shape: r.dims, data: r.data, int: r.int }, r.dtype);
          return;
        }
        const a = n.attribute?.[0];
        if (!a) this.fail('Constant has no value');
        if (a!.name === 'value_float') {
          this.addConst(o, { shape: [], data: Float64Array.of(a!.f ?? 0), int: false });
          return;
        }
        if (a!.name === 'value_int') {
          this.addConst(o, { shape: [], data: Float64Array.of(toNum(a!.i)), int: true });
          return;
        }
        if (a!.name === 'value_floats') {
          const v = a!.floats ?? [];
          this.addConst(o, { shape: [v.length], data: Float64Array.from(v), int: false });
          return;
        }
        if (a!.name === 'value_ints') {
          const v = (a!.ints ?? []).map(toNum);
          this.addConst(o, { shape: [v.length], data: Float64Array.from(v), int: true });
          return;
        }
        this.fail(`Constant attribute '${a!.name}' is not supported`);
        return;
      }
      case 'Shape': {
        // a run-time value's shape is static: fold it as ONNX defines Shape
        const [t] = foldNode(n, [{ dtype: this.info.get(x)!.dtype, shape: this.shapeOf(x), data: new Float64Array(0) }], this.opset, this.site(o))!;
        this.addConst(o, { shape: t.shape, data: t.data, int: true }, INT64);
        return;
      }
      case 'ConstantOfShape': {
        const shape = Array.from(this.constOf(x, 'ConstantOfShape shape').data);
        const n2 = checkedNumel(shape, this.site(o));
        const t = A.tensor('value');
        const v = t ? readTensor(t, { file: this.file, tensor: o }, this.external) : { data: Float64Array.of(0), int: false };
        this.addConst(o, { shape, data: new Float64Array(n2).fill(v.data[0] ?? 0), int: v.int });
        return;
      }
      default:
        this.unsupported(n);
    }
  }

  private slice(x: string, axis: number, start: number, end: number, out?: string): string {
    const s = this.shapeOf(x).slice();
    s[axis] = end - start;
    return this.emit('slice', [x], { axis, start, end }, s, this.info.get(x)!.int, out);
  }

  private transpose(x: string, perm: number[], out?: string): string {
    const s = this.shapeOf(x);
    if (perm.length !== s.length || [...perm].sort().some((p, i) => p !== i)) this.fail(`bad Transpose perm [${perm}] for rank ${s.length}`);
    const shape = perm.map((p) => s[p]);
    const moved = perm.filter((p) => s[p] !== 1);
    if (!this.g.consts.has(x) && moved.every((p, i) => i === 0 || p > moved[i - 1])) return this.reshape(x, shape, out);
    return this.emit('transpose', [x], { perm }, shape, this.info.get(x)!.int, out);
  }

  /** x[.., K] · B[K, N]: ternary when B is a constant taking only {−c, 0, +c}. */
  private matmul(x: string, b: string, out?: string): string {
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
