/**
 * @fileoverview Numpy-style broadcasting as an index map, shared by both evaluators.
 */
import { numel } from './types.js';

const bcache = new Map<string, Int32Array>();

/** Output-index → input-index map under numpy broadcasting. */
export function bIndex(outShape: readonly number[], inShape: readonly number[]): Int32Array {
  const key = `${outShape}|${inShape}`;
  let m = bcache.get(key);
  if (m) return m;
  const n = numel(outShape),
    r = outShape.length;
  const inS = Array(r - inShape.length)
    .fill(1)
    .concat(inShape) as number[];
  const strides: number[] = [];
  let s = 1;
  for (let i = r - 1; i >= 0; i--) {
    strides[i] = inS[i] === 1 ? 0 : s;
    s *= inS[i];
  }
  m = new Int32Array(n);
  const idx = new Array(r).fill(0);
  for (let k = 0; k < n; k++) {
    let off = 0;
    for (let i = 0; i < r; i++) off += idx[i] * strides[i];
    m[k] = off;
    for (let i = r - 1; i >= 0; i--) {
      if (++idx[i] < outShape[i]) break;
      idx[i] = 0;
    }
  }
  if (bcache.size > 4096) bcache.clear();
  bcache.set(key, m);
  return m;
}
