/**
 * @fileoverview Reading ONNX protobuf safely: decoding, tensor payloads, attributes, opsets.
 *
 * Uses onnx-proto's generated protobufjs code. Every size is checked before anything is allocated,
 * so a corrupt or hostile file gets a TritError naming the tensor instead of an out-of-memory.
 */
import onnxProto from 'onnx-proto';
import { budget, checkElements } from '../../../common/budget.js';
import { TritError } from '../../../common/errors.js';

export const { onnx } = onnxProto;
export type ModelProto = InstanceType<typeof onnx.ModelProto>;
export type NodeProto = import('onnx-proto').onnx.INodeProto;
export type TensorProto = import('onnx-proto').onnx.ITensorProto;
export type AttributeProto = import('onnx-proto').onnx.IAttributeProto;

/** Opset range of the default domain that trit reads. */
export const OPSET_MIN = 13;
export const OPSET_MAX = 21;
/** Largest tensor (in elements) trit accepts from a file: beyond any model it can compile. */
export const MAX_ELEMENTS = 2 ** 31;

/** An int64 from protobufjs (number or Long) as a JS number. */
export function toNum(v: unknown): number {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber();
  return Number(v ?? 0);
}

/** Decodes ONNX bytes, wrapping protobuf failures in a TritError for `file`. */
export function decodeModel(bytes: Uint8Array, file: string): ModelProto {
  if (bytes.length === 0) throw new TritError('the file is empty', { file }, 'pass an .onnx model file');
  let m: ModelProto;
  try {
    m = onnx.ModelProto.decode(bytes);
  } catch (e) {
    throw new TritError(
      `not a valid ONNX file: protobuf decoding failed (${(e as Error).message})`,
      { file },
      'the file may be truncated or corrupt; re-export it',
    );
  }
  if (!m.graph) throw new TritError('not an ONNX model: it has no graph', { file }, 'is this really an .onnx file?');
  return m;
}

/** The opset version of the default ONNX domain; refuses versions trit does not know. */
export function defaultOpset(m: ModelProto, file: string): number {
  const entries = m.opsetImport ?? [];
  const def = entries.find((o) => !o.domain || o.domain === 'ai.onnx');
  if (!def) throw new TritError('the model imports no default-domain opset', { file }, `export with opset ${OPSET_MIN}–${OPSET_MAX}`);
  const v = toNum(def.version);
  if (v < OPSET_MIN || v > OPSET_MAX) {
    throw new TritError(
      `opset ${v} is not supported (trit reads opsets ${OPSET_MIN}–${OPSET_MAX})`,
      { file },
      `re-export with opset_version between ${OPSET_MIN} and ${OPSET_MAX} (e.g. torch.onnx.export(..., opset_version=17))`,
    );
  }
  return v;
}

/**
 * Checks a list of dims and returns their element count, before any allocation. `limit` is the
 * budget for a tensor whose size comes from numbers (default); a tensor read from the file's own
 * bytes passes MAX_ELEMENTS, as its bytes are checked to be present.
 */
export function checkedNumel(dims: number[], site: { file?: string; tensor?: string; node?: string }, limit = budget().elements): number {
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new TritError(`bad dimension ${d} in [${dims}]`, site, 'the file is corrupt, or its shapes are computed wrong');
    n *= d;
    if (n > MAX_ELEMENTS)
      throw new TritError(`shape [${dims}] has more than 2^31 elements`, site, 'the file is corrupt, or the model is far beyond what trit targets');
  }
  checkElements(n, `shape [${dims}]`, site, limit);
  return n;
}

const ELEM_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8, 16: 2 };
const TYPE_NAMES: Record<number, string> = {
  1: 'FLOAT',
  2: 'UINT8',
  3: 'INT8',
  4: 'UINT16',
  5: 'INT16',
  6: 'INT32',
  7: 'INT64',
  9: 'BOOL',
  10: 'FLOAT16',
  11: 'DOUBLE',
  12: 'UINT32',
  13: 'UINT64',
  16: 'BFLOAT16',
};

/** Whether an ONNX element type is an integer type. */
export function isIntType(t: number): boolean {
  return [2, 3, 4, 5, 6, 7, 9, 12, 13].includes(t);
}

/** Name of an ONNX element type. */
export function typeName(t: number): string {
  return TYPE_NAMES[t] ?? `type#${t}`;
}

/** A decoded tensor: float64 values (exact for every type trit reads) plus shape. */
export interface RawTensor {
  dims: number[];
  /** Int8Array for INT8 tensors (ternary weights: one byte each), float64 otherwise. */
  data: Float64Array | Int8Array;
  int: boolean;
  /** The ONNX element type (TensorProto.DataType). */
  dtype: number;
}

/** Reads `length` bytes at `offset` of an external-data file named by a tensor (relative path). */
export type ExternalReader = (location: string, offset: number, length: number) => Uint8Array;

/** Decodes a TensorProto's payload, checking its declared size against the bytes present. */
export function readTensor(t: TensorProto, site: { file?: string; tensor?: string }, external?: ExternalReader): RawTensor {
  const dims = (t.dims ?? []).map(toNum);
  const n = checkedNumel(dims, site, MAX_ELEMENTS);
  const dt = t.dataType ?? 0;
  const bytesPer = ELEM_BYTES[dt];
  if (!bytesPer) throw new TritError(`tensor element type ${typeName(dt)} is not supported`, site);
  let raw = t.rawData;
  if (t.dataLocation === 1 || (t.externalData ?? []).length > 0) {
    if (!external) {
      throw new TritError(
        'tensor data is stored outside the .onnx file (external data), and no file path was given to find it',
        site,
        'compile from a path (trit compile model.onnx) with the .data file beside it, or save the model as one file',
      );
    }
    const kv = new Map((t.externalData ?? []).map((e) => [e.key ?? '', e.value ?? '']));
    const location = kv.get('location');
    if (!location || location.includes('..') || location.startsWith('/'))
      throw new TritError(`bad external-data location '${location ?? ''}'`, site, 'the file is corrupt');
    const offset = Number(kv.get('offset') ?? 0),
      length = Number(kv.get('length') ?? n * bytesPer);
    if (!Number.isSafeInteger(offset) || offset < 0 || length !== n * bytesPer) {
      throw new TritError(
        `external data of ${length} bytes at offset ${offset} does not fit shape [${dims}] of ${typeName(dt)}`,
        site,
        'the file is corrupt',
      );
    }
    raw = external(location, offset, length);
  }
  if (dt === 3 && raw && raw.length === n) {
    // INT8 (ternary weights): kept as bytes, never widened.
    return { dims, data: new Int8Array(raw.buffer, raw.byteOffset, n).slice(), int: true, dtype: dt };
  }
  const out = new Float64Array(n);
  if (raw && raw.length > 0) {
    if (raw.length !== n * bytesPer) {
      throw new TritError(
        `tensor payload is ${raw.length} bytes but shape [${dims}] of ${typeName(dt)} needs ${n * bytesPer}`,
        site,
        'the file is truncated or corrupt',
      );
    }
    const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < n; i++) out[i] = readElem(dv, i, dt);
  } else {
    const src: unknown[] =
      (dt === 1 ? t.floatData : dt === 11 ? t.doubleData : dt === 7 ? t.int64Data : dt === 13 || dt === 12 ? t.uint64Data : t.int32Data) ?? [];
    if ((src?.length ?? 0) !== n) {
      throw new TritError(`tensor holds ${src?.length ?? 0} values but shape [${dims}] needs ${n}`, site, 'the file is truncated or corrupt');
    }
    for (let i = 0; i < n; i++) {
      const v = toNum(src[i]);
      out[i] = dt === 10 ? halfToFloat(v) : dt === 16 ? bf16ToFloat(v) : v;
    }
  }
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(out[i])) throw new TritError(`tensor holds NaN at element ${i}`, site, 'the weights are corrupt');
  }
  return { dims, data: out, int: isIntType(dt), dtype: dt };
}

function readElem(dv: DataView, i: number, dt: number): number {
  switch (dt) {
    case 1:
      return dv.getFloat32(i * 4, true);
    case 2:
    case 9:
      return dv.getUint8(i);
    case 3:
      return dv.getInt8(i);
    case 4:
      return dv.getUint16(i * 2, true);
    case 5:
      return dv.getInt16(i * 2, true);
    case 6:
      return dv.getInt32(i * 4, true);
    case 7:
      return Number(dv.getBigInt64(i * 8, true));
    case 10:
      return halfToFloat(dv.getUint16(i * 2, true));
    case 11:
      return dv.getFloat64(i * 8, true);
    case 12:
      return dv.getUint32(i * 4, true);
    case 13:
      return Number(dv.getBigUint64(i * 8, true));
    case 16:
      return bf16ToFloat(dv.getUint16(i * 2, true));
    default:
      return NaN;
  }
}

/** IEEE half → float. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1,
    e = (h >> 10) & 0x1f,
    f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** bfloat16 → float. */
export function bf16ToFloat(b: number): number {
  const dv = new DataView(new ArrayBuffer(4));
  dv.setUint32(0, (b & 0xffff) << 16);
  return dv.getFloat32(0);
}

/** Attribute reader for one node. */
export function attrs(node: NodeProto) {
  const map = new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]));
  const site = { node: node.name || node.opType || '?' };
  /** The attribute, checked to be of ONNX type `want` (an exporter that leaves `type` unset is
   *  trusted to have filled the field for it): a STRING keepdims must not read as 0. */
  const typed = (k: string, want: number): AttributeProto | undefined => {
    const a = map.get(k);
    if (a && a.type && a.type !== want)
      throw new TritError(
        `attribute '${k}' is ${ATTR_TYPES[a.type] ?? `type ${a.type}`}; ONNX defines it as ${ATTR_TYPES[want]}`,
        site,
        'the file was written wrong (or damaged); re-export the model',
      );
    return a;
  };
  return {
    has: (k: string) => map.has(k),
    int: (k: string, d?: number): number => {
      const a = typed(k, 2);
      if (!a) {
        if (d === undefined) throw new TritError(`missing attribute '${k}'`, site);
        return d;
      }
      return toNum(a.i);
    },
    float: (k: string, d: number): number => {
      const a = typed(k, 1);
      return a ? (a.f ?? d) : d;
    },
    ints: (k: string): number[] | undefined => {
      const a = typed(k, 7);
      return a ? (a.ints ?? []).map(toNum) : undefined;
    },
    tensor: (k: string): TensorProto | undefined => typed(k, 4)?.t ?? undefined,
    get: (k: string): AttributeProto | undefined => map.get(k),
  };
}

const ATTR_TYPES: Record<number, string> = {
  1: 'a FLOAT',
  2: 'an INT',
  3: 'a STRING',
  4: 'a TENSOR',
  5: 'a GRAPH',
  6: 'FLOATS',
  7: 'INTS',
  8: 'STRINGS',
};
