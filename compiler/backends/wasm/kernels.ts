/**
 * @fileoverview Finds the compiled AssemblyScript kernels (built by `npm run build:kernels`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TritError } from '../../../common/errors.js';

export type SimdFlavour = 'fixed' | 'relaxed';

const FILES: Record<SimdFlavour, string> = { fixed: 'kernels.wasm', relaxed: 'kernels-relaxed.wasm' };

/** Bytes of the kernel module; looked up beside the built compiler and in the source tree. */
export function kernelBytes(simd: SimdFlavour): Uint8Array {
  const tries = ['../../../runtime-wasm/', '../../../dist/runtime-wasm/', '../../../../dist/runtime-wasm/'];
  for (const dir of tries) {
    const p = fileURLToPath(new URL(dir + FILES[simd], import.meta.url));
    if (existsSync(p)) return new Uint8Array(readFileSync(p));
  }
  throw new TritError(
    `the wasm kernels (${FILES[simd]}) are not built`,
    {},
    'run `npm run build` (it compiles runtime-wasm/assembly with AssemblyScript)',
  );
}
