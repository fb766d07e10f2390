/**
 * @fileoverview The FPGA page's data (data/fpga.json), written by demo/build.ts.
 */
import type { EnergyRow } from '../../bench/lib/report.js';

export interface FpgaPageData {
  model: string;
  /** The UP5K build's report.json (hdl-gen/src/build.ts), or null when none was found. */
  report: Record<string, unknown> | null;
  /** Where the report came from: a local build or a committed benchmark result. */
  reportSource: string;
  /** Files of the generated design, served from verilog/. */
  verilog: { name: string; bytes: number; about: string }[];
  /** The energy tables of the newest full `trit bench` result. */
  energy: { source: string; machine: string; models: { model: string; item: string; rows: EnergyRow[] }[]; plots: string[] } | null;
}
