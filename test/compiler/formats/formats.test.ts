import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from '../../../compiler/formats/safetensors.js';
import { TritError } from '../../../common/errors.js';
import { sha256Hex } from '../../../compiler/util/hash.js';
import { createHash } from 'node:crypto';

describe('safetensors', () => {
  const bytes = writeSafetensors(
    {
      a: { dtype: 'F32', shape: [2, 2], data: Float64Array.of(1, -2.5, 3, 4) },
      b: { dtype: 'I64', shape: [3], data: Float64Array.of(7, -1, 2 ** 40) },
      c: { dtype: 'I8', shape: [1], data: Float64Array.of(-128) },
    },
    { format: 'trit-golden' },
  );

  it('round-trips tensors and metadata', () => {
    const { tensors, meta } = readSafetensors(bytes);
    expect(meta.format).toBe('trit-golden');
    expect(Array.from(tensors.get('a')!.data)).toEqual([1, -2.5, 3, 4]);
    expect(Array.from(tensors.get('b')!.data)).toEqual([7, -1, 2 ** 40]);
    expect(tensors.get('c')!.shape).toEqual([1]);
  });

  it('refuses truncated files and lying headers', () => {
    expect(() => readSafetensors(bytes.subarray(0, 4), 'g.st')).toThrow(TritError);
    expect(() => readSafetensors(bytes.subarray(0, bytes.length - 1), 'g.st')).toThrow(/tensor 'c'.*do not fit/);
    const lie = bytes.slice();
    new DataView(lie.buffer).setBigUint64(0, 10n ** 12n, true);
    expect(() => readSafetensors(lie, 'g.st')).toThrow(/header claims/);
  });
});

describe('sha256', () => {
  it('matches node:crypto on several lengths', () => {
    for (const n of [0, 1, 55, 56, 63, 64, 65, 1000, 100_000]) {
      const d = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 255);
      expect(sha256Hex(d)).toBe(createHash('sha256').update(d).digest('hex'));
    }
  });
});
