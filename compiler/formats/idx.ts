/**
 * @fileoverview IDX files (the MNIST format), plain or gzipped: the images and labels `trit run
 * --mnist` and the benchmarks read. Node only.
 */
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { budget } from '../../common/budget.js';
import { TritError } from '../../common/errors.js';
import { exists, readRegular } from '../util/files.js';

const HINT = 'expected the MNIST t10k-*-idx*-ubyte(.gz) files';

/** A gzip file inflated, refused past the inflate budget (a 13-MB file can inflate to 3 GB). */
function inflate(raw: Uint8Array, path: string): Uint8Array {
  const max = budget().inflateBytes;
  try {
    return new Uint8Array(gunzipSync(raw, { maxOutputLength: max }));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE') throw new TritError(`inflates past ${max / 2 ** 20} MiB, more than any MNIST file`, { file: path }, HINT);
    throw new TritError(`not a valid gzip file (${(e as Error).message})`, { file: path }, HINT);
  }
}

function readIdx(path: string): { dims: number[]; data: Uint8Array } {
  let raw = readRegular(path, 'MNIST IDX', budget().inflateBytes, HINT);
  if (raw[0] === 0x1f && raw[1] === 0x8b) raw = inflate(raw, path);
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0 || raw[2] !== 0x08) {
    throw new TritError('not an unsigned-byte IDX file', { file: path }, HINT);
  }
  const nd = raw[3];
  if (nd < 1 || nd > 3 || raw.length < 4 + 4 * nd)
    throw new TritError(`the header claims ${nd} dimensions in ${raw.length} bytes`, { file: path }, HINT);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims = Array.from({ length: nd }, (_, i) => dv.getUint32(4 + 4 * i));
  const start = 4 + 4 * nd;
  const n = dims.reduce((a, b) => a * b, 1);
  if (raw.length < start + n) throw new TritError(`truncated: ${raw.length - start} of ${n} bytes`, { file: path });
  return { dims, data: raw.subarray(start, start + n) };
}

function find(dir: string, base: string): string {
  for (const f of [base, `${base}.gz`]) if (exists(join(dir, f))) return join(dir, f);
  throw new TritError(`no ${base}(.gz) in ${dir}`, { file: dir }, 'point --mnist at the folder holding the MNIST test files');
}

/** The MNIST test set: `count` images (784 bytes each, 0–255) and labels. */
export function readMnistTest(dir: string, count = Infinity): { images: Uint8Array[]; labels: Uint8Array } {
  const im = readIdx(find(dir, 't10k-images-idx3-ubyte'));
  const lb = readIdx(find(dir, 't10k-labels-idx1-ubyte'));
  if (im.dims.length !== 3 || lb.dims.length !== 1)
    throw new TritError(`images are [${im.dims}] and labels [${lb.dims}]; expected [n, rows, cols] and [n]`, { file: dir }, HINT);
  const n = Math.min(count, im.dims[0], lb.dims[0]);
  const size = im.dims[1] * im.dims[2];
  const images = Array.from({ length: n }, (_, i) => im.data.subarray(i * size, (i + 1) * size));
  return { images, labels: lb.data.subarray(0, n) };
}
