/**
 * @fileoverview The data-memory image of a program: 16-bit words holding the 2-bit ternary
 * weights (8 lanes a word), i32 constants (two words each, low half first) and table blocks
 * (lookup tables with their headers, Newton seed tables, saturation bounds). Each constant is
 * placed once, keyed by what it is.
 */
import type { Const } from '../../../compiler/ir/graph.js';

/** Output lanes of the folded ternary unit: one 16-bit dmem word holds 8 two-bit weights. */
export const LANES = 8;

export class DataMemory {
  readonly words: number[] = [];
  private at = new Map<string, number>();
  /** Words by use. */
  readonly use = { weights: 0, constants: 0, tables: 0 };

  get length(): number {
    return this.words.length;
  }

  /** A block placed once under `key`: `fill` appends it and says which use it counts towards. */
  once(key: string, kind: keyof DataMemory['use'], fill: () => void): number {
    let a = this.at.get(key);
    if (a !== undefined) return a;
    a = this.words.length;
    fill();
    this.use[kind] += this.words.length - a;
    this.at.set(key, a);
    return a;
  }
  push32(v: number): void {
    this.words.push(v & 0xffff, (v >>> 16) & 0xffff);
  }
  push32s(vs: ArrayLike<number>): void {
    for (let i = 0; i < vs.length; i++) this.push32(vs[i]);
  }

  /** An i32 constant (or a scaled copy of one, under its own key). */
  constant(key: string, data: ArrayLike<number>): number {
    return this.once(key, 'constants', () => this.push32s(data));
  }
  /** Ternary weights [N, K]: for each group of 8 rows, one word per k with 2 bits a row (00 0, 01 +1, 11 −1). */
  weights(c: Const): number {
    return this.once(c.name, 'weights', () => {
      const [N, K] = c.type.shape;
      for (let g0 = 0; g0 < N; g0 += LANES) {
        for (let k = 0; k < K; k++) {
          let w = 0;
          for (let j = 0; j < LANES && g0 + j < N; j++) {
            const t = c.data[(g0 + j) * K + k];
            w |= (t === 1 ? 1 : t === -1 ? 3 : 0) << (2 * j);
          }
          this.words.push(w);
        }
      }
    });
  }
  /** A block that is never shared (saturation bounds): always appended. */
  fresh(kind: keyof DataMemory['use'], fill: () => void): number {
    const a = this.words.length;
    fill();
    this.use[kind] += this.words.length - a;
    return a;
  }
  /** The image, padded to an even number of words (the LOAD command writes pairs). */
  image(): Uint16Array {
    if (this.words.length % 2) this.words.push(0);
    return Uint16Array.from(this.words);
  }
}
