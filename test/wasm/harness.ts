/**
 * @fileoverview Runs IR in the interpreter and in its linked .wasm side by side and reports the
 * first value (any node, any step) that differs in any bit.
 */
import { Interpreter } from '../../compiler/interp/interp.js';
import type { IRGraph } from '../../compiler/ir/graph.js';
import { linkWasm, type WasmOptions } from '../../compiler/backends/wasm/link.js';
import { TritSession } from '../../runtime-wasm/host/session.js';

export type Feeds = Record<string, ArrayLike<number>>;

export interface Comparison {
  steps: number;
  /** Node values compared (node × step). */
  values: number;
  mismatch: string | null;
}

/** `steps[i] === 'reset'` starts a new sequence in both. */
export async function compareWithInterpreter(ir: IRGraph, steps: (Feeds | 'reset')[], opts: { threads?: number; link?: WasmOptions } = {}): Promise<Comparison> {
  const linked = linkWasm(ir, { debug: true, ...opts.link });
  const s = await TritSession.create(linked.bytes, { threads: opts.threads ?? 1 });
  const interp = new Interpreter(ir);
  const mem = () => (s as unknown as { mem: WebAssembly.Memory }).mem.buffer;
  let values = 0, n = 0;
  try {
    for (const feeds of steps) {
      if (feeds === 'reset') { interp.reset(); s.reset(); continue; }
      const ref = interp.run(feeds, { record: true });
      const got = s.run(feeds);
      n++;
      for (const node of ir.nodes) {
        if (node.op === 'state_read') continue; // aliases the state buffer, which run() has since updated
        const slot = linked.meta.values![node.out];
        const want = ref.values!.get(node.out)!;
        const arr = node.type.dtype === 'f32' ? new Float32Array(mem(), slot.offset, slot.n) : new Int32Array(mem(), slot.offset, slot.n);
        for (let i = 0; i < slot.n; i++) {
          if (!Object.is(arr[i], want[i]) && !(arr[i] === 0 && want[i] === 0)) {
            return { steps: n, values, mismatch: `step ${n - 1}: ${node.op} '${node.out}' ${node.type.dtype}[${node.type.shape}] element ${i}: wasm ${arr[i]}, interpreter ${want[i]}` };
          }
        }
        values++;
      }
      for (const o of ir.outputs) {
        const w = ref.outputs[o.name], g = got[o.name];
        for (let i = 0; i < w.length; i++) if (g[i] !== w[i]) return { steps: n, values, mismatch: `step ${n - 1}: output ${o.name}[${i}]: wasm ${g[i]}, interpreter ${w[i]}` };
      }
    }
  } finally {
    await s.close();
  }
  return { steps: n, values, mismatch: null };
}
