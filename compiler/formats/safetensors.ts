/**
 * @fileoverview Minimal safetensors reader/writer (the format is 8-byte LE header length, a JSON
 * header, then raw little-endian data). Hand-written because the format is ~20 lines of logic and
 * the npm packages for it pull in Node-only or hub-download code; bounds are checked before reads.
 */
import { TritError } from '../../common/errors.js';

/** A tensor read from or written to safetensors, held as float64 values. */
export interface STensor {
  dtype: 'F32' | 'F64' | 'I32' | 'I64' | 'I8' | 'I16' | 'U8' | 'F16' | 'BF16';
  shape: number[];
  data: Float64Array;
}

const SIZE: Record<STensor['dtype'], number> = { F32: 4, F64: 8, I32: 4, I64: 8, I8: 1, I16: 2, U8: 1, F16: 2, BF16: 2 };

/** Parses a safetensors file; every offset is checked against the file size first. */
export function readSafetensors(bytes: Uint8Array, file = '<safetensors>'): { tensors: Map<string, STensor>; meta: Record<string, string> } {
  if (bytes.length < 8) throw new TritError('not a safetensors file: shorter than its 8-byte header length', { file });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = Number(dv.getBigUint64(0, true));
  if (hlen > bytes.length - 8 || hlen > 100_000_000)
    throw new TritError(`safetensors header claims ${hlen} bytes but the file has ${bytes.length - 8}`, { file }, 'the file is truncated or corrupt');
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + hlen)));
  } catch {
    throw new TritError('safetensors header is not valid JSON', { file }, 'the file is truncated or corrupt');
  }
  if (!isObject(header)) throw new TritError('safetensors header is not a JSON object', { file }, 'the file is truncated or corrupt');
  const base = 8 + hlen;
  const tensors = new Map<string, STensor>();
  const rawMeta = header.__metadata__ ?? {};
  if (!isObject(rawMeta)) throw new TritError('"__metadata__" is not an object', { file }, 'the file is corrupt');
  // Metadata values are strings by the format's definition; anything else is dropped, not trusted.
  const meta = Object.fromEntries(Object.entries(rawMeta).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (!isObject(e)) throw new TritError('the header entry is not an object', { file, tensor: name }, 'the file is corrupt');
    const { dtype, shape, data_offsets } = e as { dtype: STensor['dtype']; shape: number[]; data_offsets: [number, number] };
    const size = typeof dtype === 'string' && Object.hasOwn(SIZE, dtype) ? SIZE[dtype] : 0;
    if (!size) throw new TritError(`dtype ${JSON.stringify(dtype)} is not supported`, { file, tensor: name });
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new TritError('bad shape', { file, tensor: name });
    const n = shape.reduce((p, d) => p * d, 1);
    const [a, b]: unknown[] = Array.isArray(data_offsets) ? data_offsets : [];
    if (!(
      typeof a === 'number' &&
      typeof b === 'number' &&
      Number.isSafeInteger(a) &&
      Number.isSafeInteger(b) &&
      a >= 0 &&
      b >= a &&
      base + b <= bytes.length &&
      b - a === n * size
    )) {
      throw new TritError(
        `data offsets [${a}, ${b}] do not fit the file or the shape [${shape}] of ${dtype}`,
        { file, tensor: name },
        'the file is truncated or corrupt',
      );
    }
    const tv = new DataView(bytes.buffer, bytes.byteOffset + base + a, b - a);
    const data = new Float64Array(n);
    for (let i = 0; i < n; i++) data[i] = readElem(tv, i, dtype);
    tensors.set(name, { dtype, shape, data });
  }
  return { tensors, meta };
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** IEEE half-precision bits → their exact value. */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1,
    e = (h >> 10) & 31,
    f = h & 1023;
  return e === 0 ? s * f * 2 ** -24 : e === 31 ? (f ? NaN : s * Infinity) : s * (1 + f / 1024) * 2 ** (e - 15);
}

function readElem(dv: DataView, i: number, dt: STensor['dtype']): number {
  switch (dt) {
    case 'F32':
      return dv.getFloat32(i * 4, true);
    case 'F64':
      return dv.getFloat64(i * 8, true);
    case 'I32':
      return dv.getInt32(i * 4, true);
    case 'I64':
      return Number(dv.getBigInt64(i * 8, true));
    case 'I8':
      return dv.getInt8(i);
    case 'I16':
      return dv.getInt16(i * 2, true);
    case 'U8':
      return dv.getUint8(i);
    case 'F16':
      return halfToNumber(dv.getUint16(i * 2, true));
    case 'BF16': {
      const b = new DataView(new ArrayBuffer(4));
      b.setUint32(0, dv.getUint16(i * 2, true) << 16);
      return b.getFloat32(0);
    }
  }
}

/** Serialises tensors (F32, F64, I32, I64, I8 only) into safetensors bytes. */
export function writeSafetensors(tensors: Map<string, STensor> | Record<string, STensor>, meta: Record<string, string> = {}): Uint8Array {
  const entries = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const header: Record<string, unknown> = { __metadata__: meta };
  let off = 0;
  for (const [name, t] of entries) {
    const n = t.data.length * SIZE[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + n] };
    off += n;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8) json += ' ';
  const hb = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + hb.length + off);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(hb.length), true);
  out.set(hb, 8);
  let p = 8 + hb.length;
  for (const [, t] of entries) {
    for (const v of t.data) {
      switch (t.dtype) {
        case 'F32':
          dv.setFloat32(p, v, true);
          p += 4;
          break;
        case 'F64':
          dv.setFloat64(p, v, true);
          p += 8;
          break;
        case 'I32':
          dv.setInt32(p, v, true);
          p += 4;
          break;
        case 'I64':
          dv.setBigInt64(p, BigInt(v), true);
          p += 8;
          break;
        case 'I8':
          dv.setInt8(p, v);
          p += 1;
          break;
        default:
          throw new TritError(`writing ${t.dtype} is not supported`);
      }
    }
  }
  return out;
}
