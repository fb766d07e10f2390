export { runYosys } from '@yowasp/yosys';
export { runNextpnrIce40, runIcepack } from '@yowasp/nextpnr-ice40';
