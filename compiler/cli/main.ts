#!/usr/bin/env node
/** @fileoverview Entry point of the `trit` binary; the commands live in ./cli.ts. */
import { main } from './cli.js';

process.exitCode = await main(process.argv.slice(2));
