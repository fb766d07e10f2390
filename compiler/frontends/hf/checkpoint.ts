/**
 * @fileoverview A Hugging Face model directory: `config.json` and the weights as one
 * `model.safetensors` or as shards `model-0000N-of-0000M.safetensors` listed by
 * `model.safetensors.index.json`. F32, F16 and BF16 tensors.
 *
 * Nothing is read whole: each shard's header is read and checked first (length, JSON, dtype,
 * shape, offsets inside the file, no two tensors overlapping), then tensors are read one at a time
 * when asked for — a 2.7B-parameter checkpoint is 5.4 GB, more than one Node buffer may hold.
 * File access goes through `CheckpointIO` so the reader itself has no Node dependency.
 */
import { budget } from '../../../common/budget.js';
import { TritError } from '../../../common/errors.js';
import { Sha256 } from '../../util/hash.js';
import { halfToNumber } from '../../formats/safetensors.js';

/** The file operations the reader needs (see ./node-io.ts for Node's). Paths are joined with '/'. */
export interface CheckpointIO {
  exists(path: string): boolean;
  /** Size in bytes, or -1 if it is not a regular file. */
  size(path: string): number;
  /** Exactly `length` bytes at `offset` (the reader has checked they are inside the file). */
  read(path: string, offset: number, length: number): Uint8Array;
  list(dir: string): string[];
}

export type StoredDtype = 'F32' | 'F16' | 'BF16';
const ELEM: Record<StoredDtype, number> = { F32: 4, F16: 2, BF16: 2 };

/** Where one tensor lives. */
export interface StoredTensor {
  name: string;
  dtype: StoredDtype;
  shape: number[];
  file: string;
  /** Absolute byte offset in `file` and length. */
  offset: number;
  bytes: number;
}

/** An opened checkpoint directory. */
export interface Checkpoint {
  dir: string;
  config: Record<string, unknown>;
  /** Every tensor of every shard, by name. */
  tensors: Map<string, StoredTensor>;
  /** The shard files, in order. */
  files: string[];
  /** Reads a tensor as float32 (BF16 and F16 widen exactly). */
  read(name: string): Float32Array;
  /** SHA-256 over config.json and every tensor's stored bytes in the order they were read. */
  digest(): string;
}

const INDEX = 'model.safetensors.index.json';
const SINGLE = 'model.safetensors';
const SHARD = /^model-(\d+)-of-(\d+)\.safetensors$/;

/** Opens `dir`, reading config.json and every shard's header (no tensor data yet). */
export function openCheckpoint(dir: string, io: CheckpointIO): Checkpoint {
  const at = (f: string) => `${dir.replace(/\/+$/, '')}/${f}`;
  const cfgPath = at('config.json');
  if (!io.exists(cfgPath)) {
    const onnx = io.list(dir).find((n) => n.endsWith('.onnx'));
    throw new TritError(
      'no config.json in the model directory',
      { file: dir },
      onnx
        ? `to compile the ONNX model here, give its file: ${dir.replace(/\/+$/, '')}/${onnx}`
        : 'a Hugging Face model directory has config.json beside its .safetensors files',
    );
  }
  const cfgSize = io.size(cfgPath);
  if (cfgSize < 0 || cfgSize > budget().textBytes)
    throw new TritError(cfgSize < 0 ? 'not a regular file' : `${cfgSize} bytes: too large for a config.json`, { file: cfgPath });
  const cfgBytes = io.read(cfgPath, 0, cfgSize);
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(new TextDecoder().decode(cfgBytes));
  } catch (e) {
    throw new TritError(`not valid JSON: ${(e as Error).message}`, { file: cfgPath });
  }
  if (!config || typeof config !== 'object' || Array.isArray(config)) throw new TritError('expected a JSON object', { file: cfgPath });

  const hash = new Sha256().update(cfgBytes);
  const tensors = new Map<string, StoredTensor>();
  let files: string[];
  if (io.exists(at(SINGLE))) {
    files = [at(SINGLE)];
    for (const t of readHeader(at(SINGLE), io)) tensors.set(t.name, t);
  } else if (io.exists(at(INDEX))) {
    files = readIndex(at(INDEX), at, io, tensors);
  } else {
    const names = io.list(dir);
    const shard = names.find((n) => SHARD.test(n));
    if (shard)
      throw new TritError(`'${shard}' is a shard but ${INDEX} is missing`, { file: dir }, `copy ${INDEX} from the checkpoint beside its shards`);
    const bin = names.find((n) => /\.(bin|pt|pth|ckpt)$/.test(n));
    throw new TritError(
      `no ${SINGLE} or ${INDEX}`,
      { file: dir },
      bin
        ? `'${bin}' is a PyTorch pickle, which trit does not read (it can run code); save the model with safetensors (save_pretrained(..., safe_serialization=True))`
        : "the directory should hold the checkpoint's config.json and .safetensors files",
    );
  }

  const read = (name: string): Float32Array => {
    const t = tensors.get(name);
    if (!t) throw new TritError('no such tensor in the checkpoint', { file: dir, tensor: name });
    const raw = io.read(t.file, t.offset, t.bytes);
    hash.update(raw);
    return toFloat32(raw, t.dtype);
  };
  return { dir, config, tensors, files, read, digest: () => hash.hex() };
}

/** The index's weight map: every shard it names must exist and hold exactly the tensors mapped to it. */
function readIndex(path: string, at: (f: string) => string, io: CheckpointIO, tensors: Map<string, StoredTensor>): string[] {
  let index: { weight_map?: Record<string, string> };
  const size = io.size(path);
  if (size < 0 || size > budget().textBytes)
    throw new TritError(size < 0 ? 'not a regular file' : `${size} bytes: too large for an index`, { file: path });
  try {
    index = JSON.parse(new TextDecoder().decode(io.read(path, 0, size)));
  } catch (e) {
    throw new TritError(`not valid JSON: ${(e as Error).message}`, { file: path });
  }
  const map = index?.weight_map;
  if (!map || typeof map !== 'object')
    throw new TritError('has no "weight_map" object', { file: path }, "a sharded checkpoint's index maps each tensor name to its shard file");
  const shards = [...new Set(Object.values(map))];
  for (const s of shards) {
    if (typeof s !== 'string' || s.includes('/') || s.includes('\\'))
      throw new TritError(`weight_map names '${s}', not a file beside the index`, { file: path });
    if (!io.exists(at(s))) throw new TritError(`shard '${s}' is missing`, { file: path }, 'download every shard the index lists');
  }
  for (const s of shards) {
    for (const t of readHeader(at(s), io)) {
      const want = map[t.name];
      if (want === undefined)
        throw new TritError(
          `shard '${s}' holds this tensor but the index does not list it`,
          { file: path, tensor: t.name },
          'the index and shards are from different checkpoints',
        );
      if (want !== s) throw new TritError(`the index puts this tensor in '${want}' but it is in '${s}'`, { file: path, tensor: t.name });
      if (tensors.has(t.name)) throw new TritError('the tensor is stored twice', { file: at(s), tensor: t.name });
      tensors.set(t.name, t);
    }
  }
  for (const [name, s] of Object.entries(map)) {
    if (!tensors.has(name))
      throw new TritError(
        `the index puts this tensor in '${s}', which does not hold it`,
        { file: path, tensor: name },
        'the shard is truncated or from another checkpoint',
      );
  }
  return shards.map(at);
}

/** One safetensors header, every entry checked against the file's size before any data is read. */
export function readHeader(file: string, io: CheckpointIO): StoredTensor[] {
  const size = io.size(file);
  if (size < 8)
    throw new TritError(`not a safetensors file: ${size < 0 ? 'not a regular file' : `${size} bytes, shorter than the 8-byte header length`}`, {
      file,
    });
  const lenBytes = io.read(file, 0, 8);
  const hlen = Number(new DataView(lenBytes.buffer, lenBytes.byteOffset, 8).getBigUint64(0, true));
  if (hlen > size - 8 || hlen > 100_000_000)
    throw new TritError(
      `the header claims ${hlen} bytes but the file has ${size - 8} after the length`,
      { file },
      'the file is truncated or not safetensors',
    );
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(io.read(file, 8, hlen)));
  } catch {
    throw new TritError('the header is not valid JSON', { file }, 'the file is truncated or corrupt');
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw new TritError('the header is not a JSON object', { file });
  const base = 8 + hlen;
  const out: StoredTensor[] = [];
  for (const [name, e] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: off } = (e ?? {}) as { dtype?: string; shape?: unknown; data_offsets?: unknown };
    if (!(dtype! in ELEM)) {
      throw new TritError(`dtype ${dtype} is not supported`, { file, tensor: name }, 'trit reads F32, F16 and BF16 weights');
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw new TritError(`bad shape ${JSON.stringify(shape)}`, { file, tensor: name });
    const n = (shape as number[]).reduce((p, d) => p * d, 1);
    const [a, b] = Array.isArray(off) ? off : [];
    const bytes = n * ELEM[dtype as StoredDtype];
    if (!(Number.isSafeInteger(a) && Number.isSafeInteger(b) && a >= 0 && b >= a && base + b <= size && b - a === bytes)) {
      throw new TritError(
        `data offsets ${JSON.stringify(off)} do not fit the file (${size - base} data bytes) or the shape [${shape}] of ${dtype}`,
        { file, tensor: name },
        'the file is truncated or corrupt',
      );
    }
    out.push({ name, dtype: dtype as StoredDtype, shape: shape as number[], file, offset: base + a, bytes });
  }
  const sorted = [...out].sort((p, q) => p.offset - q.offset);
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1],
      q = sorted[i];
    if (q.offset < p.offset + p.bytes) throw new TritError(`its bytes overlap those of '${p.name}'`, { file, tensor: q.name }, 'the file is corrupt');
  }
  return out;
}

/** Widens stored values to float32: F16 and BF16 convert exactly. */
export function toFloat32(raw: Uint8Array, dtype: StoredDtype): Float32Array {
  const n = raw.length / ELEM[dtype];
  // A copy aligned for typed views (the bytes may sit at any offset of a larger buffer).
  const aligned = raw.byteOffset % 4 === 0 ? raw : raw.slice();
  if (dtype === 'F32') return new Float32Array(aligned.buffer.slice(aligned.byteOffset, aligned.byteOffset + raw.length));
  const src = new Uint16Array(aligned.buffer, aligned.byteOffset, n);
  const out = new Float32Array(n);
  if (dtype === 'BF16') {
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) bits[i] = src[i] << 16;
    return out;
  }
  for (let i = 0; i < n; i++) out[i] = halfToNumber(src[i]);
  return out;
}
