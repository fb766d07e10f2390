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
