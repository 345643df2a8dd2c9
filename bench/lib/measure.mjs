// Timing: medians over repeated runs, with an adaptive number of repeats.
import { spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * How many times to repeat: at least `minRuns` runs and `minTime` ms of
 * measuring, at most `maxRuns`; a slow case stops after `slowRuns` runs once
 * `maxTime` ms have passed (a 30-second shell loop is run 3 times, not 5).
 */
export const DEFAULT_BUDGET = { minRuns: 5, minTime: 1000, maxRuns: 200, maxTime: 4000, slowRuns: 3 };

/** Median, min, max and count of samples in ms. */
export function summarize(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], runs: s.length };
}

function enough(samples, elapsed, b) {
  if (samples.length >= b.maxRuns) return true;
  if (samples.length >= b.minRuns && elapsed >= b.minTime) return true;
  return samples.length >= b.slowRuns && elapsed >= b.maxTime;
}

/**
 * A first run that takes this long is counted as a sample: JIT warm-up is
 * then a small part of it, and a 100,000-value file is not run a fourth time.
 */
const SLOW_FIRST_MS = 1000;

/**
 * Time an in-process async operation, warm: its first run is checked by
 * `check` (outside the timing) and warms up the JIT, WebCrypto key import
 * and lazily loaded modules. No GC is forced between samples: measured
 * here, a forced full GC made the next sample slower (3.5× for the
 * Kubernetes Secret, +10 % for 10,000 values) as V8 shrinks and regrows its
 * heap, which is not how a program calls the library. The median absorbs a
 * sample that pays for another's garbage.
 * @param {() => Promise<unknown>} fn
 * @param {{ check?: (result: unknown) => (string | undefined | Promise<string | undefined>), budget?: Partial<typeof DEFAULT_BUDGET> }} [opts]
 */
export async function timeAsync(fn, opts = {}) {
  const b = { ...DEFAULT_BUDGET, ...opts.budget };
  const w0 = performance.now();
  const first = await fn();
  const warm = performance.now() - w0;
  const problem = await opts.check?.(first);
  const samples = warm >= SLOW_FIRST_MS ? [warm] : [];
  // Fast cases get a longer warm-up so the optimizing compiler has kicked in.
  if (warm < 50) for (let i = 0; i < 20 && performance.now() - w0 < 300; i++) await fn();
  const total = () => samples.reduce((a, x) => a + x, 0);
  while (!enough(samples, total(), b)) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return { ...summarize(samples), ...(problem ? { problem } : {}) };
}

let devNull;

/**
 * Time a whole process (spawn to exit, wall clock). The first run is a
 * warm-up whose stdout is captured and checked (`check`); the timed runs
 * write stdout to /dev/null so a pipe's cost is not measured.
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv, cwd?: string, check?: (stdout: Buffer) => string | undefined, budget?: typeof DEFAULT_BUDGET, warmup?: boolean }} [opts]
 */
export function timeProcess(cmd, args, opts = {}) {
  const b = { ...DEFAULT_BUDGET, ...opts.budget };
  devNull ??= openSync('/dev/null', 'w');
  const base = { env: opts.env, cwd: opts.cwd, maxBuffer: 1 << 30 };
  let problem;
  const samples = [];
  if (opts.warmup !== false) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { ...base, stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = performance.now() - t0;
    if (r.error) return { error: r.error.message };
    if (r.status !== 0) return { error: `exit ${r.status}: ${firstLine(r.stderr)}` };
    problem = opts.check?.(r.stdout);
    if (ms >= SLOW_FIRST_MS) samples.push(ms);
  }
  const total = () => samples.reduce((a, x) => a + x, 0);
  while (!enough(samples, total(), b)) {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { ...base, stdio: ['ignore', devNull, 'pipe'] });
    samples.push(performance.now() - t0);
    if (r.status !== 0) return { error: `exit ${r.status}: ${firstLine(r.stderr)}` };
  }
  return { ...summarize(samples), ...(problem ? { problem } : {}) };
}

/** The first non-empty line of a process's stderr, shortened, for a table cell. */
export function firstLine(buf) {
  const line = String(buf ?? '').split('\n').find((l) => l.trim() !== '') ?? '';
  return line.length > 120 ? line.slice(0, 117) + '…' : line;
}
