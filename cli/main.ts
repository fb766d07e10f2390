#!/usr/bin/env node
/** @fileoverview Entry point of the `trit` binary; the verbs live beside it, one file each. */
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
