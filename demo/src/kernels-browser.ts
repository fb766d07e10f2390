/**
 * @fileoverview The browser's stand-in for compiler/backends/wasm/kernels.ts (which reads the
 * kernel module from disk): the demo's build swaps it in (demo/build.ts), and
 * compile-in-browser.ts fills it with the bytes it fetched before linking.
 */
import { TritError } from '../../common/errors.js';

export type SimdFlavour = 'fixed' | 'relaxed';
const loaded = new Map<SimdFlavour, Uint8Array>();

export function setKernelBytes(simd: SimdFlavour, bytes: Uint8Array): void {
  loaded.set(simd, bytes);
}

export function kernelBytes(simd: SimdFlavour): Uint8Array {
  const b = loaded.get(simd);
  if (!b) throw new TritError(`the ${simd}-SIMD wasm kernels were not fetched`, {}, 'the demo site is incomplete: rebuild it with `npm run demo`');
  return b;
}
