/**
 * The constants shared across languages come from one TypeScript source: the generated
 * AssemblyScript and Verilog files must be exactly what tools/gen-codes.ts renders, and the
 * tables must cover what the back-ends emit.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GENERATED } from '../../tools/gen-codes.js';
import { BINARY_CODES, UNARY_CODES, roundCode } from '../../compiler/backends/wasm/codes.js';
import { OPC, RND } from '../../hdl-gen/src/isa.js';
import { ROUND_MODES } from '../../compiler/ir/arith.js';

const ROOT = join(import.meta.dirname, '../..');

describe('shared constants', () => {
  for (const [file, render] of GENERATED) {
    it(`${file} is generated from its source (npm run build rewrites it)`, () => {
      expect(readFileSync(join(ROOT, file), 'utf8')).toBe(render());
    });
  }
  it('codes are distinct within each table and rounding codes follow ROUND_MODES', () => {
    for (const t of [BINARY_CODES, UNARY_CODES, OPC]) expect(new Set(Object.values(t)).size).toBe(Object.keys(t).length);
    ROUND_MODES.forEach((m, i) => {
      expect(roundCode(m)).toBe(i);
      expect(RND[m]).toBe(i);
    });
  });
  it('the core includes the generated file rather than its own copy', () => {
    const core = readFileSync(join(ROOT, 'hdl-gen/rtl/trit_core.v'), 'utf8');
    expect(core).toMatch(/`include "trit_isa.vh"/);
    expect(core).not.toMatch(/localparam[^;]*OpAdd\s*=/);
    const ew = readFileSync(join(ROOT, 'runtime-wasm/assembly/elementwise.ts'), 'utf8');
    expect(ew).toMatch(/from '.\/codes'/);
    expect(ew).not.toMatch(/const ADD = /);
  });
});
