// The tools trit's FPGA flow calls (hdl-gen/src/flow.ts), re-exported so that they resolve from
// this package wherever npm puts its dependencies.
export { runYosys } from '@yowasp/yosys';
export { runNextpnrIce40, runIcepack } from '@yowasp/nextpnr-ice40';
