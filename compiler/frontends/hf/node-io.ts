/**
 * @fileoverview CheckpointIO on Node's file system (positioned reads; one descriptor per file,
 * kept open while a compile reads a shard tensor by tensor). Files go through the one reading path
 * (common/files.ts): a directory, FIFO or device where a file should be is refused by name.
 */
import { readdirSync } from 'node:fs';
import { TritError } from '../../../common/errors.js';
import { exists, openRegular, type OpenFile } from '../../util/files.js';
import type { CheckpointIO } from './checkpoint.js';

export interface NodeCheckpointIO extends CheckpointIO {
  close(): void;
}

export function nodeCheckpointIO(): NodeCheckpointIO {
  const files = new Map<string, OpenFile>();
  const open = (p: string) => {
    let f = files.get(p);
    if (!f) files.set(p, (f = openRegular(p, 'checkpoint')));
    return f;
  };
  return {
    exists,
    size: (p) => open(p).size,
    list: (d) => {
      try {
        return readdirSync(d);
      } catch (e) {
        throw new TritError(`cannot list the folder: ${(e as Error).message}`, { file: d });
      }
    },
    read: (p, offset, length) => open(p).read(offset, length),
    close() {
      for (const f of files.values()) f.close();
      files.clear();
    },
  };
}
