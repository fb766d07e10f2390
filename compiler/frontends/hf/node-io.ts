/**
 * @fileoverview CheckpointIO on Node's file system (positioned reads; one descriptor per file,
 * kept open while a compile reads a shard tensor by tensor).
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { TritError } from '../../../common/errors.js';
import type { CheckpointIO } from './checkpoint.js';

export interface NodeCheckpointIO extends CheckpointIO {
  close(): void;
}

export function nodeCheckpointIO(): NodeCheckpointIO {
  const fds = new Map<string, number>();
  return {
    exists: (p) => existsSync(p),
    size: (p) => {
      const s = statSync(p);
      return s.isFile() ? s.size : -1;
    },
    list: (d) => readdirSync(d),
    read(p, offset, length) {
      let fd = fds.get(p);
      if (fd === undefined) fds.set(p, (fd = openSync(p, 'r')));
      const buf = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const n = readSync(fd, buf, got, Math.min(length - got, 1 << 30), offset + got);
        if (n <= 0) throw new TritError(`ends before byte ${offset + length}`, { file: p }, 'the file is truncated');
        got += n;
      }
      return buf;
    },
    close() {
      for (const fd of fds.values()) closeSync(fd);
      fds.clear();
    },
  };
}
