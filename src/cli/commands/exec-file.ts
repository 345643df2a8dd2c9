/**
 * `sops-ts exec-file FILE 'COMMAND {}'`: write the decrypted file to a
 * private temporary location, run `/bin/sh -c COMMAND` with `{}` replaced by
 * its path, and remove it afterwards (sops `cmd/sops/subcommand/exec`).
 *
 * The location is a directory made with mode 0700 under `$TMPDIR` (`.sops…`)
 * holding a FIFO (default; made with `mkfifo`, mode 0600, fed once when the
 * command opens it) or, with `--no-fifo`, a regular 0600 file. `--filename`
 * names it (a local relative name only).
 * @module
 */
import { childProcess } from '../../node/builtins.js';
import { chmodSync, constants, mkdtempSync, openSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { ExitCode, SopsError } from '../../errors.js';
import { storeFor } from '../../sops.js';
import { toBytes } from '../../encoding.js';
import { UsageError, type CliIo, type Command } from '../common.js';
import { childEnv, decryptForExec, refuseUser, runShell } from './exec-env.js';
import { logrusLine } from '../log.js';

const FALLBACK_FILENAME = 'tmp-file';

export const execFileCommand: Command = {
  valueFlags: ['user', 'input-type', 'output-type', 'filename', 'decryption-order', 'keyservice'],
  boolFlags: ['background', 'no-fifo'],
  async run(p, io) {
    if (p.files.length !== 2) throw new UsageError('error: missing file to decrypt', ExitCode.ErrorGeneric);
    const [file, command] = p.files as [string, string];
    refuseUser(p);
    const { doc, formats: f } = await decryptForExec(p, io, file);
    let plaintext: Uint8Array;
    try {
      const store = await storeFor(f.output);
      plaintext = toBytes(store.emitPlainFile(doc.branches));
    } catch (e) {
      if (e instanceof SopsError) throw new UsageError(`Error dumping file: ${e.message}`, ExitCode.ErrorDumpingTree);
      throw e;
    }
    const background = p.bools.has('background');
    if (background) io.stderr(logrusLine('CMD', 'warning', "exec-file's --background option is deprecated and will be removed in a future version of sops"));
    return execWithFile(io, command, plaintext, { fifo: !p.bools.has('no-fifo'), filename: p.flags.get('filename')?.at(-1) ?? '', background });
  },
};

/** Go's `filepath.IsLocal` on Unix: relative, non-empty, not escaping with `..`. */
function isLocal(name: string): boolean {
  if (isAbsolute(name) || name === '') return false;
  const n = normalize(name);
  return n !== '..' && !n.startsWith(`..${sep}`);
}

async function execWithFile(io: CliIo, command: string, plaintext: Uint8Array, opts: { fifo: boolean; filename: string; background: boolean }): Promise<number> {
  const tmp = io.env['TMPDIR'] !== undefined && io.env['TMPDIR'] !== '' ? io.env['TMPDIR'] : '/tmp';
  const dir = mkdtempSync(join(tmp, '.sops'));
  chmodSync(dir, 0o700);
  let writer: Promise<void> | undefined;
  let fifoPath: string | undefined;
  let done = false;
  try {
    if (opts.filename !== '' && !isLocal(opts.filename)) throw new UsageError('The provided filename is not a local path.', ExitCode.ErrorGeneric);
    let path: string;
    if (opts.fifo) {
      path = join(dir, opts.filename || FALLBACK_FILENAME);
      const r = childProcess().spawnSync('mkfifo', ['-m', '600', path], { encoding: 'utf8' });
      if (r.error !== undefined || r.status !== 0) {
        throw new UsageError(`could not make a FIFO with mkfifo (${r.error?.message ?? r.stderr.trim()}); use --no-fifo`, ExitCode.ErrorGeneric);
      }
      fifoPath = path;
      // Opening a FIFO for writing waits for a reader: do it off the main flow, as sops's goroutine.
      writer = (async () => {
        const h = await (await import('node:fs/promises')).open(path, constants.O_WRONLY);
        try {
          await h.writeFile(plaintext);
        } finally {
          await h.close();
          done = true;
        }
      })().catch(() => {
        done = true;
        // Whatever went wrong, the command must not wait for a writer forever:
        // a writer that opens and closes gives its reader end-of-file.
        try {
          closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
        } catch {
          // no reader left
        }
      });
    } else {
      path = join(dir, opts.filename || `${FALLBACK_FILENAME}${randomDigits()}`);
      writeFileSync(path, plaintext, { mode: 0o600, flag: opts.filename ? 'w' : 'wx' });
      chmodSync(path, 0o600);
    }
    const code = await runShell(io, command.split('{}').join(path), childEnv(io, false, []), { background: opts.background });
    return code;
  } finally {
    if (fifoPath !== undefined && !done) {
      // The command never read the FIFO: open it for reading, without blocking, so the pending writer gets through and gives up.
      for (let i = 0; i < 50 && !done; i++) {
        let fd: number;
        try {
          fd = openSync(fifoPath, constants.O_RDONLY | constants.O_NONBLOCK);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
        closeSync(fd);
      }
      await writer;
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `os.CreateTemp`'s random suffix: decimal digits. */
function randomDigits(): string {
  return String(crypto.getRandomValues(new Uint32Array(1))[0]);
}
