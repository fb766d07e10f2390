/**
 * Hostile inputs (docs/security.md): every class of issue 20's probe — size bombs, files that are
 * not regular files, what used to escape as "internal error", a .wasm that loops, outputs that are
 * not regular files, escape sequences in names — ends in one clean error, in bounded time and
 * memory. The cases run under the fuzz tier's watchdog (fuzz/runner.ts), so a hang or a memory
 * blow-up fails its case instead of stalling the suite.
 */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assets } from '../../fuzz/assets.js';
import { regressions } from '../../fuzz/regressions.js';
import { runCases } from '../../fuzz/runner.js';
import { checkOutput, sweepLeftovers, writeOutput } from '../../compiler/util/outputs.js';
import { readRegular } from '../../compiler/util/files.js';
import { printable } from '../../common/text.js';
import { expectedSize, expectedTensors } from '../../compiler/frontends/hf/config.js';

describe('hostile inputs end in one clean error', () => {
  it('every regression case: the error it must say, no crash, hang or blow-up', async () => {
    const cases = regressions(await assets());
    expect(cases.length).toBeGreaterThan(100);
    const results = await runCases(cases, { timeoutMs: 60_000, memoryMiB: 1024 });
    const wrong = results
      .map((r, i) => ({ r, c: cases[i] }))
      .filter(({ r, c }) => r.verdict !== (c.verdict ?? 'clean') || !c.expect.test(r.line))
      .map(({ r, c }) => `${c.id}: ${r.verdict} in ${r.ms} ms: ${r.line}`);
    expect(wrong).toEqual([]);
  }, 600_000);
});

describe('the reading and writing paths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trit-io-'));

  it('refuses devices, FIFOs and links as outputs without touching them', () => {
    expect(() => checkOutput('/dev/null', 'file')).toThrow(/the output path is a device/);
    expect(() => checkOutput('/dev/null', 'dir')).toThrow(/the output path is a device/);
    expect(() => checkOutput(dir, 'file')).toThrow(/is a directory/);
    expect(() => checkOutput(join(dir, 'new.wasm'), 'file')).not.toThrow();
  });

  it('removes temporaries of killed runs (dead pid), keeps those of live ones', () => {
    const out = join(dir, 'o');
    mkdirSync(out);
    const dead = '.m.wasm.trit-tmp-999999999-abc123';
    const live = `.m.wasm.trit-tmp-${process.pid}-abc123`;
    const build = '.build.trit-build-999999999-x1y2z3';
    for (const n of [dead, live]) writeFileSync(join(out, n), 'partial');
    mkdirSync(join(out, build));
    expect(sweepLeftovers(out).sort()).toEqual([build, dead].sort());
    expect(readdirSync(out)).toEqual([live]);
    const lines: string[] = [];
    writeFileSync(join(out, dead), 'partial');
    writeOutput(join(out, 'm.wasm'), 'x', (l) => lines.push(l));
    expect(lines).toEqual([`removed ${join(out, dead)}, left by an earlier trit run that was killed`]);
    expect(readdirSync(out).sort()).toEqual([live, 'm.wasm'].sort());
  });

  it('reads regular files only, and not past the size it allows', () => {
    writeFileSync(join(dir, 'big.json'), 'x'.repeat(1000));
    expect(() => readRegular(join(dir, 'big.json'), 'vocab .json', 100)).toThrow(/a vocab \.json file is at most 0 MiB/);
    expect(() => readRegular('/dev/zero', 'model .onnx')).toThrow(/is a device, expected a model \.onnx file/);
    expect(() => readRegular(join(dir, 'missing'), 'model .onnx')).toThrow(/no such file/);
  });

  it('prints control characters as \\xNN, keeping newlines, tabs and a leading progress \\r', () => {
    expect(printable('a\u001b[31mb\u0007\u009bc\nd\te')).toBe('a\\x1b[31mb\\x07\\x9bc\nd\te');
    expect(printable('\r12/40')).toBe('\r12/40');
    expect(printable('x\ry')).toBe('x\\x0dy');
  });

  it("counts a config.json's tensors and parameters without listing them", () => {
    for (const s of [
      { vocab: 32, hidden: 16, layers: 1, intermediate: 16, rmsNormEps: 1e-6, useLowerBound: true },
      { vocab: 32000, hidden: 1024, layers: 24, intermediate: 2816, rmsNormEps: 1e-6, useLowerBound: false },
    ]) {
      const list = expectedTensors(s);
      const elements = [...list.values()].reduce((n, sh) => n + sh.reduce((a, b) => a * b, 1), 0);
      expect(expectedSize(s)).toEqual({ tensors: list.size, elements });
    }
  });

  // Processes (other than `except`) whose working folder is inside `dir` (Linux /proc; [] elsewhere).
  const workingIn = (dir: string, except: number[]): number[] => {
    if (!existsSync('/proc/self/cwd')) return [];
    return readdirSync('/proc')
      .filter((n) => /^\d+$/.test(n) && !except.includes(Number(n)))
      .filter((n) => {
        try {
          return readlinkSync(`/proc/${n}/cwd`).startsWith(dir);
        } catch {
          return false;
        }
      })
      .map(Number);
  };

  // 'start': killed the moment the build folder appears; 'simulator': killed while Verilator's
  // make and g++ (or iverilog) compile the simulation inside it — tools that outlive trit unless
  // the janitor (compiler/util/outputs.ts) stops them.
  it.each([
    ['SIGINT', 'start'],
    ['SIGTERM', 'start'],
    ['SIGKILL', 'start'],
    ['SIGKILL', 'simulator'],
    ['SIGTERM', 'simulator'],
  ] as const)(
    'a Verilog build stopped by %s (at %s) leaves no build folder and no tool behind',
    async (sig, phase) => {
      const out = join(dir, `v-${sig}-${phase}`);
      const cli = join(import.meta.dirname, '../../dist/cli/main.js');
      const model = join(import.meta.dirname, '../../models/zoo/random-columns-tiny/model.onnx');
      const p = spawn(process.execPath, [cli, 'compile', model, '--target', 'verilog', '--device', 'up5k', '--no-synth', '-o', out], {
        stdio: 'ignore',
      });
      const build = (): string | undefined => (existsSync(out) ? readdirSync(out).find((n) => n.includes('.trit-build-')) : undefined);
      const reached = (): boolean => {
        const b = build();
        return !!b && (phase === 'start' || existsSync(join(out, b, 'sim')));
      };
      const t0 = Date.now();
      while (!reached() && Date.now() - t0 < 60_000) await sleep(20);
      expect(reached()).toBe(true);
      if (phase === 'simulator') await sleep(300); // let the compiler's children start
      p.kill(sig);
      expect(await new Promise((r) => p.once('exit', (_c, s) => r(s)))).toBe(sig); // ends at once, as a signal should
      // The janitor removes the folder within a second or so (longer on a loaded machine).
      const t1 = Date.now();
      while ((readdirSync(out).length || workingIn(out, [process.pid]).length) && Date.now() - t1 < 60_000) await sleep(50);
      expect(readdirSync(out)).toEqual([]);
      expect(workingIn(out, [process.pid])).toEqual([]);
    },
    120_000,
  );

  it.sequential('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});
