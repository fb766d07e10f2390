import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// The fast tier (`npm run test:fast`): everything but the simulators, the browser, place and
// route, the benchmark smoke run and the Python trainer — the checks worth running on every save.
// CI runs the full `npm test`.
export default mergeConfig(
  base,
  defineConfig({
    test: {
      exclude: [
        'test/hdl-gen/**', // Icarus, Verilator, Yosys + nextpnr
        'test/browser/**', // Chromium
        'test/bench/quick.test.ts', // a benchmark smoke run (~2 min)
        'test/models/python-*.test.ts', // trains and exports with PyTorch
        'test/compiler/frontends/onnx/exporter-corpus.test.ts', // torch.onnx.export of 16 models
        'node_modules/**',
      ],
    },
  }),
);
