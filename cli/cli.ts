/**
 * @fileoverview The `trit` command line: inspect | compile | run | verify | bench | search, one file a verb.
 * Parsing and --help come from the option table (options.ts) and the verbs' forms.
 *
 * Bad input ends in one clear line (`trit: error: …`) and exit code 1; a bad command line in the
 * usage and exit code 2; anything else escaping is a bug in trit, reported as such with exit code 70.
 */
import { parseArgs } from 'node:util';
import { setMaxElements } from '../common/budget.js';
import { TritError } from '../common/errors.js';
import { printable } from '../common/text.js';
import { VERSION } from '../common/version.js';
import { bench } from './bench.js';
import { compile } from './compile.js';
import { inspect } from './inspect.js';
import { COMMON, flagName, intFlag, numFlag, OPTIONS, parseSpec, str, usageOf, type Flags, type OptionName, type OptionSpec } from './options.js';
import { run } from './run.js';
import { search } from './search.js';
import { optionsOf, type Verb } from './verb.js';
import { verify } from './verify.js';
import { inSandbox, sandboxed } from './watchdog.js';

export const VERBS: Verb[] = [inspect, verify, compile, run, bench, search];

const INTRO = `A <model> is an ONNX file or a Hugging Face checkpoint directory of a MatMul-free LM
(config.json + model.safetensors, or shards + model.safetensors.index.json; F32/F16/BF16),
such as ridger/MMfreeLM-370M, -1.3B or -2.7B.`;

/** Items (words, or usage items never broken inside) laid out in lines of at most `width`
 *  columns: the first line indented by `first`, the others by `rest`. */
function layout(items: string[], first: string, rest: string, width = 100): string {
  const lines: string[] = [];
  let line = '';
  for (const it of items) {
    const indent = lines.length ? rest : first;
    if (line && indent.length + line.length + 1 + it.length > width) {
      lines.push(indent + line);
      line = it;
    } else line = line ? `${line} ${it}` : it;
  }
  if (line) lines.push((lines.length ? rest : first) + line);
  return lines.join('\n');
}

/** Words of a text wrapped at `width`, every line indented by `indent`. */
const wrap = (text: string, indent: string) => layout(text.split(/\s+/).filter(Boolean), indent, indent);

function verbUsage(v: Verb): string {
  return v.forms
    .map((f) => {
      const required = (f.required ?? []).map((n) => (f.fixed?.[n] ? `${flagName(n)} ${f.fixed[n]}` : usageOf(n, true)));
      const call = [`trit ${v.name}`, f.args, ...required, ...f.options.map((n) => usageOf(n))].filter(Boolean);
      return `${layout(call, '  ', '      ')}\n${wrap(f.text, '      ')}`;
    })
    .join('\n');
}

function optionHelp(names: OptionName[]): string {
  return names
    .map((n) => {
      const o: OptionSpec = OPTIONS[n];
      const head = `  ${o.short ? `-${o.short}, ` : ''}--${n}`;
      return head.length < 20 ? `${head.padEnd(20)}${wrap(o.help, ' '.repeat(20)).trimStart()}` : `${head}\n${wrap(o.help, ' '.repeat(20))}`;
    })
    .join('\n');
}

/** The whole --help text, or one verb's. */
export function usage(verb?: Verb): string {
  const head = `trit ${VERSION} — compile ternary neural networks into addition-only programs\n\n`;
  // The verb's own options, then those every verb takes (--json, --max-elements, --help).
  if (verb)
    return `${head}usage:\n${verbUsage(verb)}\n\noptions:\n${optionHelp([...new Set([...optionsOf(verb), ...COMMON.filter((n) => n !== 'help'), 'help' as const])])}\n`;
  const all = [...new Set([...VERBS.flatMap(optionsOf), ...COMMON, 'version' as const])];
  return `${head}usage:\n${wrap(INTRO, '  ')}\n\n${VERBS.map(verbUsage).join('\n')}\n\noptions:\n${optionHelp(all)}\n`;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const verb = VERBS.find((v) => v.name === argv[0]);
  if (!verb) {
    if (argv[0] === '--version' || argv[0] === '-v') {
      process.stdout.write(`${VERSION}\n`);
      return 0;
    }
    if (argv[0] === '--help' || argv[0] === '-h') {
      process.stdout.write(usage());
      return 0;
    }
    process.stderr.write(`${argv.length ? `trit: unknown command '${argv[0]}'\n\n` : ''}${usage()}`);
    return 2;
  }
  let flags: Flags, pos: string[];
  try {
    const p = parseArgs({ args: argv.slice(1), allowPositionals: true, strict: true, options: parseSpec([...COMMON, ...optionsOf(verb)]) });
    flags = p.values as Flags;
    pos = p.positionals;
  } catch (e) {
    // node:util's message goes on to explain `--`; its first sentence is the one that helps.
    const msg = (e as Error).message.split('. To specify')[0];
    process.stderr.write(`trit ${verb.name}: error: ${msg}\n\n${usage(verb)}`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(usage(verb));
    return 0;
  }
  const restore = printableOutput();
  try {
    const maxElements = str(flags, 'max-elements');
    if (maxElements !== undefined) setMaxElements(intFlag(flags, 'max-elements', 0, 1));
    const [model, ...extra] = pos;
    if (!verb.takesModel && model) throw new TritError(`${verb.name} takes no model; unexpected '${model}'`);
    if (extra.length) throw new TritError(`unexpected arguments: ${extra.join(' ')}`);
    if (verb.takesModel && !model)
      throw new TritError(`${verb.name} needs a model: trit ${verb.name} ${verb.forms[0].args} … (trit ${verb.name} --help)`);
    // A .wasm is code from a file: its steps run in a worker this thread can stop (watchdog.ts).
    if ((verb.name === 'run' || verb.name === 'verify') && model.endsWith('.wasm') && !inSandbox())
      return await sandboxed(argv, numFlag(flags, 'timeout', 60), model);
    return await verb.run(model, flags);
  } catch (e) {
    if (e instanceof TritError) {
      process.stderr.write(`trit: error: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`trit: internal error — this is a bug in trit, please report it with the command you ran:\n${(e as Error).stack ?? e}\n`);
    return 70;
  } finally {
    restore();
  }
}

/** Everything the verbs print goes through printable(): names in reports come from files. */
function printableOutput(): () => void {
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((s) => s.write);
  for (const [i, s] of streams.entries()) {
    const w = writes[i];
    s.write = ((chunk: unknown, ...rest: unknown[]) =>
      (w as (...a: unknown[]) => boolean).call(s, typeof chunk === 'string' ? printable(chunk) : chunk, ...rest)) as typeof s.write;
  }
  return () => streams.forEach((s, i) => (s.write = writes[i]));
}
