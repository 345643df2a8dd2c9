/**
 * File writes that never leave a damaged file: write a temporary file in the
 * same directory, flush it, then rename it over the target.
 * @module
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { goFsError } from './age-keys.js';
import { basename, dirname, join } from 'node:path';

/** Write `data` to `path` atomically, keeping the target's mode when it exists (0600 for a new file). */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  let mode = 0o600;
  try {
    mode = statSync(path).mode & 0o777;
  } catch {
    // new file
  }
  const tmp = join(dirname(path), `.${basename(path)}.sops-ts-${process.pid}-${Date.now()}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    try { unlinkSync(tmp); } catch { /* already gone */ }
    throw e;
  }
}

/**
 * Go `os.ReadFile`, with its error text: `open PATH: …` when the file cannot
 * be opened, `read PATH: is a directory` for a directory (Go opens it, then
 * the read fails). `shown` is the name the message uses (sops prints the
 * path as given in some commands, the absolute one in others).
 */
export function readFileGo(path: string, shown: string = path): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const isDir = (e as { code?: string }).code === 'EISDIR';
    throw new Error(goFsError(isDir ? 'read' : 'open', shown, e), { cause: e });
  }
}
