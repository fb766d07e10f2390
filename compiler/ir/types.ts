/**
 * @fileoverview Value types of the addition-only IR: integer tensors with an explicit fixed-point format.
 *
 * A value of type `i32[1,64] frac 20` holds integers n; the real number it stands for is n·2^-20.
 * `f32` exists only at the model's edges (graph inputs that are quantized, outputs that are dequantized).
 */

/** Integer element types; f32 only on edges. */
export type DType = 'i8' | 'i16' | 'i32' | 'f32';

/** Width in bits of each integer dtype. */
export const DTYPE_BITS: Record<Exclude<DType, 'f32'>, number> = { i8: 8, i16: 16, i32: 32 };

/** Smallest and largest integer representable by a dtype. */
export function dtypeRange(dtype: DType): [number, number] {
  if (dtype === 'f32') return [-Infinity, Infinity];
  const b = DTYPE_BITS[dtype];
  return [-(2 ** (b - 1)), 2 ** (b - 1) - 1];
}

/**
 * The symmetric range [−(2^(b−1)−1), 2^(b−1)−1] that saturation clamps to: dropping the one
 * extra negative value means neg and abs of a saturated value can never overflow.
 */
export function satRange(dtype: DType): [number, number] {
  const [, hi] = dtypeRange(dtype);
  return [-hi, hi];
}

/** The type of a tensor value: element type, static shape and fixed-point fraction bits. */
export interface TensorType {
  dtype: DType;
  shape: number[];
  /** Fraction bits: integer n means n·2^-frac. Zero for plain integers and for f32. */
  frac: number;
}

/** Number of elements of a shape. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Narrowest integer dtype that holds every integer in [lo, hi]. */
export function dtypeFor(lo: number, hi: number): Exclude<DType, 'f32'> {
  for (const t of ['i8', 'i16', 'i32'] as const) {
    const [a, b] = dtypeRange(t);
    if (lo >= a && hi <= b) return t;
  }
  return 'i32';
}

/** Prints a type the way the IR text does: `i32[1,64] frac 20`. */
export function typeToString(t: TensorType): string {
  return `${t.dtype}[${t.shape.join(',')}]${t.frac !== 0 ? ` frac ${t.frac}` : ''}`;
}

/** Shapes equal element by element. */
export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Numpy-style broadcast of two shapes, or null when they do not broadcast. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da); // a size-0 dim broadcast against 1 stays 0 (numpy, ONNX)
  }
  return out;
}
