/**
 * Node built-ins that only some commands need, loaded on first use: a
 * `decrypt` never starts a child process, and loading `node:child_process`
 * (with the stream and net modules behind it) or `node:http` costs several
 * milliseconds of a CLI start that aims to be close to a bare `node`.
 *
 * `createRequire` rather than `import()` because some callers are
 * synchronous (`SOPS_AGE_KEY_CMD` runs a command while keys are gathered).
 * @module
 * @internal
 */
import { createRequire } from 'node:module';

const load = createRequire(import.meta.url);

/** `node:child_process`, loaded on the first call. */
export function childProcess(): typeof import('node:child_process') {
  return load('node:child_process') as typeof import('node:child_process');
}

/** `node:http`'s status texts (`404` → `Not Found`), loaded on the first call. */
export function httpStatusText(status: number): string | undefined {
  return (load('node:http') as typeof import('node:http')).STATUS_CODES[status];
}
