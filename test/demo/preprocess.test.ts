/**
 * The digits page's preprocessing (demo/src/preprocess.ts), in Node: a drawing becomes the 28×28
 * input the way MNIST was made. Checked on MNIST test images enlarged to the pad's 280×280 (the
 * result must classify as well as the originals) and on hand-made cases.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { inkOf, toMnist } from '../../demo/src/preprocess.js';
import { compileFile } from '../../compiler/node.js';
import { linkWasm } from '../../compiler/backends/wasm/link.js';
import { load, type TritSession } from '../../runtime-wasm/host/session.js';
import { readMnistTest } from '../../compiler/formats/idx.js';
import { MNIST_DIR } from '../../fixtures/mnist.js';

const ROOT = join(import.meta.dirname, '../..');

/** An image enlarged `k` times (nearest neighbour), as ink on a k·28-pixel pad. */
function enlarge(img: Uint8Array, k: number, dx = 0, dy = 0, size = 28 * k): Float32Array {
  const ink = new Float32Array(size * size);
  for (let y = 0; y < 28 * k; y++)
    for (let x = 0; x < 28 * k; x++) {
      const X = x + dx,
        Y = y + dy;
      if (X >= 0 && X < size && Y >= 0 && Y < size) ink[Y * size + X] = img[Math.floor(y / k) * 28 + Math.floor(x / k)];
    }
  return ink;
}

describe('toMnist', () => {
  let s: TritSession;
  beforeAll(async () => {
    const zoo = join(ROOT, 'models/zoo/columns-mnist');
    s = await load(linkWasm(compileFile(join(zoo, 'model.onnx'), join(zoo, 'golden.safetensors')).ir).bytes);
  });

  it('turns enlarged MNIST digits back into inputs the classifier reads as well as the originals', () => {
    const { images, labels } = readMnistTest(MNIST_DIR, 300);
    let orig = 0,
      drawn = 0,
      shifted = 0;
    for (let i = 0; i < images.length; i++) {
      if (s.classify(images[i]).label === labels[i]) orig++;
      if (s.classify(toMnist(enlarge(images[i], 10), 280, 280)).label === labels[i]) drawn++;
      // Drawn small in a corner of the pad: the bounding box and centre of mass put it back.
      if (s.classify(toMnist(enlarge(images[i], 4, 150, 10, 280), 280, 280)).label === labels[i]) shifted++;
    }
    console.log(`[preprocess] 300 MNIST test images: originals ${orig}, enlarged ×10 ${drawn}, ×4 in a corner ${shifted} right`);
    expect(drawn).toBeGreaterThanOrEqual(orig - 6);
    expect(shifted).toBeGreaterThanOrEqual(orig - 6);
  });

  it('scales the ink box to 20 pixels and centres its mass', () => {
    // A 100×40 bar of full ink on a 280 pad → 20×8 in the field, mass at the centre.
    const ink = new Float32Array(280 * 280);
    for (let y = 200; y < 240; y++) for (let x = 10; x < 110; x++) ink[y * 280 + x] = 255;
    const out = toMnist(ink, 280, 280);
    let n = 0,
      mx = 0,
      my = 0,
      x0 = 28,
      x1 = -1,
      y0 = 28,
      y1 = -1;
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const v = out[y * 28 + x];
        if (!v) continue;
        expect(v).toBe(255);
        n++;
        mx += x;
        my += y;
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x);
        y0 = Math.min(y0, y);
        y1 = Math.max(y1, y);
      }
    expect([x1 - x0 + 1, y1 - y0 + 1]).toEqual([20, 8]);
    expect(Math.abs(mx / n - 13.5)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(my / n - 13.5)).toBeLessThanOrEqual(0.5);
  });

  it('gives an empty input for an empty pad and ignores faint noise', () => {
    expect(toMnist(new Float32Array(280 * 280), 280, 280).every((v) => v === 0)).toBe(true);
    expect(toMnist(new Float32Array(280 * 280).fill(5), 280, 280).every((v) => v === 0)).toBe(true);
  });

  it('reads the red channel of RGBA pixels as ink', () => {
    expect(Array.from(inkOf(Uint8ClampedArray.from([200, 0, 0, 255, 7, 9, 9, 255]), 2, 1))).toEqual([200, 7]);
  });
});
