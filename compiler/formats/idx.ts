/**
 * @fileoverview IDX files (the MNIST format), plain or gzipped: the images and labels `trit run
 * --mnist` and the benchmarks read. Node only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { TritError } from '../../common/errors.js';

function readIdx(path: string): { dims: number[]; data: Uint8Array } {
  let raw = new Uint8Array(readFileSync(path));
  if (raw[0] === 0x1f && raw[1] === 0x8b) raw = new Uint8Array(gunzipSync(raw));
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0 || raw[2] !== 0x08) {
    throw new TritError('not an unsigned-byte IDX file', { file: path }, 'expected the MNIST t10k-*-idx*-ubyte(.gz) files');
  }
  const nd = raw[3];
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims = Array.from({ length: nd }, (_, i) => dv.getUint32(4 + 4 * i));
  const start = 4 + 4 * nd;
  const n = dims.reduce((a, b) => a * b, 1);
  if (raw.length < start + n) throw new TritError(`truncated: ${raw.length - start} of ${n} bytes`, { file: path });
  return { dims, data: raw.subarray(start, start + n) };
}

function find(dir: string, base: string): string {
  for (const f of [base, `${base}.gz`]) if (existsSync(join(dir, f))) return join(dir, f);
  throw new TritError(`no ${base}(.gz) in ${dir}`, { file: dir }, 'point --mnist at the folder holding the MNIST test files');
}

/** The MNIST test set: `count` images (784 bytes each, 0–255) and labels. */
export function readMnistTest(dir: string, count = Infinity): { images: Uint8Array[]; labels: Uint8Array } {
  const im = readIdx(find(dir, 't10k-images-idx3-ubyte'));
  const lb = readIdx(find(dir, 't10k-labels-idx1-ubyte'));
  const n = Math.min(count, im.dims[0], lb.dims[0]);
  const size = im.dims[1] * im.dims[2];
  const images = Array.from({ length: n }, (_, i) => im.data.subarray(i * size, (i + 1) * size));
  return { images, labels: lb.data.subarray(0, n) };
}
