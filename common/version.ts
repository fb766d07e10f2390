/** @fileoverview trit's version, recorded in compiled artefacts (kept equal to package.json's). */
export const VERSION = '0.1.0';
