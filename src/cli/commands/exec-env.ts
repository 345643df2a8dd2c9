/**
 * `sops-ts exec-env FILE 'COMMAND'`: run `/bin/sh -c COMMAND` with the
 * file's top-level values in its environment (sops
 * `cmd/sops/subcommand/exec`). The command's exit status becomes ours, with
 * sops's `exit status N` on stderr.
 * @module
 */
import { childProcess } from '../../node/builtins.js';
import { readFileGo } from '../../node/files.js';
import { constants } from 'node:os';
import { ExitCode } from '../../errors.js';
import { environmentFrom } from '../../rekey.js';
import { decryptDocument } from '../../sops.js';
import { CliKeys } from '../keys.js';
import { UsageError, configFor, formats, type CliIo, type Command, type Parsed } from '../common.js';
import { asDecryptError, decryptionOrderOf, refuseKeyservice } from './rotate.js';
import { logrusLine, warn } from '../log.js';
import { resolve } from 'node:path';

export const execEnvCommand: Command = {
  valueFlags: ['user', 'decryption-order', 'keyservice'],
  boolFlags: ['background', 'pristine', 'same-process'],
  async run(p, io) {
    return runExecEnv(p, io);
  },
};

/** Read and decrypt the file of an exec command, with sops's decrypt errors. */
export async function decryptForExec(p: Parsed, io: CliIo, file: string) {
  const path = resolve(io.cwd, file);
  configFor(p, io);
  const f = formats(p, path);
  refuseKeyservice(p, io);
  const decryptionOrder = decryptionOrderOf(p, io);
  let data: Uint8Array;
  try {
    data = readFileGo(path, file);
  } catch (e) {
    throw new UsageError(`Error reading file: ${e instanceof Error ? e.message : String(e)}`, ExitCode.CouldNotReadInputFile);
  }
  try {
    const doc = await decryptDocument(data, {
      format: f.input,
      identities: new CliKeys(io).identities(),
      onWarning: (m, fields) => warn(io, m, 'SOPS', fields),
      ...(decryptionOrder ? { decryptionOrder } : {}),
      stash: false, // nothing is re-encrypted
    });
    return { doc, formats: f };
  } catch (e) {
    throw asDecryptError(e);
  }
}

/** `--user`: switching users needs root and setuid, which sops-ts does not do. */
export function refuseUser(p: Parsed): void {
  const u = p.flags.get('user');
  if (u !== undefined && u.some((x) => x !== '')) {
    throw new UsageError('--user is not supported by sops-ts (it would need to switch the process to another user); run sops-ts as that user (e.g. with sudo -u), or use Go sops', ExitCode.ErrorGeneric);
  }
}

/** The child's environment: ours (unless pristine), then the additions, later ones winning as Go's exec does. */
export function childEnv(io: CliIo, pristine: boolean, extra: readonly [string, string][]): Record<string, string> {
  const env: Record<string, string> = {};
  if (!pristine) for (const [k, v] of Object.entries(io.env)) if (v !== undefined) env[k] = v;
  for (const [k, v] of extra) env[k] = v;
  return env;
}

const SIGNALS: Record<string, string> = {
  SIGHUP: 'hangup', SIGINT: 'interrupt', SIGQUIT: 'quit', SIGILL: 'illegal instruction', SIGTRAP: 'trace/breakpoint trap',
  SIGABRT: 'aborted', SIGBUS: 'bus error', SIGFPE: 'floating point exception', SIGKILL: 'killed', SIGUSR1: 'user defined signal 1',
  SIGSEGV: 'segmentation fault', SIGUSR2: 'user defined signal 2', SIGPIPE: 'broken pipe', SIGALRM: 'alarm clock', SIGTERM: 'terminated',
};

/**
 * Run `/bin/sh -c command` as sops does: stdio inherited (or, in the
 * background, none, and not waited for). Resolves to our exit code: 0, or
 * the child's status with sops's `exit status N` / `signal: …` on stderr
 * (255 for a signal, as Go's `ExitCode()` is -1). `silent` passes the
 * status through without a message (sops `--same-process`, where the shell
 * replaces sops).
 */
export function runShell(io: CliIo, command: string, env: Record<string, string>, opts: { background?: boolean; silent?: boolean } = {}): Promise<number> {
  return new Promise((resolveCode) => {
    if (opts.background) {
      const child = childProcess().spawn('/bin/sh', ['-c', command], { cwd: io.cwd, env, stdio: 'ignore', detached: false });
      child.on('error', (e) => {
        io.stderr(`${e.message}\n`);
      });
      child.unref();
      resolveCode(0);
      return;
    }
    const child = childProcess().spawn('/bin/sh', ['-c', command], { cwd: io.cwd, env, stdio: 'inherit' });
    child.on('error', (e) => {
      io.stderr(`${e.message}\n`);
      resolveCode(ExitCode.ErrorGeneric);
    });
    child.on('exit', (code, signal) => {
      if (signal !== null) {
        if (!opts.silent) io.stderr(`signal: ${SIGNALS[signal] ?? signal}\n`);
        resolveCode(opts.silent ? 128 + (signalNumber(signal) ?? 0) : 255);
        return;
      }
      if (code !== 0 && code !== null && !opts.silent) io.stderr(`exit status ${code}\n`);
      resolveCode(code ?? 0);
    });
  });
}

function signalNumber(signal: string): number | undefined {
  return (constants.signals as Record<string, number | undefined>)[signal];
}

async function runExecEnv(p: Parsed, io: CliIo): Promise<number> {
  if (p.files.length !== 2) throw new UsageError('error: missing file to decrypt', ExitCode.ErrorGeneric);
  const [file, command] = p.files as [string, string];
  const background = p.bools.has('background');
  const sameProcess = p.bools.has('same-process');
  if (background) {
    io.stderr(logrusLine('CMD', 'warning', "exec-env's --background option is deprecated and will be removed in a future version of sops"));
    if (sameProcess) throw new UsageError('Error: The --same-process flag cannot be used with --background', ExitCode.ErrorConflictingParameters);
  }
  refuseUser(p);
  const { doc } = await decryptForExec(p, io, file);
  let vars: [string, string][];
  try {
    vars = environmentFrom(doc.branches);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e), ExitCode.ErrorGeneric);
  }
  return runShell(io, command, childEnv(io, p.bools.has('pristine'), vars), { background, silent: sameProcess });
}
