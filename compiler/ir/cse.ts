/**
 * @fileoverview Common-subexpression and dead-node elimination on the IR.
 *
 * Every IR op is a pure function of its operands and attributes within a step (state writes
 * commit at the end of the step), so two nodes with the same op, operands, attributes and type
 * compute the same value, bit for bit. The lowering emits such twins routinely: each BitLinear
 * normalises its own copy of a shared input (the MLGRU's three projections, the GLU's two), so
 * the sum of squares and the reciprocal square root are computed three times. Merging them is
 * exact; the interpreter and every back-end see the smaller graph.
 */
import type { IRGraph } from './graph.js';
import { typeToString } from './types.js';

/**
 * Merges identical nodes and drops nodes nothing uses. Returns the renaming (merged name → the
 * name that now carries its value) so maps into the IR can follow.
 */
export function eliminateCommonSubexpressions(g: IRGraph): Map<string, string> {
  const rename = new Map<string, string>();
  const seen = new Map<string, string>();
  const kept = [];
  for (const n of g.nodes) {
    n.inputs = n.inputs.map((x) => rename.get(x) ?? x);
    if (n.op !== 'state_write') {
      const attrs = Object.keys(n.attrs)
        .sort()
        .map((k) => `${k}=${n.attrs[k]}`)
        .join(',');
      const key = `${n.op}|${n.inputs.join(',')}|${attrs}|${typeToString(n.type)}`;
      const twin = seen.get(key);
      if (twin !== undefined) {
        rename.set(n.out, twin);
        continue;
      }
      seen.set(key, n.out);
    }
    kept.push(n);
  }
  for (const o of g.outputs) o.value = rename.get(o.value) ?? o.value;
  // Dead nodes: walk back from the outputs and the state writes.
  const live = new Set<string>(g.outputs.map((o) => o.value));
  for (let i = kept.length - 1; i >= 0; i--) {
    const n = kept[i];
    if (n.op === 'state_write' || live.has(n.out)) {
      live.add(n.out);
      for (const x of n.inputs) live.add(x);
    }
  }
  g.nodes = kept.filter((n) => live.has(n.out) || n.op === 'state_write');
  // Constants nothing refers to any more.
  const used = new Set<string>();
  for (const n of g.nodes) for (const x of n.inputs) if (x.startsWith('@')) used.add(x);
  for (const k of [...g.consts.keys()]) if (!used.has(k)) g.consts.delete(k);
  return rename;
}
