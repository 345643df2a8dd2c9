// Helpers for tests that use the real Go sops binary as an oracle, and for reading the
// reference-vector manifest written by scripts/gen-vectors.mjs.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const VECTORS_DIR: string = join(REPO_ROOT, 'vectors');
export const DEFAULT_SOPS_VERSION = '3.13.3';

/**
 * Path of the pinned Go sops binary, or undefined if it is not installed.
 * SOPS_TS_SOPS_BIN (absolute or repo-relative) overrides the lookup for the default version;
 * if it is set but does not exist, the result is undefined (no silent fallback).
 */
export function findSops(version: string = DEFAULT_SOPS_VERSION): string | undefined {
  const fromEnv = process.env.SOPS_TS_SOPS_BIN;
  if (fromEnv && version === DEFAULT_SOPS_VERSION) {
    const p = resolve(REPO_ROOT, fromEnv);
    return existsSync(p) ? p : undefined;
  }
  const p = join(REPO_ROOT, '.tools', `sops-${version}`, 'sops');
  return existsSync(p) ? p : undefined;
}

/**
 * The sops binary for live tests. If it is missing: throws when SOPS_TS_REQUIRE_SOPS=1 (CI,
 * so the suite fails), otherwise prints a visible warning and returns undefined (skip).
 */
export function requireSops(version: string = DEFAULT_SOPS_VERSION): string | undefined {
  const bin = findSops(version);
  if (bin) return bin;
  const msg =
    process.env.SOPS_TS_SOPS_BIN && version === DEFAULT_SOPS_VERSION
      ? `SOPS_TS_SOPS_BIN=${process.env.SOPS_TS_SOPS_BIN} does not exist`
      : `Go sops ${version} not found at .tools/sops-${version}/sops`;
  if (process.env.SOPS_TS_REQUIRE_SOPS === '1') {
    throw new Error(`[sops-ts] ${msg} (SOPS_TS_REQUIRE_SOPS=1). Install it with npm run sops:install`);
  }
  console.warn(`[sops-ts] live sops tests SKIPPED: ${msg}; install with npm run sops:install`);
  return undefined;
}

let cleanHome: string | undefined;
/** An empty HOME shared by all runs of this process (no ~/.config/sops, no ~/.ssh). */
export function cleanHomeDir(): string {
  cleanHome ??= mkdtempSync(join(tmpdir(), 'sops-ts-test-home-'));
  return cleanHome;
}

/** The environment sops runs with: PATH + an empty HOME + `extra`. No SOPS_* from the user. */
export function cleanSopsEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cleanHomeDir(), ...extra };
}

export interface RunSopsOptions {
  /** stdin */
  input?: string | Uint8Array;
  /** added to the clean environment */
  env?: Record<string, string>;
  /** default: REPO_ROOT (manifest paths are relative to it) */
  cwd?: string;
  /** default: findSops() */
  bin?: string;
}
export interface RunSopsResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Run sops synchronously with a clean environment. */
export function runSops(args: readonly string[], opts: RunSopsOptions = {}): RunSopsResult {
  const bin = opts.bin ?? findSops();
  if (!bin) throw new Error('[sops-ts] runSops: Go sops is not installed (npm run sops:install)');
  const r = spawnSync(bin, [...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: cleanSopsEnv(opts.env),
    input: opts.input,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

/** Throws unless `bin --version` says `sops <version>`, i.e. the oracle is Go sops, not us. */
export function assertIsGoSops(bin: string, version: string = DEFAULT_SOPS_VERSION): void {
  const r = runSops(['--version'], { bin, env: { SOPS_DISABLE_VERSION_CHECK: '1' } });
  // releases before 3.9 ignore SOPS_DISABLE_VERSION_CHECK and, when GitHub says they are the
  // newest, print `sops <ver> (latest)`; warnings about the check go on later lines
  const first = (r.stdout.toString('utf8').split('\n')[0]?.trim() ?? '').replace(/ \(latest\)$/, '');
  if (r.code !== 0 || first !== `sops ${version}`) {
    throw new Error(
      `[sops-ts] ${bin} is not Go sops ${version}: exit ${r.code}, --version printed ${JSON.stringify(first)}`,
    );
  }
}

// ------------------------------------------------------------------ manifest

export type VectorFormat = 'yaml' | 'json' | 'dotenv' | 'ini' | 'binary';
export type VectorSetting =
  | 'none'
  | 'encrypted_regex'
  | 'unencrypted_suffix'
  | 'encrypted_suffix'
  | 'unencrypted_regex'
  | 'mac_only_encrypted'
  | 'encrypted_comment_regex'
  | 'unencrypted_comment_regex';

export interface VectorExpectError {
  /** `encrypt`: sops refused the input; `decrypt`: sops could not decrypt its own output. */
  stage: 'encrypt' | 'decrypt';
  exitCode: number;
  stderr: string;
  command: string;
}

export interface Vector {
  id: string;
  /** relative to vectors/ */
  input: string;
  format: VectorFormat;
  setting: VectorSetting;
  /** flags after the `encrypt` subcommand */
  settingFlags: string[];
  /** flags before the subcommand (e.g. --mac-only-encrypted, a global-only flag) */
  globalFlags: string[];
  /** text of the .sops.yaml passed with --config, or null when a rule-less config was used */
  config: string | null;
  /** relative to vectors/ */
  configFile: string;
  recipients: string[];
  /** relative to vectors/; null when encryption failed */
  encrypted: string | null;
  /** relative to vectors/; null when no plaintext could be produced */
  decrypted: string | null;
  encryptCommand: string;
  decryptCommand: string | null;
  /** argv as run, cwd = REPO_ROOT */
  encryptArgv: string[];
  decryptArgv: string[] | null;
  decryptEnv: Record<string, string> | null;
  decryptChecks: { key: string; command: string; exitCode: number; identical: boolean }[];
  /** whether the .dec bytes equal the input bytes */
  roundTripIdentical: boolean | null;
  /**
   * relative to vectors/: sops's own decrypt → re-encrypt with the same data key
   * (`sops set` of a string to the value it already has); null if not made
   */
  reencrypted: string | null;
  reencryptCommand: string | null;
  /** argv of the re-encrypt as run (`set FILE PATH VALUE`, or legacy `--set 'PATH VALUE' FILE` before 3.9) */
  reencryptArgv: string[] | null;
  /** what sops printed on stderr while encrypting (e.g. the 3.11+ "rules ignored for binary" warning), time redacted */
  encryptStderr: string | null;
  /** the cross-decrypt release (3.13.3) decrypting this release's file; null for 3.13.3 itself */
  crossDecrypt: VectorCrossDecrypt | null;
  expectError: VectorExpectError | null;
}

export interface VectorCrossDecrypt {
  /** release of the binary that decrypted (3.13.3) */
  sops: string;
  argv: string[];
  env: Record<string, string>;
  command: string;
  exitCode: number;
  /** stderr when exitCode != 0 */
  stderr: string | null;
  /** whether its stdout equals this release's own `.dec` (null when there is no `.dec`) */
  identical: boolean | null;
  /** relative to vectors/: its stdout, written only when exit 0 and it differs from `.dec` */
  output: string | null;
}

export interface SkippedSetting {
  setting: VectorSetting;
  formats: VectorFormat[];
  /** why this release cannot produce it (a flag its --help does not list) */
  reason: string;
}

export interface VectorManifest {
  sops: {
    version: string;
    binary: string;
    versionOutput: string;
    /** command forms this release was driven with (subcommands since 3.9; `set` vs legacy `--set`) */
    commands?: { encrypt: string; decrypt: string; reencrypt: string | null };
  };
  generatedBy: string;
  generatedAt: string;
  environment: { cwd: string; env: Record<string, string>; note: string };
  keys: Record<string, { file: string; recipient: string }>;
  settings: {
    name: VectorSetting;
    settingFlags: string[];
    globalFlags: string[];
    config: string | null;
    formats: VectorFormat[];
    /** the setting flags used for each format (regexes differ for flat formats) */
    flagsByFormat?: Partial<Record<VectorFormat, string[]>>;
    /** per format, the input stems the setting is limited to */
    onlyInputs?: Partial<Record<VectorFormat, string[]>>;
    /** 'legacy': encrypted with `sops <global flags> --encrypt` because this release's `encrypt` subcommand drops them */
    encryptForm?: 'legacy';
    note?: string;
  }[];
  /** settings this release does not support, with the reason (absent in pre-index manifests) */
  skippedSettings?: SkippedSetting[];
  /** the binary that cross-decrypted this release's files; null for 3.13.3 itself */
  crossDecryptWith?: { version: string; binary: string } | null;
  vectors: Vector[];
}

export interface VectorIndexRelease {
  version: string;
  /** relative to vectors/ */
  dir: string;
  manifest: string;
  vectors: number;
  encryptedAndDecrypted: number;
  expectErrors: number;
  reencrypted: number;
  crossDecrypted: number;
  crossDecryptDiffers: number;
  byFormat: Partial<Record<VectorFormat, number>>;
  bySetting: Partial<Record<VectorSetting, number>>;
  skippedSettings: SkippedSetting[];
}

export interface VectorIndex {
  generatedBy: string;
  note: string;
  crossDecryptWith: string;
  /** oldest first */
  releases: VectorIndexRelease[];
  totals: { releases: number; vectors: number; encryptedAndDecrypted: number };
}

/** vectors/index.json: one entry per vectors/sops-<ver>/ directory. */
export function loadIndex(): VectorIndex {
  return JSON.parse(readFileSync(join(VECTORS_DIR, 'index.json'), 'utf8')) as VectorIndex;
}

/** The sops releases that have reference vectors (from vectors/index.json), oldest first. */
export function listReleases(): string[] {
  return loadIndex().releases.map((r) => r.version);
}

/** The manifest of vectors/sops-<version>/. */
export function loadManifest(version: string = DEFAULT_SOPS_VERSION): VectorManifest {
  const p = join(VECTORS_DIR, `sops-${version}`, 'manifest.json');
  return JSON.parse(readFileSync(p, 'utf8')) as VectorManifest;
}

/** Absolute path of a manifest path (manifest paths are relative to vectors/). */
export function vectorPath(rel: string): string {
  return join(VECTORS_DIR, rel);
}

/** Read a file named in the manifest. */
export function readVector(rel: string): Buffer {
  return readFileSync(vectorPath(rel));
}
