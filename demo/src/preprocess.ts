/**
 * @fileoverview A drawing → the 28×28 input MNIST models expect, the way MNIST itself was made
 * (LeCun et al.): the ink's bounding box scaled so its longer side is 20 pixels (area-averaged,
 * so strokes keep their grey edges), then placed in a 28×28 field with its centre of mass at the
 * centre. Without this a digit drawn small or off-centre is not what the model was trained on.
 * Pure (no DOM), so the Node tests check it on MNIST images.
 */

/** Ink of a canvas's RGBA pixels (white ink on black: the red channel), 0–255. */
export function inkOf(rgba: Uint8ClampedArray | Uint8Array, width: number, height: number): Float32Array {
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i++) ink[i] = rgba[i * 4];
  return ink;
}

/** Ink (0–255, row-major width × height) → 784 pixels 0–255. All zero when there is no ink. */
export function toMnist(ink: Float32Array, width: number, height: number, threshold = 8): Uint8Array {
  let x0 = width,
    y0 = height,
    x1 = -1,
    y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  const out = new Uint8Array(784);
  if (x1 < 0) return out;
  const bw = x1 - x0 + 1,
    bh = y1 - y0 + 1;
  const scale = 20 / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * scale)),
    th = Math.max(1, Math.round(bh * scale));
  // Area-average each target pixel over the source rectangle it covers (at least one pixel).
  const small = new Float32Array(tw * th);
  for (let ty = 0; ty < th; ty++) {
    const sy0 = y0 + (ty * bh) / th,
      sy1 = y0 + ((ty + 1) * bh) / th;
    for (let tx = 0; tx < tw; tx++) {
      const sx0 = x0 + (tx * bw) / tw,
        sx1 = x0 + ((tx + 1) * bw) / tw;
      let sum = 0,
        area = 0;
      for (let y = Math.floor(sy0); y < Math.ceil(sy1); y++) {
        const wy = Math.min(y + 1, sy1) - Math.max(y, sy0);
        for (let x = Math.floor(sx0); x < Math.ceil(sx1); x++) {
          const w = wy * (Math.min(x + 1, sx1) - Math.max(x, sx0));
          sum += w * ink[y * width + x];
          area += w;
        }
      }
      small[ty * tw + tx] = area > 0 ? sum / area : 0;
    }
  }
  // Centre of mass → the field's centre.
  let m = 0,
    mx = 0,
    my = 0;
  for (let y = 0; y < th; y++)
    for (let x = 0; x < tw; x++) {
      const v = small[y * tw + x];
      m += v;
      mx += v * x;
      my += v * y;
    }
  const cx = m > 0 ? mx / m : (tw - 1) / 2,
    cy = m > 0 ? my / m : (th - 1) / 2;
  const ox = Math.round(13.5 - cx),
    oy = Math.round(13.5 - cy);
  for (let y = 0; y < th; y++) {
    for (let x = 0; x < tw; x++) {
      const X = x + ox,
        Y = y + oy;
      if (X >= 0 && X < 28 && Y >= 0 && Y < 28) out[Y * 28 + X] = Math.min(255, Math.round(small[y * tw + x]));
    }
  }
  return out;
}
