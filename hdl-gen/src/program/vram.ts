/**
 * @fileoverview Value memory (vram) of a program: liveness over the node order, aliases (a reshape
 * is its input; a state read is the state buffer; a state write's value is its input), and a
 * first-fit pool that frees each value after its last use and lets an elementwise output take
 * the buffer of an input that dies at the same node. EBR is the scarcest resource on a UP5K.
 */
import type { IRGraph, IRNode } from '../../../compiler/ir/graph.js';
import type { HdlOutput } from './edges.js';

/** First-fit allocator over vram words. */
export class Pool {
  private free: [number, number][] = [];
  top: number;
  constructor(base: number) {
    this.top = base;
  }
  alloc(n: number): number {
    for (let i = 0; i < this.free.length; i++) {
      const [s, len] = this.free[i];
      if (len >= n) {
        if (len === n) this.free.splice(i, 1);
        else this.free[i] = [s + n, len - n];
        return s;
      }
    }
    const s = this.top;
    this.top += n;
    return s;
  }
  release(s: number, n: number): void {
    this.free.push([s, n]);
    this.free.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const f of this.free) {
      const last = merged.at(-1);
      if (last && last[0] + last[1] === f[0]) last[1] += f[1];
      else merged.push([...f]);
    }
    this.free = merged;
  }
}

export interface Liveness {
  alias: Map<string, string>;
  root: (v: string) => string;
  /** Values that are never freed: the state buffers and their reads. */
  fixed: Set<string>;
  /** Index of the last node that reads a value (nodes.length for outputs and state writes). */
  lastUse: Map<string, number>;
}

/** Aliases and last uses; state reads are placed at their state buffers in `loc`. */
export function liveness(g: IRGraph, loc: Map<string, number>, outputs: HdlOutput[]): Liveness {
  const alias = new Map<string, string>();
  const fixedReads: string[] = [];
  const root = (v: string): string => {
    while (alias.has(v)) v = alias.get(v)!;
    return v;
  };
  for (const n of g.nodes) {
    if (n.op === 'reshape' || n.op === 'state_write') alias.set(n.out, n.inputs[0]);
    if (n.op === 'state_read') {
      loc.set(n.out, loc.get(`state:${n.attrs.state}`)!);
      fixedReads.push(n.out);
    }
  }
  const fixed = new Set<string>([...[...loc.keys()].filter((k) => k.startsWith('state:')), ...fixedReads]);
  const lastUse = new Map<string, number>();
  g.nodes.forEach((n, i) => {
    for (const v of n.inputs) if (!v.startsWith('@')) lastUse.set(root(v), i);
  });
  for (const o of outputs) lastUse.set(root(o.value), g.nodes.length);
  for (const n of g.nodes) if (n.op === 'state_write') lastUse.set(root(n.inputs[0]), g.nodes.length);
  return { alias, root, fixed, lastUse };
}

/** Where node i's output goes: the buffer of an input that dies here (when `inPlace`; that input
 *  is the `victim`, whose entry the caller drops after lowering the node), else a new buffer. */
export function placeOutput(
  n: IRNode,
  i: number,
  size: number,
  inPlace: boolean,
  pool: Pool,
  loc: Map<string, number>,
  live: Liveness,
  sizeOf: (v: string) => number,
): { out: number; victim?: string } {
  if (inPlace) {
    for (const v of n.inputs) {
      if (v.startsWith('@')) continue;
      const r = live.root(v);
      if (!live.fixed.has(r) && live.lastUse.get(r) === i && sizeOf(v) === size && loc.has(r)) return { out: loc.get(r)!, victim: r };
    }
  }
  return { out: pool.alloc(size) };
}

/** Frees every input of node i that dies there, and the output itself when nothing reads it. */
export function releaseDead(
  n: IRNode,
  i: number,
  out: number,
  pool: Pool,
  loc: Map<string, number>,
  live: Liveness,
  sizeOf: (v: string) => number,
): void {
  for (const v of new Set(n.inputs)) {
    if (v.startsWith('@')) continue;
    const r = live.root(v);
    if (!live.fixed.has(r) && live.lastUse.get(r) === i && loc.has(r)) {
      pool.release(loc.get(r)!, sizeOf(r));
      loc.delete(r);
    }
  }
  if (!live.lastUse.has(n.out) && !live.fixed.has(n.out)) {
    pool.release(out, sizeOf(n.out));
    loc.delete(n.out);
  }
}
