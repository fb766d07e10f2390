/**
 * @fileoverview The one way Node-side trit reads an input file (models, checkpoints, golden and
 * calibration files, tokenizers, vocabularies, MNIST files): regular files only, opened without
 * blocking (a FIFO would otherwise hang the open), the size checked against a limit before a byte
 * is read, reads bounded by that size. A symlink is followed and named in any error, so that a
 * link to /dev/zero reads as what it is. Every failure is a TritError naming the file.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { TritError } from '../../common/errors.js';

const MiB = 2 ** 20;

/** What a path is, in words, for errors. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** ' (a symlink to X)' when the path is one; '' otherwise. */
function linkNote(path: string): string {
  try {
    if (!lstatSync(path).isSymbolicLink()) return '';
    let to: string;
    try {
      to = realpathSync(path);
    } catch {
      return ' (a symlink whose target does not exist)';
    }
    return ` (a symlink to ${to})`;
  } catch {
    return '';
  }
}

/** Whether anything exists at `path` (a dangling symlink counts: reading it then says why not). */
export function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Whether `path` is a directory (following symlinks); false for anything else or nothing. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export interface OpenFile {
  fd: number;
  size: number;
  /** Reads exactly `len` bytes at `pos` into `into` (or a new buffer); an early end is an error. */
  read(pos: number, len: number, into?: Uint8Array): Uint8Array;
  close(): void;
}

/**
 * Opens a regular file for reading at positions. `what` names the input in errors ("golden
 * .safetensors"); `hint` says what to pass instead.
 */
export function openRegular(path: string, what: string, hint?: string): OpenFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? `no such file${linkNote(path)}`
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'ELOOP'
            ? 'a symlink loop'
            : (e as Error).message;
    throw new TritError(why, { file: path }, hint ?? `check the path of the ${what}`);
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw new TritError(`is ${kindOf(st)}${linkNote(path)}, expected a ${what} file`, { file: path }, hint);
  }
  const size = st.size;
  return {
    fd,
    size,
    read(pos, len, into = new Uint8Array(len)) {
      if (pos + len > size)
        throw new TritError(`asks for bytes ${pos}–${pos + len} of a ${size}-byte file`, { file: path }, 'the file is truncated or corrupt');
      for (let done = 0; done < len;) {
        const n = readSync(fd, into, done, Math.min(len - done, 1 << 26), pos + done);
        if (n <= 0) throw new TritError('the file ended early (did it change while being read?)', { file: path }, 'read it again');
        done += n;
      }
      return into;
    },
    close: () => closeSync(fd),
  };
}

/** A whole regular file, refused before reading when larger than `maxBytes`. */
export function readRegular(path: string, what: string, maxBytes = Infinity, hint?: string): Uint8Array {
  const f = openRegular(path, what, hint);
  try {
    if (f.size > maxBytes)
      throw new TritError(
        `is ${(f.size / MiB).toFixed(1)} MiB; a ${what} file is at most ${(maxBytes / MiB).toFixed(0)} MiB`,
        { file: path },
        hint ?? `check that this is a ${what} file`,
      );
    return f.read(0, f.size);
  } finally {
    f.close();
  }
}

/** A model, golden or calibration file: at most 2 GiB, protobuf's own limit for an .onnx (bigger
 *  models keep their weights in external data). */
export function readInput(path: string, what: string): Uint8Array {
  return readRegular(path, what, 2 ** 31 - 1);
}

/** A small text file (JSON configs, tokenizers, vocabularies) as a string. */
export function readText(path: string, what: string, maxBytes: number): string {
  return new TextDecoder().decode(readRegular(path, what, maxBytes));
}

/** A JSON file, parsed; invalid JSON is an error naming the file. */
export function readJson(path: string, what: string, maxBytes: number): unknown {
  const text = readText(path, what, maxBytes);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new TritError(`not valid JSON (${(e as Error).message})`, { file: path }, `expected a ${what} file`);
  }
}
