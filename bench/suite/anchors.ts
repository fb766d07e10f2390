/**
 * @fileoverview Published energy and speed figures of other systems, as their authors reported
 * them (each entry's `source` names the paper, README or post). They are context, never
 * ours: the report prints them under "reported". J/token derived from a reported W and tokens/s
 * says so in `source`.
 */
import type { Anchor } from '../lib/types.js';

export const ANCHORS: Anchor[] = [
  {
    system: 'bitnet.cpp (TL2)',
    model: 'dummy 0.7B',
    hardware: 'Intel i7-13700H',
    tokensPerSec: 119.1,
    watts: null,
    joulesPerToken: 0.384,
    source: 'microsoft/BitNet README figure (llama.cpp fp16: 1.367 J/token); power method undocumented',
  },
  {
    system: 'llama.cpp fp16 (bitnet.cpp figure)',
    model: 'dummy 0.7B',
    hardware: 'Intel i7-13700H',
    tokensPerSec: 30.7,
    watts: null,
    joulesPerToken: 1.367,
    source: 'microsoft/BitNet README figure',
  },
  {
    system: 'bitnet.cpp (TL1)',
    model: 'dummy 0.7B',
    hardware: 'Apple M2 Ultra',
    tokensPerSec: 194.4,
    watts: null,
    joulesPerToken: 0.14,
    source: 'microsoft/BitNet README figure',
  },
  {
    system: 'T-MAC',
    model: 'BitNet-3B',
    hardware: 'Apple M2 Ultra',
    tokensPerSec: null,
    watts: null,
    joulesPerToken: 0.43,
    source: 'microsoft/T-MAC README power chart (read off the bars), powermetrics',
  },
  {
    system: 'T-MAC',
    model: 'Llama-2-7B W2',
    hardware: 'Jetson AGX Orin CPU',
    tokensPerSec: 15.62,
    watts: 10.4,
    joulesPerToken: 0.66,
    source: 'microsoft/T-MAC README, jetson-stats',
  },
  {
    system: 'TeLLMe v2',
    model: 'BitNet-class ~0.7B',
    hardware: 'AMD KV260 FPGA',
    tokensPerSec: 25,
    watts: 5,
    joulesPerToken: 0.2,
    source: 'arXiv 2510.15926 abstract (5 W budget; J/token derived)',
  },
  {
    system: 'TerEffic (on-chip)',
    model: 'MatMul-free 370M',
    hardware: 'multi-FPGA (Alveo-class)',
    tokensPerSec: 16300,
    watts: 35.8,
    joulesPerToken: 1 / 455,
    source: 'arXiv 2502.16473 abstract (455 tokens/s/W)',
  },
  {
    system: 'TerEffic (HBM)',
    model: 'MatMul-free 2.7B',
    hardware: 'one FPGA board with HBM',
    tokensPerSec: 727,
    watts: 46,
    joulesPerToken: 46 / 727,
    source: 'arXiv 2502.16473 abstract',
  },
  {
    system: 'MatMul-free LM paper',
    model: 'MatMul-free 1.3B',
    hardware: 'Intel FPGA (D5005-class), DDR',
    tokensPerSec: 23.8,
    watts: 13,
    joulesPerToken: 13 / 23.8,
    source: 'arXiv 2406.02528 / press: 13 W, 23.8 tokens/s (projected from the measured core)',
  },
  {
    system: 'ternfpga',
    model: 'BitNet-2B-4T class',
    hardware: 'Arty A7-35T',
    tokensPerSec: null,
    watts: null,
    joulesPerToken: 1.6,
    source: 'nicholi.ai blog (derived by its author)',
  },
];
