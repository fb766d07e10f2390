/**
 * @fileoverview `trit search`: the architecture search with trit in the loop (docs/search.md). The
 * loop trains candidates in PyTorch, so it lives beside the trainers (models/search.py, which keeps
 * its archive in SQLite); this verb checks its flags and runs it with the project's Python.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TritError } from '../common/errors.js';
import { intFlag, numFlag, str, type Flags } from './options.js';
import type { Verb } from './verb.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const search: Verb = {
  name: 'search',
  takesModel: false,
  forms: [
    {
      args: '',
      required: ['db'],
      options: [
        'family',
        'trials',
        'jobs',
        'budget',
        'proposer',
        'seed',
        'train-images',
        'test-images',
        'no-fpga',
        'no-wasm',
        'place-route',
        'output',
      ],
      text:
        'Proposes, trains (a fixed CPU budget each) and measures candidates with trit — test accuracy, UP5K fit and simulated cycles, ' +
        'wasm images/s — until --trials are settled, --jobs at a time; every trial goes into the SQLite archive, so a stopped search ' +
        'goes on where it left off. -o sets where trials write their files.',
    },
    { args: '', required: ['db', 'report'], options: [], text: 'Writes the Pareto fronts of accuracy against each cost (SVG) and the archive.' },
  ],
  run: (_model, v) => runSearch(v),
};

function runSearch(v: Flags): number {
  const script = join(ROOT, 'models', 'search.py');
  if (!existsSync(script))
    throw new TritError('the search is not part of the installed package (it trains models in PyTorch)', {}, 'run it from a clone of the repository');
  const db = str(v, 'db');
  if (db === undefined) throw new TritError('search needs --db <search.sqlite>: the archive to create, or to continue');
  const report = str(v, 'report');
  let args: string[];
  if (report !== undefined) {
    if (!existsSync(db)) throw new TritError('no such archive', { file: db }, 'give the --db of a search that has run');
    args = ['report', '--db', db, '--out', report];
  } else {
    args = ['run', '--db', db, '--family', str(v, 'family') ?? 'mlp'];
    const ints = [
      ['trials', 1],
      ['jobs', 1],
      ['seed', 0],
      ['train-images', 1],
      ['test-images', 1],
      ['place-route', 0],
    ] as const;
    for (const [name, min] of ints) if (v[name] !== undefined) args.push(`--${name}`, String(intFlag(v, name, 0, min)));
    if (v.budget !== undefined) {
      const b = numFlag(v, 'budget', 60);
      if (!(b > 0)) throw new TritError(`--budget must be a positive number of CPU seconds, not '${v.budget}'`);
      args.push('--budget', String(b));
    }
    if (str(v, 'proposer') !== undefined) args.push('--proposer-cmd', str(v, 'proposer')!);
    if (str(v, 'output') !== undefined) args.push('--work', str(v, 'output')!);
    if (v['no-fpga']) args.push('--no-fpga');
    if (v['no-wasm']) args.push('--no-wasm');
  }
  const status = python(script, args);
  // --json: every trial of the archive as one JSON line on stdout, after the search or report.
  return status === 0 && v.json ? python(script, ['list', '--db', db]) : status;
}

function python(script: string, args: string[]): number {
  const r = spawnSync(join(ROOT, 'models', 'py'), [script, ...args], { stdio: 'inherit' });
  if (r.error) throw new TritError(`could not start the search's Python: ${r.error.message}`, {}, 'run setup.sh (it installs python3-torch)');
  return r.status ?? 1;
}
