/**
 * @fileoverview The IR's textual form. print(parse(t)) === t and parse(print(g)) is g, data included.
 *
 *   trit-ir 1
 *   graph "tiny"
 *   meta source_sha256 = "…"
 *   input %input_ids : i32[1]
 *   state %h.0 : i32[1,64] frac 20
 *   const @w0 : ternary[64,64] = "<base64, 2 bits per weight>"
 *   %x = gather @emb, %input_ids : i16[1,64] frac 10
 *   %y = shift %x {by=-4, round=floor} : i32[1,64] frac 14
 *   output logits = %y
 *
 * Constant data is base64 of little-endian integers of the constant's dtype; ternary matrices pack
 * four weights per byte (code 0 → 0, 1 → +1, 2 → −1), lowest bits first.
 */
import { TritError } from '../../common/errors.js';
import { allocInt, emptyGraph, type Const, type IRGraph, type IRNode } from './graph.js';
import { isOp, opSpec, type Attrs } from './ops.js';
import { numel, typeToString, type DType, type TensorType } from './types.js';
import { fromBase64, toBase64 } from '../util/base64.js';

const NAME = /^[A-Za-z0-9_.:/\-]+$/;

/** Prints a graph as text. */
export function printGraph(g: IRGraph): string {
  const L: string[] = ['trit-ir 1', `graph ${JSON.stringify(g.name)}`];
  for (const [k, v] of Object.entries(g.meta)) L.push(`meta ${k} = ${JSON.stringify(v)}`);
  for (const i of g.inputs) L.push(`input %${i.name} : ${typeToString(i.type)}`);
  for (const s of g.states) L.push(`state %${s.name} : ${typeToString(s.type)}`);
  for (const c of g.consts.values()) {
    const ty = c.ternary ? `ternary[${c.type.shape.join(',')}]` : typeToString(c.type);
    L.push(`const ${c.name} : ${ty} = "${encodeData(c)}"`);
  }
  for (const n of g.nodes) L.push(printNode(n));
  for (const o of g.outputs) L.push(`output ${o.name} = %${o.value}`);
  return L.join('\n') + '\n';
}

/** One node as a line of text. */
export function printNode(n: IRNode): string {
  const ops = n.inputs.map((x) => (x.startsWith('@') ? x : `%${x}`)).join(', ');
  const attrs = Object.entries(n.attrs)
    .map(([k, v]) => (v === true ? k : `${k}=${v}`))
    .join(', ');
  return `%${n.out} = ${n.op}${ops ? ' ' + ops : ''}${attrs ? ` {${attrs}}` : ''} : ${typeToString(n.type)}`;
}

/** Parses the text form; errors name the line. */
export function parseGraph(text: string, file = '<ir>'): IRGraph {
  const lines = text.split('\n');
  const g = emptyGraph('');
  let sawHeader = false;
  lines.forEach((raw, ln) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fail = (msg: string): never => {
      throw new TritError(`line ${ln + 1}: ${msg}`, { file });
    };
    if (!sawHeader) {
      if (line !== 'trit-ir 1') fail(`expected header 'trit-ir 1', got '${line.slice(0, 40)}'`);
      sawHeader = true;
      return;
    }
    const [kw] = line.split(' ', 1);
    const rest = line.slice(kw.length + 1);
    switch (kw) {
      case 'graph':
        g.name = JSON.parse(rest);
        return;
      case 'meta': {
        const m = /^(\S+) = (".*")$/.exec(rest) ?? fail('bad meta line');
        g.meta[m[1]] = JSON.parse(m[2]);
        return;
      }
      case 'input':
      case 'state': {
        const m = /^%(\S+) : (.+)$/.exec(rest) ?? fail(`bad ${kw} line`);
        const entry = { name: name(m[1], fail), type: parseType(m[2], fail) };
        (kw === 'input' ? g.inputs : g.states).push(entry);
        return;
      }
      case 'const': {
        const m = /^(@\S+) : (\S+(?: frac -?\d+)?) = "([A-Za-z0-9+/=]*)"$/.exec(rest) ?? fail('bad const line');
        const ternary = m[2].startsWith('ternary[');
        const type = ternary ? { dtype: 'i8' as const, shape: shapeOf(m[2].slice(7), fail), frac: 0 } : parseType(m[2], fail);
        if (type.dtype === 'f32') fail('constants are integers');
        const c: Const = { name: m[1], type, ternary, data: decodeData(m[3], type, ternary, fail) };
        if (g.consts.has(c.name)) fail(`constant ${c.name} defined twice`);
        g.consts.set(c.name, c);
        return;
      }
      case 'output': {
        const m = /^(\S+) = %(\S+)$/.exec(rest) ?? fail('bad output line');
        g.outputs.push({ name: m[1], value: m[2] });
        return;
      }
      default: {
        if (!kw.startsWith('%')) fail(`unknown line kind '${kw}'`);
        g.nodes.push(parseNode(line, fail));
      }
    }
  });
  if (!sawHeader) throw new TritError('empty IR text', { file });
  return g;
}

function name(s: string, fail: (m: string) => never): string {
  if (!NAME.test(s)) fail(`bad name '${s}'`);
  return s;
}

function parseNode(line: string, fail: (m: string) => never): IRNode {
  const cut = line.lastIndexOf(' : ');
  if (cut < 0) fail('node has no type');
  const type = parseType(line.slice(cut + 3), fail);
  const m = /^%(\S+) = (\w+)(.*)$/.exec(line.slice(0, cut)) ?? fail('bad node line');
  const op = m[2];
  if (!isOp(op)) fail(`unknown op '${op}'`);
  let body = m[3].trim();
  const attrs: Attrs = {};
  const am = /\{([^}]*)\}$/.exec(body);
  if (am) {
    body = body.slice(0, am.index).trim();
    for (const part of am[1]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const eq = part.indexOf('=');
      if (eq < 0) {
        attrs[part] = true;
        continue;
      }
      const k = part.slice(0, eq),
        v = part.slice(eq + 1);
      const spec = opSpec(op);
      const kind = spec.attrs?.[k] ?? spec.optional?.[k];
      attrs[k] = kind === 'int' ? parseIntStrict(v, fail) : v;
    }
  }
  const inputs = body
    ? body
        .split(',')
        .map((s) => s.trim())
        .map((s) => (s.startsWith('%') ? name(s.slice(1), fail) : s.startsWith('@') ? s : fail(`operand '${s}' needs % or @`)))
    : [];
  return { out: name(m[1], fail), op, inputs, attrs, type };
}

function parseIntStrict(v: string, fail: (m: string) => never): number {
  if (!/^-?\d+$/.test(v)) fail(`'${v}' is not an integer`);
  return Number(v);
}

function shapeOf(s: string, fail: (m: string) => never): number[] {
  const m = /^\[([\d,]*)\]$/.exec(s) ?? fail(`bad shape '${s}'`);
  return m[1] ? m[1].split(',').map((d) => parseIntStrict(d, fail)) : [];
}

function parseType(s: string, fail: (m: string) => never): TensorType {
  const m = /^(i8|i16|i32|f32)(\[[\d,]*\])(?: frac (-?\d+))?$/.exec(s.trim()) ?? fail(`bad type '${s}'`);
  return { dtype: m[1] as DType, shape: shapeOf(m[2], fail), frac: m[3] ? Number(m[3]) : 0 };
}

function encodeData(c: Const): string {
  if (c.ternary) {
    const n = c.data.length;
    const bytes = new Uint8Array(Math.ceil(n / 4));
    for (let i = 0; i < n; i++) {
      const code = c.data[i] === 1 ? 1 : c.data[i] === -1 ? 2 : 0;
      bytes[i >> 2] |= code << ((i & 3) * 2);
    }
    return toBase64(bytes);
  }
  return toBase64(new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength));
}

function decodeData(b64: string, t: TensorType, ternary: boolean, fail: (m: string) => never): Const['data'] {
  const bytes = fromBase64(b64);
  const n = numel(t.shape);
  if (ternary) {
    if (bytes.length !== Math.ceil(n / 4)) fail(`ternary data has ${bytes.length} bytes, expected ${Math.ceil(n / 4)}`);
    const out = new Int8Array(n);
    for (let i = 0; i < n; i++) {
      const code = (bytes[i >> 2] >> ((i & 3) * 2)) & 3;
      if (code === 3) fail('ternary data holds the invalid code 3');
      out[i] = code === 1 ? 1 : code === 2 ? -1 : 0;
    }
    return out;
  }
  const dt = t.dtype as 'i8' | 'i16' | 'i32';
  const out = allocInt(dt, n);
  if (bytes.length !== out.byteLength) fail(`data has ${bytes.length} bytes, expected ${out.byteLength}`);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
