/**
 * The fuzz tier in CI: a few hundred generated cases per input format (fuzz/generators.ts), run
 * under the watchdog; none may crash, hang, blow up memory or print a raw control character.
 * `npm run fuzz` runs the explicit tier (10,000 per format) and writes its report.
 */
import { describe, expect, it } from 'vitest';
import { assets } from '../../fuzz/assets.js';
import { FORMATS, generate } from '../../fuzz/generators.js';
import { BAD, runCases } from '../../fuzz/runner.js';

const N = Number(process.env.TRIT_FUZZ_CASES ?? 200);

describe('fuzz tier (CI size)', () => {
  it(`${N} cases per format: 0 crashes, hangs, blow-ups or raw control characters`, async () => {
    const a = await assets();
    const make = (k: number) => generate(FORMATS[Math.floor(k / N)], 7, k % N, a);
    const results = await runCases({ count: FORMATS.length * N, make }, { timeoutMs: 60_000, memoryMiB: 1024 });
    const bad = results.filter((r) => BAD.includes(r.verdict)).map((r) => `${r.verdict} ${r.id}: ${r.line}`);
    expect(bad).toEqual([]);
    // The generators must reach past the first check: every format has accepted and refused cases.
    for (const f of FORMATS) {
      const mine = results.filter((r) => r.format === f);
      expect(mine.filter((r) => r.verdict === 'clean').length, f).toBeGreaterThan(0);
      expect(mine.filter((r) => r.verdict === 'accepted').length, f).toBeGreaterThan(0);
    }
  }, 900_000);
});
