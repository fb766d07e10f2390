/**
 * @fileoverview Checks a module's metadata before the host trusts any number in it: every
 * address the host reads or writes (inputs, outputs, states, the control block) inside the
 * memory, every shape a list of positive integers, the memory size the one the module imports.
 * A forged or damaged `.wasm` then ends in one TritError naming the field, not in a RangeError
 * from a typed-array view or a write outside a tensor.
 */
import { TritError } from '../../common/errors.js';
import type { TensorSlot, WasmMeta } from './format.js';

const MAX_PAGES = 65536;

/** Throws a TritError naming the first field of `meta` that cannot describe a module importing `importPages` pages. */
export function checkMetaShape(meta: unknown, importPages: number, name: string): asserts meta is WasmMeta {
  const bad = (what: string): never => {
    throw new TritError(`the metadata is malformed: ${what}`, { file: name }, 'the file is corrupt or forged; compile the model again');
  };
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) return bad('not an object');
  const m = meta as Record<string, unknown>;
  const int = (v: unknown, lo: number, hi: number) => typeof v === 'number' && Number.isInteger(v) && v >= lo && v <= hi;
  if (!int(m.pages, 1, MAX_PAGES)) bad(`pages ${JSON.stringify(m.pages)} is not a page count`);
  if (m.pages !== importPages) bad(`pages ${m.pages} but the module imports a memory of ${importPages}`);
  const bytes = (m.pages as number) * 65536;
  if (!int(m.ctl, 0, bytes - 64)) bad(`ctl ${JSON.stringify(m.ctl)} is outside the memory`);
  if (!int(m.maxThreads, 1, 64)) bad(`maxThreads ${JSON.stringify(m.maxThreads)}`);
  const slots = (key: 'inputs' | 'outputs'): TensorSlot[] => {
    const list = m[key];
    if (!Array.isArray(list) || list.length === 0) return bad(`${key} is not a list of tensors`);
    list.forEach((t: unknown, i) => checkSlot(t, `${key}[${i}]`, bytes, bad));
    return list as TensorSlot[];
  };
  const outputs = slots('outputs');
  slots('inputs');
  if (!outputs.some((o) => o.name === m.primary)) bad(`primary ${JSON.stringify(m.primary)} is not an output`);
  if (!Array.isArray(m.states)) bad('states is not a list');
  (m.states as unknown[]).forEach((s, i) => {
    const st = s as { offset?: unknown; bytes?: unknown } | null;
    if (!st || !int(st.offset, 0, bytes) || !int(st.bytes, 0, bytes - (st.offset as number))) bad(`states[${i}] lies outside the memory`);
  });
  if (m.vocab !== undefined && (!Array.isArray(m.vocab) || m.vocab.some((v) => typeof v !== 'string'))) bad('vocab is not a list of strings');
  if (m.classes !== undefined && (!Array.isArray(m.classes) || m.classes.some((v) => typeof v !== 'string'))) bad('classes is not a list of strings');
  checkFacts(m, bad);
}

/** The fields reports print: strings where strings are expected, counts that are counts. */
function checkFacts(m: Record<string, unknown>, bad: (what: string) => never): void {
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const count = (v: unknown) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
  for (const k of ['model', 'sourceSha256'] as const) if (typeof m[k] !== 'string') bad(`${k} is not a string`);
  if (!['lm', 'classifier', 'other'].includes(m.kind as string)) bad(`kind ${JSON.stringify(m.kind)}`);
  if (m.simd !== 'fixed' && m.simd !== 'relaxed') bad(`simd ${JSON.stringify(m.simd)}`);
  const sizes = m.sizes;
  if (!isObj(sizes) || !['weights', 'tables', 'activations', 'kernels'].every((k) => count(sizes[k]))) bad('sizes is not four byte counts');
  (m.states as { name?: unknown }[]).forEach((s, i) => typeof s.name !== 'string' && bad(`states[${i}] has no name`));
  const tk = m.tokenizer;
  if (tk !== undefined) {
    if (
      !isObj(tk) ||
      !['sentencepiece', 'tokenizer.json'].includes(tk.format as string) ||
      typeof tk.file !== 'string' ||
      !count(tk.bytes) ||
      typeof tk.addBos !== 'boolean'
    )
      bad('tokenizer is not {format, file, bytes, addBos}');
  }
  const th = m.threading;
  if (th !== undefined && (!isObj(th) || !count(th.matrices) || !count(th.shared) || !count(th.minWeights))) bad('threading is not three counts');
  if (m.stats !== undefined && (!isObj(m.stats) || !Object.values(m.stats).every((v) => typeof v === 'number')))
    bad('stats is not a table of numbers');
  if (m.irMeta !== undefined && (!isObj(m.irMeta) || !Object.values(m.irMeta).every((v) => typeof v === 'string')))
    bad('irMeta is not a table of strings');
}

function checkSlot(t: unknown, where: string, memBytes: number, bad: (what: string) => never): void {
  const s = t as Partial<TensorSlot> | null;
  if (!s || typeof s !== 'object') return bad(`${where} is not a tensor`);
  if (typeof s.name !== 'string') bad(`${where} has no name`);
  if (s.storage !== 'i32' && s.storage !== 'f32') bad(`${where} (${s.name}) storage ${JSON.stringify(s.storage)}`);
  if (!Array.isArray(s.shape) || s.shape.length > 8 || s.shape.some((d) => !Number.isInteger(d) || d < 1 || d > 2 ** 28))
    bad(`${where} (${s.name}) shape ${JSON.stringify(s.shape)}`);
  const n = (s.shape as number[]).reduce((a, b) => a * b, 1);
  if (!Number.isInteger(s.offset) || (s.offset as number) < 0 || (s.offset as number) % 4 !== 0 || (s.offset as number) + 4 * n > memBytes)
    bad(`${where} (${s.name}): ${n} values at ${JSON.stringify(s.offset)} lie outside the memory`);
  if (typeof s.frac !== 'number' || !Number.isInteger(s.frac) || Math.abs(s.frac) > 1100) bad(`${where} (${s.name}) frac ${JSON.stringify(s.frac)}`);
  if (s.limit !== undefined && !(Number.isInteger(s.limit) && s.limit >= 1)) bad(`${where} (${s.name}) limit ${JSON.stringify(s.limit)}`);
}
