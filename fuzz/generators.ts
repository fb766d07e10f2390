/**
 * @fileoverview Structured fuzz generators, one per input format trit reads. Each case starts from a
 * valid file (assets.ts) and applies one to three mutations drawn from what breaks readers in
 * practice: sizes that ask for too much, fields of the wrong type or out of range, names with
 * control characters, files that are not regular files, bit flips and truncation. A case is a
 * folder of files and the `trit` command line that reads them; the same seed gives the same case.
 */
import { gzipSync } from 'node:zlib';
import { onnx } from '../compiler/frontends/onnx/proto.js';
import { concatBytes, customSection, readSections, readUleb, section, uleb } from '../runtime-wasm/host/binary.js';
import { META_SECTION, TOKENIZER_SECTION } from '../runtime-wasm/host/format.js';
import { rng } from '../common/rng.js';
import type { Assets } from './assets.js';
import type { Case, FileSpec } from './runner.js';

type R = () => number;
const pick = <T>(r: R, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const int = (r: R, n: number) => Math.floor(r() * n);

/** Numbers that break size arithmetic. */
const HOSTILE_NUMBERS = [0, -1, 1, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 28, 2 ** 30, 1e9, -(2 ** 31), 255, 65536];
const HOSTILE_VALUES: unknown[] = [null, 'x', true, [], {}, [1, 2], -1, 1e9, 2 ** 32, 1.5, NaN, '\u001b[31mred'];
/** Names that must not reach a terminal raw. */
const CONTROL_NAMES = ['\u001b[2J\u001b[31mowned', 'a\rb', 'x\u0007y', 'n\u009b1m', 'tab\there', 'nul\u0000byte'];

export function bitflip(r: R, b: Uint8Array, flips = 1 + int(r, 8)): Uint8Array {
  const o = b.slice();
  for (let i = 0; i < flips && o.length; i++) o[int(r, o.length)] ^= 1 << int(r, 8);
  return o;
}
export const truncate = (r: R, b: Uint8Array): Uint8Array => b.slice(0, int(r, b.length));

/** The not-a-regular-file forms of any input. */
function strange(r: R, real: FileSpec): FileSpec {
  return pick(r, [{ dir: {} }, { fifo: true }, { symlink: '/dev/zero' }, { symlink: '/dev/urandom' }, { symlink: 'missing' }, real] as FileSpec[]);
}

/** Sets one field somewhere in a JSON-like value to a hostile value. */
function mutateJson(r: R, v: unknown, depth = 0): unknown {
  if (depth > 6 || v === null || typeof v !== 'object') return pick(r, HOSTILE_VALUES);
  if (Array.isArray(v)) {
    if (!v.length || r() < 0.2) return pick(r, HOSTILE_VALUES);
    const o = v.slice();
    const i = int(r, o.length);
    o[i] = mutateJson(r, o[i], depth + 1);
    return o;
  }
  const o = { ...(v as Record<string, unknown>) };
  const keys = Object.keys(o);
  if (!keys.length || r() < 0.15) return pick(r, HOSTILE_VALUES);
  const k = pick(r, keys);
  if (r() < 0.1) delete o[k];
  else o[k] = mutateJson(r, o[k], depth + 1);
  return o;
}

// ---------------------------------------------------------------------------------------------
// ONNX

type Model = ReturnType<typeof onnx.ModelProto.decode>;
type Mut = (r: R, m: Model) => void;

const dims = (d: number[]) => ({ dim: d.map((v) => ({ dimValue: v })) });
const ONNX_MUTATIONS: Mut[] = [
  // size bombs: a constant of 2^28 elements, a broadcast, an activation
  (r, m) => {
    const n = pick(r, [2 ** 28, 2 ** 30, 2 ** 20, 2 ** 40]);
    m.graph!.initializer!.push({ name: 'bomb_shape', dims: [2], dataType: 7, int64Data: [n, pick(r, [1, 4, 1024])] as never });
    m.graph!.node!.push({ opType: 'ConstantOfShape', input: ['bomb_shape'], output: ['bomb'], name: 'bomb' });
    m.graph!.node!.push({
      opType: 'ReduceSum',
      input: ['bomb'],
      output: ['bomb_sum'],
      name: 'bomb_sum',
      attribute: [{ name: 'keepdims', type: 2, i: 0 }],
    });
    m.graph!.output!.push({ name: 'bomb_sum', type: { tensorType: { elemType: 1 } } });
  },
  (r, m) => {
    const n = pick(r, [2 ** 15, 2 ** 16, 2 ** 14]);
    m.graph!.initializer!.push({ name: 'ba', dims: [n, 1], dataType: 1, floatData: new Array(n).fill(1) });
    m.graph!.initializer!.push({ name: 'bb', dims: [1, n], dataType: 1, floatData: new Array(n).fill(2) });
    m.graph!.node!.push({ opType: pick(r, ['Add', 'Mul', 'Sub']), input: ['ba', 'bb'], output: ['bc'], name: 'broadcast' });
    m.graph!.node!.push({ opType: 'ReduceMax', input: ['bc'], output: ['bcs'], name: 'bcs', attribute: [{ name: 'keepdims', type: 2, i: 0 }] });
    m.graph!.output!.push({ name: 'bcs', type: { tensorType: { elemType: 1 } } });
  },
  (r, m) => {
    const inp = pick(r, m.graph!.input!);
    const t = inp.type?.tensorType;
    if (t?.shape?.dim?.length) t.shape.dim[int(r, t.shape.dim.length)] = { dimValue: pick(r, HOSTILE_NUMBERS) as never };
  },
  (r, m) => {
    m.graph!.initializer!.push({ name: 'ex_shape', dims: [3], dataType: 7, int64Data: [pick(r, HOSTILE_NUMBERS), 1024, 1024] as never });
    m.graph!.initializer!.push({ name: 'ex_x', dims: [1], dataType: 1, floatData: [1] });
    m.graph!.node!.push({ opType: pick(r, ['Expand', 'Tile']), input: ['ex_x', 'ex_shape'], output: ['ex'], name: 'expand' });
    m.graph!.output!.push({ name: 'ex', type: { tensorType: { elemType: 1 } } });
  },
  // dims and types of initializers
  (r, m) => {
    const t = pick(r, m.graph!.initializer!);
    if (t.dims?.length) t.dims[int(r, t.dims.length)] = pick(r, HOSTILE_NUMBERS) as never;
    else t.dims = [pick(r, HOSTILE_NUMBERS)] as never;
  },
  (r, m) => {
    pick(r, m.graph!.initializer!).dataType = pick(r, [0, 2, 4, 5, 8, 10, 11, 12, 13, 14, 16, 17, 99]);
  },
  // attributes of the wrong type
  (r, m) => {
    const n = pick(r, m.graph!.node!);
    const a = n.attribute?.length ? pick(r, n.attribute) : undefined;
    if (!a) {
      n.attribute = [{ name: pick(r, ['axis', 'keepdims', 'to', 'axes', 'perm']), type: 3, s: new TextEncoder().encode('str') }];
      return;
    }
    const kind = int(r, 4);
    if (kind === 0) Object.assign(a, { type: 3, s: new TextEncoder().encode('1'), i: undefined, ints: [], f: undefined });
    else if (kind === 1) Object.assign(a, { type: 1, f: 1.5, i: undefined, ints: [] });
    else if (kind === 2) Object.assign(a, { type: 7, ints: [pick(r, HOSTILE_NUMBERS), pick(r, HOSTILE_NUMBERS)], i: undefined });
    else Object.assign(a, { i: pick(r, HOSTILE_NUMBERS) });
  },
  // names with control characters
  (r, m) => {
    const n = pick(r, m.graph!.node!);
    n.name = pick(r, CONTROL_NAMES);
    n.opType = r() < 0.5 ? `${pick(r, CONTROL_NAMES)}Op` : n.opType;
  },
  (r, m) => {
    const bad = pick(r, CONTROL_NAMES);
    const old = pick(r, m.graph!.input!).name!;
    for (const n of m.graph!.node!) n.input = n.input!.map((x) => (x === old ? bad : x));
  },
  // external data that points anywhere
  (r, m) => {
    const t = pick(r, m.graph!.initializer!);
    t.dataLocation = 1;
    t.rawData = new Uint8Array(0);
    t.floatData = [];
    t.int32Data = [];
    t.externalData = [
      { key: 'location', value: pick(r, ['.', '..', 'sub', '/dev/zero', '../../etc/passwd', 'w.data', 'fifo', 'missing.data']) },
      { key: 'offset', value: String(pick(r, [0, 4, 2 ** 40, -1])) },
      { key: 'length', value: String(pick(r, [4, 2 ** 31, 2 ** 40, -5, 0])) },
    ];
  },
  // structure
  (r, m) => {
    const ns = m.graph!.node!;
    const n = pick(r, ns);
    const k = int(r, 5);
    if (k === 0) n.opType = pick(r, ['Loop', 'If', 'Scan', 'Resize', 'NonZero', 'Foo', '', 'Conv', 'Gemm', 'LSTM']);
    else if (k === 1) n.input = n.input!.slice(0, int(r, n.input!.length));
    else if (k === 2) n.output = [...n.output!, n.output![0]];
    else if (k === 3) ns.push({ ...n, name: 'dup' });
    else ns.reverse();
  },
  // extreme values: beyond fixed point, infinities, zero divisors
  (r, m) => {
    const floats = m.graph!.initializer!.filter((t) => t.dataType === 1);
    const t = pick(r, floats);
    const v = pick(r, [1e30, -1e30, 1e-30, Infinity, -Infinity, 0, 3e38, 1e-45]);
    const n = (t.dims ?? []).reduce((a, b) => a * Number(b), 1);
    t.rawData = new Uint8Array(0);
    t.floatData = Array.from({ length: n }, (_, i) => (r() < 0.5 || i === 0 ? v : 1));
  },
  (r, m) => {
    const o = pick(r, m.graph!.output!);
    m.graph!.output!.push({ ...o });
  },
  (r, m) => {
    m.opsetImport = pick(r, [[], [{ domain: '', version: 1 }], [{ domain: '', version: 99 }], [{ domain: 'com.evil', version: 1 }]]);
  },
  (r, m) => {
    const o = pick(r, m.graph!.output!);
    o.name = pick(r, ['missing', '', o.name!, m.graph!.input![0].name!]);
  },
];

function onnxCase(r: R, a: Assets, id: string): Case {
  const m = onnx.ModelProto.decode(a.lmOnnx);
  const n = 1 + int(r, 3);
  for (let i = 0; i < n; i++) pick(r, ONNX_MUTATIONS)(r, m);
  let bytes: Uint8Array = onnx.ModelProto.encode(m).finish();
  const raw = r();
  if (raw < 0.1) bytes = bitflip(r, bytes);
  else if (raw < 0.15) bytes = truncate(r, bytes);
  const files: Record<string, FileSpec> = {
    'm.onnx': r() < 0.04 ? strange(r, bytes) : bytes,
    'w.data': new Uint8Array(64),
    sub: { dir: {} },
    fifo: { fifo: true },
  };
  const argv = r() < 0.8 ? ['inspect', '{}/m.onnx'] : ['compile', '{}/m.onnx', '--target', 'wasm', '-o', '{}/o.wasm'];
  return { id, format: 'onnx', files, argv };
}

// ---------------------------------------------------------------------------------------------
// checkpoint directories (config.json + safetensors)

function safetensorsHeader(b: Uint8Array): { header: Record<string, unknown>; body: Uint8Array } {
  const n = Number(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(b.subarray(8, 8 + n))), body: b.subarray(8 + n) };
}
/** Safetensors bytes from a header (any JSON) and a body; the length field may lie. */
export function withHeader(header: unknown, body: Uint8Array = new Uint8Array(0), lengthOverride?: number): Uint8Array {
  const hb = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + hb.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(lengthOverride ?? hb.length), true);
  out.set(hb, 8);
  out.set(body, 8 + hb.length);
  return out;
}

/** A safetensors file with one structural mutation. */
function mutateSafetensors(r: R, b: Uint8Array): Uint8Array {
  const { header, body } = safetensorsHeader(b);
  const k = int(r, 7);
  if (k === 0) return bitflip(r, b);
  if (k === 1) return truncate(r, b);
  if (k === 2) return withHeader(header, body, pick(r, [2 ** 40, 2 ** 31, 0, b.length, 7]));
  if (k === 3) return withHeader(pick(r, [null, [], 1, 'x']), body);
  const names = Object.keys(header).filter((n) => n !== '__metadata__');
  const name = pick(r, names);
  const t = header[name] as Record<string, unknown>;
  if (k === 4) header[name] = mutateJson(r, t);
  else if (k === 5) header[pick(r, CONTROL_NAMES)] = t;
  else t.shape = (t.shape as number[]).map((d) => (r() < 0.5 ? pick(r, HOSTILE_NUMBERS) : d));
  return withHeader(header, body);
}

function checkpointCase(r: R, a: Assets, id: string): Case {
  const ck = a.checkpoint;
  let config: FileSpec = ck.config;
  let st: FileSpec = ck.safetensors;
  const extra: Record<string, FileSpec> = {};
  const k = int(r, 6);
  if (k <= 1) {
    const c = JSON.parse(ck.config);
    const key = pick(r, Object.keys(c));
    c[key] = pick(r, r() < 0.5 ? HOSTILE_NUMBERS : HOSTILE_VALUES);
    if (r() < 0.3) c.num_hidden_layers = pick(r, [1e6, 1e9, 2 ** 31]);
    config = JSON.stringify(c);
  } else if (k === 2) config = pick(r, ['null', '[]', '{', '"x"', '{"model_type":"hgrn_bit"}', JSON.stringify(mutateJson(r, JSON.parse(ck.config)))]);
  else if (k === 3) st = mutateSafetensors(r, ck.safetensors);
  else if (k === 4) {
    const which = pick(r, ['config.json', 'model.safetensors']);
    if (which === 'config.json') config = strange(r, config);
    else st = strange(r, st);
  } else {
    extra['model.safetensors.index.json'] = pick(r, [
      JSON.stringify({ weight_map: { 'model.embeddings.weight': '../../etc/passwd' } }),
      JSON.stringify({ weight_map: null }),
      JSON.stringify({ weight_map: { x: 'model.safetensors' } }),
      JSON.stringify({ weight_map: { 'model.embeddings.weight': 'sub' } }),
      'null',
    ]);
    extra.sub = { dir: {} };
  }
  return {
    id,
    format: 'checkpoint',
    files: { ck: { dir: { 'config.json': config, 'model.safetensors': st, ...extra } } },
    argv: ['inspect', '{}/ck'],
  };
}

// ---------------------------------------------------------------------------------------------
// golden and calibration files

function goldenCase(r: R, a: Assets, id: string): Case {
  let g: FileSpec;
  const k = int(r, 10);
  if (k < 7) g = mutateSafetensors(r, a.lmGolden);
  else if (k === 7) {
    const { header, body } = safetensorsHeader(a.lmGolden);
    const meta = (header.__metadata__ ?? {}) as Record<string, unknown>;
    header.__metadata__ = mutateJson(r, meta);
    g = withHeader(header, body);
  } else if (k === 8) {
    // NaN and infinities in the inputs
    const b = a.lmGolden.slice();
    const { header } = safetensorsHeader(b);
    const hb = 8 + Number(new DataView(b.buffer).getBigUint64(0, true));
    const first = Object.entries(header).find(([n]) => n !== '__metadata__')![1] as { data_offsets: number[] };
    new DataView(b.buffer).setFloat32(hb + first.data_offsets[0], pick(r, [NaN, Infinity, -Infinity, 1e30]), true);
    g = b;
  } else g = strange(r, a.lmGolden);
  // verify an .onnx (the interpreter) or a .wasm (the runtime, in its sandbox), or calibrate with it
  const use = pick(r, ['onnx', 'wasm', 'calibration'] as const);
  return {
    id,
    format: 'golden',
    files: { 'm.onnx': a.lmOnnx, 'm.wasm': a.lmWasm, 'g.safetensors': g },
    argv:
      use === 'calibration'
        ? ['inspect', '{}/m.onnx', '--calibration', '{}/g.safetensors']
        : ['verify', `{}/m.${use}`, '--golden', '{}/g.safetensors'],
  };
}

// ---------------------------------------------------------------------------------------------
// .wasm modules with forged sections

/** The module with custom section `name` replaced (or removed: null) and extra sections spliced in. */
export function forgeWasm(b: Uint8Array, replace: Record<string, Uint8Array | null>, extra: Uint8Array[] = [], at = 1): Uint8Array {
  const parts: Uint8Array[] = [b.subarray(0, 8)];
  const secs = readSections(b);
  secs.forEach((s, i) => {
    if (i === at) parts.push(...extra);
    if (s.id === 0) {
      const [n] = readUlebName(b, s.body[0]);
      if (n in replace) {
        const v = replace[n];
        if (v) parts.push(customSection(n, v));
        return;
      }
    }
    parts.push(b.subarray(s.start, s.end));
  });
  return concatBytes(parts);
}
/** A custom section's name and where its payload starts. */
function readUlebName(b: Uint8Array, pos: number): [string, number] {
  const [len, p] = readUleb(b, pos);
  return [new TextDecoder().decode(b.subarray(p, p + len)), p + len];
}
export function metaOf(b: Uint8Array): Record<string, unknown> {
  for (const s of readSections(b)) {
    if (s.id !== 0) continue;
    const [n, p] = readUlebName(b, s.body[0]);
    if (n === META_SECTION) return JSON.parse(new TextDecoder().decode(b.subarray(p, s.body[1])));
  }
  throw new Error('no meta');
}

const enc = (s: string) => new TextEncoder().encode(s);
/** Sections a trit module never has: an own memory, a start function, another import. */
const FORGED_SECTIONS: Uint8Array[][] = [
  [section(5, [1, 0, 1])], // an own memory
  [section(8, [0])], // start = function 0
  [section(2, [1, ...uleb(3), ...enc('env'), ...uleb(5), ...enc('abort'), 0, 0])], // another import
];

/**
 * A module with trit's interface — the memory import and the five exported functions — whose
 * `run` loops forever, traps, or returns, and whose metadata is `meta`: what a forged .wasm looks
 * like to the host. `start` adds a start section (function 2, a no-op).
 */
export function forgedModule(meta: Record<string, unknown>, run: 'loop' | 'trap' | 'ok', start = false): Uint8Array {
  const pages = uleb(meta.pages as number);
  const names = ['run', 'advance', 'reset', 'worker', 'stop'];
  const body = { loop: [0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b], trap: [0x00, 0x00, 0x0b], ok: [0x00, 0x0b] }[run];
  const bodies = [body, ...names.slice(1).map(() => [0x00, 0x0b])];
  const parts = [
    new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
    section(1, [1, 0x60, 0, 0]),
    section(2, [1, ...uleb(3), ...enc('env'), ...uleb(6), ...enc('memory'), 2, 0x03, ...pages, ...pages]),
    section(3, [5, 0, 0, 0, 0, 0]),
    section(7, [5, ...names.flatMap((n, i) => [...uleb(n.length), ...enc(n), 0, i])]),
    ...(start ? [section(8, [2])] : []),
    section(10, [5, ...bodies.flatMap((b) => [...uleb(b.length), ...b])]),
    customSection(META_SECTION, enc(JSON.stringify(meta))),
  ];
  return concatBytes(parts);
}

function wasmCase(r: R, a: Assets, id: string): Case {
  const base = r() < 0.5 ? a.lmWasmTok : a.lmWasm;
  const meta = metaOf(base);
  let bytes: Uint8Array;
  const k = int(r, 12);
  if (k < 5) bytes = forgeWasm(base, { [META_SECTION]: enc(JSON.stringify(mutateJson(r, meta))) });
  else if (k === 5) {
    const m = { ...meta, name: pick(r, CONTROL_NAMES), pages: pick(r, [1, 0, 65536, 2 ** 20, meta.pages]) };
    bytes = forgeWasm(base, { [META_SECTION]: enc(JSON.stringify(m)) });
  } else if (k === 6) bytes = forgeWasm(base, { [META_SECTION]: enc(pick(r, ['null', '{', '[]', '"x"', '{"format":3}'])) });
  else if (k === 7) bytes = bitflip(r, base);
  else if (k === 8) bytes = truncate(r, base);
  else if (k === 9)
    bytes =
      r() < 0.5
        ? forgeWasm(base, {}, pick(r, FORGED_SECTIONS), 1 + int(r, 3))
        : forgedModule({ ...meta, tokenizer: undefined }, pick(r, ['loop', 'trap', 'ok'] as const), r() < 0.3);
  else if (k === 10) bytes = forgeWasm(base, { [TOKENIZER_SECTION]: enc(mutateTokenizerJson(r, a.tokenizerJson)) });
  else bytes = forgeWasm(base, { [META_SECTION]: enc(JSON.stringify({ ...meta, tokenizer: mutateJson(r, meta.tokenizer ?? {}) })) });
  const file: FileSpec = r() < 0.04 ? strange(r, bytes) : bytes;
  const argv = r() < 0.5 ? ['inspect', '{}/m.wasm'] : ['run', '{}/m.wasm', '--prompt', 'the', '--max-tokens', '3', '--timeout', '0.5'];
  return { id, format: 'wasm', files: { 'm.wasm': file }, argv };
}

// ---------------------------------------------------------------------------------------------
// tokenizers

export function mutateTokenizerJson(r: R, text: string): string {
  const t = JSON.parse(text) as Record<string, unknown>;
  const model = t.model as Record<string, unknown>;
  const k = int(r, 10);
  if (k === 0) return pick(r, ['null', '[]', '{}', '{"model":null}', '', '{']);
  if (k === 1) model.vocab = pick(r, [{}, [], null, { a: 1e9 }, { a: 2 ** 32 }, { a: -1 }, { a: 'x' }, { a: 1.5 }]);
  else if (k === 2) model.merges = pick(r, [null, 'a b', [1, 2], [['a', 'b', 'c']], ['a'], [null]]);
  else if (k === 3) t.added_tokens = pick(r, [null, [null], [{ id: 'x' }], [{ id: 2 ** 40, content: 'x' }], [{ id: 1 }], 'x']);
  else if (k === 4) t.normalizer = pick(r, [{ type: 'Sequence', normalizers: null }, { type: 'Replace' }, { type: 'Foo' }, 'x', 1]);
  else if (k === 5 && r() < 0.3) {
    // Huge vocabularies cost seconds each to parse: a third of this branch (3% of cases).
    const big: Record<string, number> = {};
    const n = r() < 0.1 ? 2_000_000 : pick(r, [140_000, 300_000]); // 2M: refused by count after a ~9 s parse
    for (let i = 0; i < n; i++) big[`t${i}`] = i;
    model.vocab = big;
  } else if (k === 6) model.type = pick(r, ['WordPiece', 'Unigram', null, 1]);
  else if (k === 7) model.vocab = Object.fromEntries(Object.entries(model.vocab as object).map(([s], i) => [s, i ? i : pick(r, CONTROL_NAMES)]));
  else return JSON.stringify(mutateJson(r, t));
  return JSON.stringify(t);
}

// tokenizer.model: a SentencePiece ModelProto written field by field, so that every field can be
// given a hostile value (sentencepiece_model.proto: pieces 1 {piece 1, score 2, type 3},
// trainer_spec 2 {model_type 3, byte_fallback 35}, normalizer_spec 3 {name 1, add_dummy_prefix 3}).
const tag = (no: number, wire: number) => uleb(no * 8 + wire);
const lenField = (no: number, body: ArrayLike<number>) => [...tag(no, 2), ...uleb(body.length), ...Array.from(body)];
const varField = (no: number, v: number) => [...tag(no, 0), ...uleb(v)];
const f32Field = (no: number, v: number) => [...tag(no, 5), ...new Uint8Array(Float32Array.of(v).buffer)];

/** A BPE tokenizer.model over the LM's 64 tokens (unk, <s>, </s>, then letters and merges). */
export function tinySentencePiece(
  edit?: (pieces: { piece: string; score: number; type: number }[]) => void,
  spec = { modelType: 2, name: 'identity' },
): Uint8Array {
  const letters = [...'abcdefghijklmnopqrstuvwxyz\u2581ABCDEFGHIJKLMNOPQRSTUVWXYZ.,'];
  const pieces = [
    { piece: '<unk>', score: 0, type: 2 },
    { piece: '<s>', score: 0, type: 3 },
    { piece: '</s>', score: 0, type: 3 },
    ...['th', 'he', 'an', 'in', '\u2581t'].map((p, i) => ({ piece: p, score: -i, type: 1 })),
    ...letters.map((p, i) => ({ piece: p, score: -10 - i, type: 1 })),
  ].slice(0, 64);
  edit?.(pieces);
  const bytes = [
    ...pieces.flatMap((p) => lenField(1, [...lenField(1, enc(p.piece)), ...f32Field(2, p.score), ...varField(3, p.type)])),
    ...lenField(2, varField(3, spec.modelType)),
    ...lenField(3, [...lenField(1, enc(spec.name)), ...varField(3, 1), ...varField(5, 1)]),
  ];
  return Uint8Array.from(bytes);
}

function sentencePieceModel(r: R): Uint8Array {
  const k = int(r, 8);
  if (k === 0) return bitflip(r, tinySentencePiece());
  if (k === 1) return truncate(r, tinySentencePiece());
  if (k === 2) return tinySentencePiece(undefined, { modelType: pick(r, [0, 1, 3, 4, 99, 2 ** 31]), name: 'identity' });
  if (k === 3) return tinySentencePiece(undefined, { modelType: 2, name: pick(r, ['nmt_nfkc', '', '\u001b[31m', 'x'.repeat(1000)]) });
  if (k === 4) return tinySentencePiece((ps) => void (pick(r, ps).type = pick(r, [0, 4, 5, 6, 7, 99, 2 ** 32 - 1])));
  if (k === 5) return tinySentencePiece((ps) => void (pick(r, ps).score = pick(r, [NaN, Infinity, -Infinity, 1e38])));
  if (k === 6) return tinySentencePiece((ps) => void (pick(r, ps).piece = pick(r, ['', ...CONTROL_NAMES, '\ud800'])));
  // a length that runs past the end, a wire type no field has
  const good = Array.from(tinySentencePiece());
  return Uint8Array.from(r() < 0.5 ? [...tag(1, 2), ...uleb(2 ** 31), ...good] : [...tag(1, 7), ...good]);
}

function tokenizerCase(r: R, a: Assets, id: string): Case {
  if (r() < 0.3) {
    // tokenizer.model, carried in a module (parsed at load) or named by --tokenizer
    const sp = sentencePieceModel(r);
    if (r() < 0.85) {
      const meta = { ...metaOf(a.lmWasmTok) };
      meta.tokenizer = { format: 'sentencepiece', file: 'tokenizer.model', bytes: sp.length, addBos: true };
      return {
        id,
        format: 'tokenizer',
        files: { 'm.wasm': forgeWasm(a.lmWasmTok, { [META_SECTION]: enc(JSON.stringify(meta)), [TOKENIZER_SECTION]: sp }) },
        argv: ['run', '{}/m.wasm', '--prompt', 'then', '--max-tokens', '2'],
      };
    }
    return {
      id,
      format: 'tokenizer',
      files: { 'm.onnx': a.lmOnnx, 'tokenizer.model': r() < 0.1 ? strange(r, sp) : sp },
      argv: ['compile', '{}/m.onnx', '--target', 'wasm', '--tokenizer', '{}/tokenizer.model', '-o', '{}/o.wasm'],
    };
  }
  const text = mutateTokenizerJson(r, a.tokenizerJson);
  // The carried path (a module whose tokenizer section is the mutated file) is fast; the compile
  // path (--tokenizer) reads the file from disk, so it also gets the strange-file forms.
  if (r() < 0.85)
    return {
      id,
      format: 'tokenizer',
      files: { 'm.wasm': forgeWasm(a.lmWasmTok, { [TOKENIZER_SECTION]: enc(text) }) },
      argv: ['run', '{}/m.wasm', '--prompt', 'then', '--max-tokens', '2'],
    };
  const tok: FileSpec = r() < 0.2 ? strange(r, text) : text;
  const cfg: FileSpec = r() < 0.2 ? pick(r, ['null', '{', strange(r, '{}'), '{"add_bos_token":"x"}']) : '{}';
  return {
    id,
    format: 'tokenizer',
    files: { 'm.onnx': a.lmOnnx, 'tokenizer.json': tok, 'tokenizer_config.json': cfg },
    argv: ['compile', '{}/m.onnx', '--target', 'wasm', '--tokenizer', '{}/tokenizer.json', '-o', '{}/o.wasm'],
  };
}

// ---------------------------------------------------------------------------------------------
// MNIST IDX files

const bombs = new Map<number, Uint8Array>();
/** `mib` MiB of zeros, gzipped (about a thousandth of that on disk). */
function zeroBomb(mib: number): Uint8Array {
  if (!bombs.has(mib)) bombs.set(mib, gzipSync(new Uint8Array(mib << 20), { level: 9 }));
  return bombs.get(mib)!;
}

function idxCase(r: R, a: Assets, id: string): Case {
  let images: FileSpec = a.idxImages,
    labels: FileSpec = a.idxLabels;
  const k = int(r, 7);
  const raw = (dimsN: number, dims: number[], body = 16) => {
    const h = new Uint8Array(4 + 4 * dims.length + body);
    h.set([0, 0, 8, dimsN]);
    dims.forEach((d, i) => new DataView(h.buffer).setUint32(4 + 4 * i, d >>> 0));
    return r() < 0.5 ? gzipSync(h) : h;
  };
  if (k === 0) images = raw(255, [16, 28, 28]);
  else if (k === 1) images = raw(3, [pick(r, [2 ** 32 - 1, 2 ** 31, 0, 1]), pick(r, [28, 0, 2 ** 16]), 28]);
  else if (k === 2) labels = raw(1, [pick(r, [2 ** 32 - 1, 0, 1e9])]);
  else if (k === 3 && r() < 0.4)
    images = zeroBomb(pick(r, [64, 256, 1024])); // inflates far past its size (a second each: 6% of cases)
  else if (k === 4) images = bitflip(r, a.idxImages);
  else if (k === 5) images = truncate(r, a.idxImages);
  else images = strange(r, a.idxImages);
  return {
    id,
    format: 'idx',
    files: { 'm.wasm': a.classifierWasm, mnist: { dir: { 't10k-images-idx3-ubyte.gz': images, 't10k-labels-idx1-ubyte.gz': labels } } },
    argv: ['run', '{}/m.wasm', '--mnist', '{}/mnist', '--limit', '8'],
  };
}

export const GENERATORS = {
  onnx: onnxCase,
  checkpoint: checkpointCase,
  golden: goldenCase,
  wasm: wasmCase,
  tokenizer: tokenizerCase,
  idx: idxCase,
} as const;
export type Format = keyof typeof GENERATORS;
export const FORMATS = Object.keys(GENERATORS) as Format[];

/** Case `i` of a format under a seed: the same arguments give the same case. */
export function generate(format: Format, seed: number, i: number, a: Assets): Case {
  const r = rng(seed * 1_000_003 + i * 7919 + FORMATS.indexOf(format) * 104_729);
  return GENERATORS[format](r, a, `${format}:${seed}:${i}`);
}
