/**
 * @fileoverview The IR validator: structure, operand kinds, attributes, and the fixed-point type rules.
 *
 * The type rules make format mismatches impossible to miss: `add` needs equal fraction bits,
 * `mul` produces fa+fb−shift, `shift` produces f−by, and so on (docs/IR.md lists them).
 */
import { TritError } from '../../common/errors.js';
import { ROUND_MODES } from './arith.js';
import type { IRGraph, IRNode } from './graph.js';
import { isOp, opSpec, type OpName } from './ops.js';
import { broadcastShapes, dtypeRange, numel, sameShape, typeToString, type TensorType } from './types.js';

/** Throws a TritError naming the first node that breaks a rule; returns quietly otherwise. */
export function validate(g: IRGraph): void {
  const types = new Map<string, TensorType>();
  const fail = (n: IRNode | string, msg: string): never => {
    throw new TritError(`invalid IR: ${msg}`, { node: typeof n === 'string' ? n : n.out });
  };
  for (const i of g.inputs) {
    if (types.has(i.name)) fail(i.name, `input '${i.name}' is defined twice`);
    checkShape(i.type, i.name, fail);
    types.set(i.name, i.type);
  }
  for (const [name, c] of g.consts) {
    if (!name.startsWith('@') || c.name !== name) fail(name, `constant '${name}' must be named with a leading '@'`);
    checkShape(c.type, name, fail);
    if (c.type.dtype === 'f32') fail(name, `constant '${name}' is f32; constants are integers`);
    if (c.data.length !== numel(c.type.shape)) fail(name, `constant '${name}' has ${c.data.length} values for shape [${c.type.shape}]`);
    const [lo, hi] = c.ternary ? [-1, 1] : dtypeRange(c.type.dtype);
    for (const v of c.data)
      if (v < lo || v > hi) fail(name, `constant '${name}' holds ${v}, outside ${c.ternary ? 'ternary {-1,0,1}' : c.type.dtype}`);
  }
  const stateNames = new Set(g.states.map((s) => s.name));
  const written = new Set<string>();
  for (const node of g.nodes) {
    if (!isOp(node.op)) fail(node, `unknown op '${node.op}'`);
    const spec = opSpec(node.op);
    if (types.has(node.out)) fail(node, `value '${node.out}' is defined twice`);
    if (spec.arity >= 0 ? node.inputs.length !== spec.arity : node.inputs.length < 1) {
      fail(node, `${node.op} takes ${spec.arity >= 0 ? spec.arity : 'one or more'} operands, got ${node.inputs.length}`);
    }
    const ins: TensorType[] = node.inputs.map((nm, k) => {
      const isConst = nm.startsWith('@');
      if ((spec.constOperands ?? []).includes(k) && !isConst) fail(node, `operand ${k} of ${node.op} must be a constant ('${nm}')`);
      const ty = isConst ? g.consts.get(nm)?.type : types.get(nm);
      if (!ty) fail(node, `operand '${nm}' is not defined before use`);
      if (ty!.dtype === 'f32' && node.op !== 'quantize') fail(node, `${node.op} reads f32 value '${nm}'; floats exist only at the edges`);
      return ty!;
    });
    for (const [k, kind] of Object.entries(spec.attrs ?? {})) {
      if (!(k in node.attrs)) fail(node, `${node.op} needs attribute '${k}'`);
      checkAttr(node, k, kind, fail);
    }
    for (const k of Object.keys(node.attrs)) {
      const kind = spec.attrs?.[k] ?? spec.optional?.[k];
      if (!kind) fail(node, `${node.op} has no attribute '${k}'`);
      checkAttr(node, k, kind!, fail);
    }
    checkShape(node.type, node.out, fail);
    checkTypes(g, node, ins, fail);
    if (node.op === 'state_read' || node.op === 'state_write') {
      const st = g.states.find((s) => s.name === node.attrs.state);
      if (!st) fail(node, `no state named '${node.attrs.state}'`);
      if (!sameType(st!.type, node.type)) fail(node, `state '${st!.name}' is ${typeToString(st!.type)}, node is ${typeToString(node.type)}`);
      if (node.op === 'state_write') {
        if (written.has(st!.name)) fail(node, `state '${st!.name}' is written twice in one step`);
        written.add(st!.name);
      }
    }
    types.set(node.out, node.type);
  }
  for (const s of stateNames) if (!written.has(s)) fail(s, `state '${s}' is never written`);
  const outNames = new Set<string>();
  for (const o of g.outputs) {
    if (!types.has(o.value)) fail(o.name, `output '${o.name}' refers to undefined value '${o.value}'`);
    if (outNames.has(o.name)) fail(o.name, `output '${o.name}' is listed twice`);
    outNames.add(o.name);
  }
}

type Fail = (n: IRNode | string, msg: string) => never;

function sameType(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && a.frac === b.frac && sameShape(a.shape, b.shape);
}

function checkShape(t: TensorType, name: string, fail: Fail): void {
  if (!t.shape.every((d) => Number.isInteger(d) && d >= 1 && d <= 2 ** 31)) fail(name, `'${name}' has a bad shape [${t.shape}]`);
  if (numel(t.shape) > 2 ** 32) fail(name, `'${name}' has ${numel(t.shape)} elements, more than any target can hold`);
  if (!Number.isInteger(t.frac) || Math.abs(t.frac) > 62) fail(name, `'${name}' has a bad frac ${t.frac}`);
}

function checkAttr(node: IRNode, k: string, kind: string, fail: Fail): void {
  const v = node.attrs[k];
  const ok =
    kind === 'int' ? Number.isInteger(v) : kind === 'round' ? ROUND_MODES.includes(v as never) : kind === 'flag' ? v === true : typeof v === 'string';
  if (!ok) fail(node, `attribute ${k}=${String(v)} of ${node.op} is not a valid ${kind}`);
}

/** What a type rule reads: the graph, the node, its operand types, and the failure helpers. */
interface CheckSite {
  g: IRGraph;
  node: IRNode;
  ins: TensorType[];
  t: TensorType;
  a: IRNode['attrs'];
  isInt: boolean;
  want: (cond: boolean, msg: string) => void;
  /** The two operands broadcast to the output's shape. */
  bshape: () => void;
}
type Check = (s: CheckSite) => void;

function checkTypes(g: IRGraph, node: IRNode, ins: TensorType[], fail: Fail): void {
  const t = node.type;
  const want = (cond: boolean, msg: string) => {
    if (!cond) fail(node, `${node.op}: ${msg}`);
  };
  const bshape = () => {
    const s = broadcastShapes(ins[0].shape, ins[1].shape);
    want(s !== null && sameShape(s, t.shape), `operand shapes [${ins[0].shape}] and [${ins[1].shape}] do not broadcast to [${t.shape}]`);
  };
  const check: Check | undefined = CHECKS[node.op];
  if (!check) fail(node, `unknown op '${node.op}'`);
  check!({ g, node, ins, t, a: node.attrs, isInt: t.dtype !== 'f32', want, bshape });
}

const checkQuantize: Check = ({ ins, t, want, isInt }) => {
  want(ins[0].dtype === 'f32' && isInt && sameShape(ins[0].shape, t.shape), 'maps an f32 value to an integer of the same shape');
};

const checkDequantize: Check = ({ ins, t, want }) => {
  want(t.dtype === 'f32' && t.frac === 0 && sameShape(ins[0].shape, t.shape), 'maps an integer to f32 of the same shape');
};

const checkTernaryMatmul: Check = ({ g, node, ins, t, a, want, isInt }) => {
  const c = g.consts.get(node.inputs[1])!;
  want(c.ternary && c.type.shape.length === 2, `weight '${node.inputs[1]}' must be a ternary [N,K] constant`);
  const [N, K] = c.type.shape;
  want(ins[0].shape.at(-1) === K, `input's last dim ${ins[0].shape.at(-1)} is not the weight's K=${K}`);
  want(sameShape(t.shape, [...ins[0].shape.slice(0, -1), N]), `output shape must be [${[...ins[0].shape.slice(0, -1), N]}]`);
  want(t.frac === ins[0].frac && isInt, 'output frac equals input frac (sums of inputs)');
};

const checkAdd: Check = ({ ins, t, a, want, bshape }) => {
  bshape();
  want(
    ins[0].frac === t.frac && ins[1].frac === t.frac,
    `operand fracs ${ins[0].frac}, ${ins[1].frac} must equal the output's ${t.frac}; insert a shift`,
  );
};

const checkNeg: Check = ({ ins, t, want }) => {
  want(sameShape(ins[0].shape, t.shape) && ins[0].frac === t.frac, 'same shape and frac as its operand');
};

const checkShift: Check = ({ ins, t, a, want }) => {
  want(sameShape(ins[0].shape, t.shape), 'same shape as its operand');
  want(t.frac === ins[0].frac - (a.by as number), `output frac must be ${ins[0].frac} − ${a.by} = ${ins[0].frac - (a.by as number)}`);
};

const checkSat: Check = ({ ins, t, a, want }) => {
  const [lo, hi] = dtypeRange(t.dtype);
  want(sameShape(ins[0].shape, t.shape) && ins[0].frac === t.frac, 'same shape and frac as its operand');
  want(
    (a.lo as number) <= (a.hi as number) && (a.lo as number) >= lo && (a.hi as number) <= hi,
    `bounds [${a.lo}, ${a.hi}] must lie within ${t.dtype}`,
  );
};

const checkMul: Check = ({ ins, t, a, want, bshape }) => {
  bshape();
  want(t.frac === ins[0].frac + ins[1].frac - (a.shift as number), `output frac must be ${ins[0].frac} + ${ins[1].frac} − ${a.shift}`);
};

const checkDivround: Check = ({ ins, t, a, want }) => {
  const bs = ins[1].shape;
  want(
    numel(bs) === 1 || (bs.length === ins[0].shape.length && bs.at(-1) === 1 && bs.slice(0, -1).every((d, i) => d === ins[0].shape[i])),
    'the divisor is a scalar or one value per row ([..., 1])',
  );
  want(sameShape(ins[0].shape, t.shape), 'same shape as the dividend');
  want(ins[0].frac === ins[1].frac, `dividend and divisor have the same frac (${ins[0].frac} vs ${ins[1].frac})`);
  want(t.frac === 0, 'the quotient is an integer (frac 0)');
  want(Number.isInteger(a.mul) && (a.mul as number) >= 1 && (a.mul as number) <= 32767, 'mul is an integer in [1, 32767]');
  want(a.round === 'half_even', 'divround rounds half to even (the only mode its kernels implement)');
};

const checkLut: Check = ({ ins, t, a, want }) => {
  want(ins[1].shape.length === 1 && ins[1].shape[0] >= 2, 'table must be a 1-D constant of at least 2 entries');
  want(t.frac === ins[1].frac && sameShape(ins[0].shape, t.shape), "output has the table's frac and the input's shape");
  want((a.step as number) >= 0 && (a.step as number) < 53, 'step must be in [0, 52]');
  want(a.interp === 'none' || a.interp === 'linear', "interp is 'none' or 'linear'");
};

const checkRsqrt: Check = ({ ins, t, a, want }) => {
  want(sameShape(ins[0].shape, t.shape), 'same shape as its operand');
  want(
    (a.lutbits as number) >= 1 && (a.lutbits as number) <= 12 && (a.newton as number) >= 0 && (a.newton as number) <= 4,
    'lutbits in [1,12], newton in [0,4]',
  );
  want(ins[0].dtype !== 'f32' && ins[0].dtype !== undefined && ins[0].frac >= -30 && ins[0].frac <= 60, 'integer operand');
};

const checkReduceSum: Check = ({ node, ins, t, want }) => {
  want(
    sameShape(t.shape, [...ins[0].shape.slice(0, -1), 1]),
    `output shape must be [${[...ins[0].shape.slice(0, -1), 1]}] (keepdims over the last axis)`,
  );
  const sh = node.op === 'reduce_sum' ? ((node.attrs.shift as number | undefined) ?? 0) : 0;
  want(Number.isInteger(sh) && sh >= 0 && sh <= 62, `shift ${sh} must be an integer in 0…62`);
  // Every evaluator sums a row exactly: K·2^31 must stay below 2^53 (the interpreter's doubles).
  want(node.op !== 'reduce_sum' || (ins[0].shape.at(-1) ?? 1) <= 2 ** 21, 'rows of at most 2,097,152 elements');
  want(
    node.op === 'argmax' ? t.frac === 0 && t.dtype === 'i32' : t.frac === ins[0].frac - sh,
    node.op === 'argmax'
      ? 'argmax yields i32 frac 0'
      : sh
        ? `frac must be its operand's less the shift (${ins[0].frac - sh})`
        : 'same frac as its operand',
  );
};

const checkGather: Check = ({ ins, t, want }) => {
  want(ins[0].shape.length === 2, 'table is [V, D]');
  want(ins[1].frac === 0, 'ids are plain integers');
  want(
    sameShape(t.shape, [...ins[1].shape, ins[0].shape[1]]) && t.frac === ins[0].frac && t.dtype === ins[0].dtype,
    "output is ids.shape + [D] with the table's type",
  );
};

const checkSlice: Check = ({ ins, t, a, want }) => {
  const ax = a.axis as number;
  want(ax >= 0 && ax < ins[0].shape.length, `axis ${ax} out of range`);
  want(
    (a.start as number) >= 0 && (a.start as number) < (a.end as number) && (a.end as number) <= ins[0].shape[ax],
    `range [${a.start}, ${a.end}) out of [0, ${ins[0].shape[ax]})`,
  );
  const s = ins[0].shape.slice();
  s[ax] = (a.end as number) - (a.start as number);
  want(sameShape(s, t.shape) && t.frac === ins[0].frac && t.dtype === ins[0].dtype, `output must be [${s}] with the input's type`);
};

const checkConcat: Check = ({ ins, t, a, want }) => {
  const ax = a.axis as number;
  const total = ins.reduce((s, x) => s + (x.shape[ax] ?? 0), 0);
  want(
    ins.every(
      (x) => x.frac === t.frac && x.dtype === t.dtype && x.shape.length === t.shape.length && x.shape.every((d, i) => i === ax || d === t.shape[i]),
    ),
    'operands share dtype, frac and all dims but the axis',
  );
  want(t.shape[ax] === total, `axis ${ax} must total ${total}`);
};

const checkReshape: Check = ({ ins, t, want }) => {
  want(numel(ins[0].shape) === numel(t.shape) && ins[0].frac === t.frac && ins[0].dtype === t.dtype, 'same element count and type');
};

const checkStateWrite: Check = ({ ins, t, a, want }) => {
  want(sameType(ins[0], t), "writes a value of the state's type");
};

// state_read: its type is the state's, which validate() checks against the graph's states.
const checkStateRead: Check = () => {};

/** What makes each op well-formed: one entry per op. */
const CHECKS: Record<OpName, Check> = {
  quantize: checkQuantize,
  dequantize: checkDequantize,
  ternary_matmul: checkTernaryMatmul,
  add: checkAdd,
  sub: checkAdd,
  max: checkAdd,
  min: checkAdd,
  neg: checkNeg,
  abs: checkNeg,
  shift: checkShift,
  sat: checkSat,
  mul: checkMul,
  mulc: checkMul,
  divround: checkDivround,
  lut: checkLut,
  rsqrt: checkRsqrt,
  recip: checkRsqrt,
  reduce_sum: checkReduceSum,
  reduce_max: checkReduceSum,
  reduce_absmax: checkReduceSum,
  argmax: checkReduceSum,
  gather: checkGather,
  slice: checkSlice,
  concat: checkConcat,
  reshape: checkReshape,
  state_write: checkStateWrite,
  state_read: checkStateRead,
};
