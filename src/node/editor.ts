/**
 * The editor session of `sops-ts edit`: find the editor as sops does
 * (`cmd/sops/edit.go` `runEditor`), keep the plaintext in a private
 * temporary file, and make sure that file is gone afterwards.
 *
 * Safety, beyond what sops does:
 * - the directory is created by `mkdtemp` (0700) and the file is opened with
 *   `O_CREAT|O_EXCL` and mode 0600 (never chmod-ed afterwards, so it is
 *   never readable by others, not even for an instant);
 * - file and directory (and whatever the editor left in it: swap and backup
 *   files) are removed on every exit path: normal return, exceptions, editor
 *   failure, SIGINT, SIGTERM, SIGHUP, and `process.exit`;
 * - on a signal the editor is told to stop (SIGTERM) instead of being left
 *   running on a deleted file;
 * - editors are found through `PATH` only; a hit in a relative `PATH` entry
 *   (`.` or empty) is refused, as Go's `exec.LookPath` does.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import { childProcess } from './builtins.js';
import { accessSync, closeSync, constants, mkdtempSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { shlexSplit, type Env } from './age-keys.js';

/** An editor that could not be found or run; `message` is Go's text, as sops prints it after `Could not run editor: `. */
export class EditorError extends Error {
  override name = 'EditorError';
}

/** The editors sops tries, in order, when neither `SOPS_EDITOR` nor `EDITOR` is set. */
export const FALLBACK_EDITORS = ['vim', 'nano', 'vi'] as const;

function isExecutable(path: string): boolean {
  try {
    if (statSync(path).isDirectory()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Go's `exec.LookPath` on Unix: a name with a slash is used as it is; a bare
 * name is searched in `PATH` (an empty entry means `.`); a hit in a relative
 * directory is an error, never run.
 */
export function lookPath(file: string, env: Env, cwd: string): string {
  if (file.includes('/')) {
    if (isExecutable(resolve(cwd, file))) return file;
    throw new EditorError(`exec: ${goQuote(file)}: ${statError(resolve(cwd, file))}`);
  }
  const pathVar = env['PATH'] ?? '';
  for (const entry of pathVar.split(':')) {
    const dir = entry === '' ? '.' : entry;
    const candidate = join(dir, file);
    if (isExecutable(isAbsolute(candidate) ? candidate : resolve(cwd, candidate))) {
      if (!isAbsolute(candidate)) throw new EditorError(`exec: ${goQuote(file)}: cannot run executable found relative to current directory`);
      return candidate;
    }
  }
  throw new EditorError(`exec: ${goQuote(file)}: executable file not found in $PATH`);
}

function statError(path: string): string {
  try {
    statSync(path);
    return 'permission denied';
  } catch (e) {
    return errnoText((e as { code?: string }).code);
  }
}

function errnoText(code: string | undefined): string {
  switch (code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EACCES': return 'permission denied';
    case 'EISDIR': return 'is a directory';
    case 'ENOTDIR': return 'not a directory';
    case 'ENOEXEC': return 'exec format error';
    case 'ELOOP': return 'too many levels of symbolic links';
    case 'E2BIG': return 'argument list too long';
    default: return code ?? 'unknown error';
  }
}

/** Go's `strconv.Quote` for the texts sops quotes (`%q`). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if ((c >= 0x80 && c < 0xa0) || c === 0xad) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** The editor command line, without the file: `argv[0]` as given, `path` what will be run. */
export interface EditorCommand {
  /** The program to run: absolute, or a path with a slash as the user wrote it. */
  path: string;
  /** The arguments before the file name; `argv[0]` is the program's name as written. */
  argv: string[];
}

/**
 * Which editor to run, as sops: `SOPS_EDITOR`, else `EDITOR` (split like a
 * shell with shlex, no shell involved: `code --wait`), else the first of
 * vim, nano, vi found on `PATH`. Throws {@link EditorError}.
 */
export function editorCommand(env: Env, cwd: string): EditorCommand {
  let varName = 'SOPS_EDITOR';
  let value = env['SOPS_EDITOR'] ?? '';
  if (value === '') {
    varName = 'EDITOR';
    value = env['EDITOR'] ?? '';
  }
  if (value === '') {
    for (const name of FALLBACK_EDITORS) {
      try {
        const p = lookPath(name, env, cwd);
        return { path: p, argv: [p] };
      } catch {
        // next
      }
    }
    throw new EditorError(
      `no editor available: sops attempts to use the editor defined in the SOPS_EDITOR or EDITOR environment variables, and if that's not set defaults to any of ${FALLBACK_EDITORS.join(', ')}, but none of them could be found`,
    );
  }
  let parts: string[];
  try {
    parts = shlexSplit(value);
  } catch {
    throw new EditorError(`invalid $${varName}: ${value}`);
  }
  if (parts.length === 0) return { path: '', argv: [] };
  // Go's exec.Command looks a bare name up in PATH; a name with a slash is run as it is.
  const name = parts[0]!;
  return { path: name.includes('/') ? name : lookPath(name, env, cwd), argv: parts };
}

const SIGNAL_TEXT: Record<string, string> = {
  SIGHUP: 'hangup', SIGINT: 'interrupt', SIGQUIT: 'quit', SIGILL: 'illegal instruction', SIGTRAP: 'trace/breakpoint trap',
  SIGABRT: 'aborted', SIGBUS: 'bus error', SIGFPE: 'floating point exception', SIGKILL: 'killed', SIGUSR1: 'user defined signal 1',
  SIGSEGV: 'segmentation fault', SIGUSR2: 'user defined signal 2', SIGPIPE: 'broken pipe', SIGALRM: 'alarm clock', SIGTERM: 'terminated',
};

/** A running editor. */
export interface EditorRun {
  /** Resolves when the editor exits with 0; rejects with an {@link EditorError} (`exit status 1`, `signal: killed`, …). */
  done: Promise<void>;
  /** Ask the editor to stop and stop waiting for it (used on cancellation). */
  stop(): void;
}

/**
 * Run the editor on `file`, with the terminal (stdio inherited), the given
 * environment and working directory.
 */
export function runEditor(cmd: EditorCommand, file: string, env: Env, cwd: string): EditorRun {
  if (cmd.argv.length === 0) {
    // An editor variable of blanks: sops then runs the file itself, which is
    // not executable (0600); report what Go reports without trying.
    return { done: Promise.reject(new EditorError(`fork/exec ${file}: permission denied`)), stop() {} };
  }
  const program = isAbsolute(cmd.path) ? cmd.path : resolve(cwd, cmd.path);
  if (!isExecutable(program)) {
    return { done: Promise.reject(new EditorError(`fork/exec ${cmd.path}: ${statError(program)}`)), stop() {} };
  }
  let child: ChildProcess | undefined;
  const done = new Promise<void>((resolveDone, reject) => {
    try {
      child = childProcess().spawn(program, [...cmd.argv.slice(1), file], {
        argv0: cmd.argv[0]!,
        cwd,
        env: env as NodeJS.ProcessEnv,
        stdio: 'inherit',
      });
    } catch (e) {
      reject(new EditorError(`fork/exec ${cmd.path}: ${errnoText((e as { code?: string }).code)}`));
      return;
    }
    child.once('error', (e) => reject(new EditorError(`fork/exec ${cmd.path}: ${errnoText((e as { code?: string }).code)}`)));
    child.once('exit', (code, signal) => {
      if (signal !== null) reject(new EditorError(`signal: ${SIGNAL_TEXT[signal] ?? signal}`));
      else if (code !== 0) reject(new EditorError(`exit status ${code}`));
      else resolveDone();
    });
  });
  return {
    done,
    stop() {
      if (child !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          child.kill('SIGTERM');
        } catch {
          // gone already
        }
        child.unref();
      }
    },
  };
}

/** The private temporary file holding the plaintext. */
export interface PlaintextFile {
  /** The 0700 directory made for it. */
  readonly dir: string;
  /** The file, 0600, with the same base name as the edited file. */
  readonly path: string;
  /** Remove the file and its directory (idempotent, never throws). */
  remove(): void;
}

/**
 * Create `<fresh 0700 dir>/<baseName>` with mode 0600 (`O_CREAT|O_EXCL`) and
 * write `content` to it. The temporary root is `TMPDIR` (from `env`), else
 * the system default, as Go's `os.TempDir`.
 */
export function createPlaintextFile(baseName: string, content: Uint8Array, env: Env): PlaintextFile {
  const root = env['TMPDIR'] !== undefined && env['TMPDIR'] !== '' ? env['TMPDIR'] : process.platform === 'win32' ? tmpdir() : '/tmp';
  const dir = mkdtempSync(join(root, 'sops-ts-edit-'));
  let removed = false;
  const remove = () => {
    if (removed) return;
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
      removed = true;
    } catch {
      // best effort; retried by the next call (e.g. the exit hook)
    }
  };
  const path = join(dir, baseName);
  try {
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
    try {
      let off = 0;
      while (off < content.length) off += writeSync(fd, content, off, content.length - off);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    remove();
    throw e;
  }
  return { dir, path, remove };
}

const CANCEL_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Run `body` with handlers that, on SIGINT, SIGTERM or SIGHUP, call
 * `onCancel` (synchronously, first thing) and make the returned promise
 * reject with `cancelError()`; plus an exit hook that calls `onExit`.
 * All handlers are removed when the promise settles.
 */
export async function withCancellation<T>(
  body: () => Promise<T>,
  hooks: { onCancel: () => void; onExit: () => void; cancelError: () => Error },
): Promise<T> {
  let rejectCancel!: (e: Error) => void;
  const cancelled = new Promise<never>((_, reject) => {
    rejectCancel = reject;
  });
  const handler = () => {
    hooks.onCancel();
    rejectCancel(hooks.cancelError());
  };
  const exitHook = () => hooks.onExit();
  for (const s of CANCEL_SIGNALS) process.on(s, handler);
  process.on('exit', exitHook);
  try {
    const work = body();
    work.catch(() => undefined); // settled later by the race, or abandoned on cancel
    return await Promise.race([work, cancelled]);
  } finally {
    for (const s of CANCEL_SIGNALS) process.off(s, handler);
    process.off('exit', exitHook);
  }
}

/**
 * Wait for one read from standard input (sops's "Press enter to return to
 * the editor"): any input, end of input or an error ends the wait. Returns
 * a function that stops waiting.
 */
export function waitForKeyPress(): { done: Promise<void>; stop: () => void } {
  const stdin = process.stdin;
  let finish!: () => void;
  const done = new Promise<void>((res) => {
    finish = res;
  });
  let over = false;
  const end = () => {
    if (over) return;
    over = true;
    stdin.off('data', end);
    stdin.off('end', end);
    stdin.off('error', end);
    stdin.pause();
    finish();
  };
  if (stdin.readableEnded || stdin.destroyed) {
    // End of input was reached before: a read returns at once, as in Go.
    over = true;
    finish();
    return { done, stop: () => undefined };
  }
  stdin.on('data', end);
  stdin.once('end', end);
  stdin.once('error', end);
  stdin.resume();
  return { done, stop: end };
}
