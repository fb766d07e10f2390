// trit's wasm kernels. The linker (compiler/backends/wasm) reads this module's compiled form,
// adds the model's weights and a generated schedule that calls these functions with constant
// addresses, and emits one self-contained .wasm per model.
export { binary, binaryIndexed, unary, lut, quantize, dequantize } from './elementwise';
export { recip, rsqrt } from './newton';
export { reduce } from './reduce';
export { gather, copyBlocks } from './data';
export { buildTables, matmulLut, matmulLutShare, combine, matmulGeneric, tableBytes } from './ternary';
export { fork, workerLoop, stopWorkers } from './threads';
