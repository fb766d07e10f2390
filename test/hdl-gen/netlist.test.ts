/**
 * What the tools build is checked too: the MLP's design (the board's SPRAM data memory, the core
 * specialised and configured for the UP5K) synthesised by Yosys `synth_ice40 -dsp`, written back
 * out as a netlist of iCE40 cells, and simulated in Icarus with Yosys's own cell models
 * (SB_LUT4, SB_CARRY, SB_DFF*, SB_RAM40_4K with the program ROM in its INIT, SB_SPRAM256KA,
 * SB_MAC16): its logits equal the interpreter's, bit for bit, on MNIST test images.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compileFile } from '../../compiler/node.js';
import { Interpreter } from '../../compiler/interp/interp.js';
import { DEVICES, configureCore } from '../../hdl-gen/src/device.js';
import { designFiles, HDL_ROOT } from '../../hdl-gen/src/emit.js';
import { buildProgram } from '../../hdl-gen/src/program.js';
import { HdlSim } from '../../hdl-gen/src/sim.js';
import { tools } from '../../hdl-gen/src/flow.js';
import { readMnistTest } from '../../compiler/formats/idx.js';
import { MNIST_DIR } from '../../fixtures/mnist.js';

const ROOT = join(import.meta.dirname, '../..');
// Yosys's iCE40 simulation models, from the same @yowasp/yosys that synthesises.
const CELLS = join(dirname(createRequire(import.meta.url).resolve('@yowasp/yosys')), 'share', 'ice40', 'cells_sim.v'); // beside gen/bundle.js

describe('post-synthesis netlist', () => {
  it(
    'mlp-mnist-up5k: the Yosys netlist with the iCE40 cell models equals the interpreter on 2 MNIST images (Icarus)',
    async () => {
      const c = compileFile(join(ROOT, 'models/zoo/mlp-mnist-up5k/model.onnx'), undefined, undefined, 'fpga');
      const p = buildProgram(c.ir);
      configureCore(p, DEVICES.up5k);
      const files = designFiles(p, 'spram');
      const vfiles = Object.keys(files).filter((f) => f.endsWith('.v'));
      const { runYosys } = await tools();
      const out = (await runYosys(
        ['-q', '-p', `read_verilog -DSYNTHESIS ${vfiles.join(' ')}; synth_ice40 -dsp -top trit_top; write_verilog -noattr netlist.v`],
        files,
        { stdout: () => {}, stderr: () => {} },
      )) as Record<string, string | Uint8Array>;
      const netlist = String(out['netlist.v']);
      expect(netlist).toMatch(/SB_MAC16/);
      expect(netlist).toMatch(/SB_SPRAM256KA/);
      expect(netlist).not.toMatch(/\$mem|\$dff/); // only iCE40 cells are left

      const dir = mkdtempSync(join(tmpdir(), 'trit-netlist-'));
      try {
        writeFileSync(join(dir, 'netlist.v'), netlist);
        const tb = readFileSync(join(HDL_ROOT, 'sim', 'tb_stream.v'), 'utf8');
        writeFileSync(join(dir, 'tb_stream.v'), tb);
        const r = spawnSync(
          'iverilog',
          ['-g2012', '-DTRIT_NETLIST', '-DNO_ICE40_DEFAULT_ASSIGNMENTS', '-o', 'sim.vvp', '-s', 'tb_stream', 'tb_stream.v', 'netlist.v', CELLS],
          {
            cwd: dir,
            encoding: 'utf8',
          },
        );
        expect(r.status, r.stderr).toBe(0);
        const sim = await HdlSim.attach(p, { cmd: 'vvp', args: ['-n', 'sim.vvp'], cwd: dir });
        const { images } = readMnistTest(MNIST_DIR, 2);
        const interp = new Interpreter(c.ir);
        const o = p.outputs[0];
        try {
          for (const img of images) {
            const feeds = { [c.ir.inputs[0].name]: Float64Array.from(img, (v) => v / 255) };
            const hw = await sim.run(feeds);
            const sw = interp.run(feeds, { record: true }).values!.get(o.value)!;
            expect(Array.from(hw.raw[o.name])).toEqual(Array.from(sw));
          }
        } finally {
          await sim.close();
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    30 * 60_000,
  );
});
