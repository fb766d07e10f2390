/**
 * @fileoverview The zoo models the demo serves, shared by the site's build (Node) and its pages.
 */
export interface DemoModel {
  /** Folder in models/zoo. */
  zoo: string;
  /** Path of the compiled .wasm inside the site. */
  file: string;
  /** One line for the page. */
  about: string;
}

export const LM_MODEL: DemoModel = {
  zoo: 'mmfree-shakespeare-char',
  file: 'models/mmfree-shakespeare-char.wasm',
  about: 'a MatMul-free language model (BitLinear + MLGRU + GLU, 4 layers, d 256) trained on tinyshakespeare, one character per token',
};

export const DIGITS_MODEL: DemoModel = {
  zoo: 'columns-mnist',
  file: 'models/columns-mnist.wasm',
  about:
    'quantized cortical columns (8 columns of excitatory/inhibitory ternary layers on a small-world graph) trained on MNIST: 98.5% on the test set',
};

/** The UP5K design the FPGA page shows. */
export const FPGA_MODEL = 'columns-mnist-up5k';
