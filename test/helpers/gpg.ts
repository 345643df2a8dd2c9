// Throw-away GnuPG homes for tests: keys generated at test time, never the user's keyring.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';

/** Whether `gpg` runs; when it does not, tests skip visibly (or fail under SOPS_TS_REQUIRE_SOPS=1). */
export function requireGpg(): boolean {
  const r = spawnSync('gpg', ['--version'], { encoding: 'utf8' });
  if (r.status === 0) return true;
  if (process.env.SOPS_TS_REQUIRE_SOPS === '1') throw new Error('[sops-ts] gpg is not installed (SOPS_TS_REQUIRE_SOPS=1)');
  console.warn('[sops-ts] gpg tests SKIPPED: gpg is not installed');
  return false;
}

/**
 * A new, empty GnuPG home under /tmp (short: gpg-agent's socket path has a
 * length limit), mode 0700 as gpg wants.
 */
export function makeGnuPGHome(): string {
  const dir = mkdtempSync('/tmp/sg-');
  chmodSync(dir, 0o700);
  return dir;
}

export interface GpgRun {
  code: number;
  stdout: Buffer;
  stderr: string;
}

/** Run gpg in `home` with a clean environment (batch mode is up to the caller). */
export function gpg(home: string, args: readonly string[], input?: string | Uint8Array): GpgRun {
  const r = spawnSync('gpg', [...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GNUPGHOME: home },
    ...(input !== undefined ? { input } : {}),
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

function ok(r: GpgRun, what: string): GpgRun {
  if (r.code !== 0) throw new Error(`gpg ${what} failed: ${r.stderr}`);
  return r;
}

function passArgs(passphrase: string): string[] {
  return ['--batch', '--pinentry-mode', 'loopback', '--passphrase', passphrase];
}

/**
 * Generate a key as users do with `--quick-gen-key`: `ed25519` is a
 * certification-only primary key plus a `cv25519` encryption subkey (added
 * with `--quick-add-key`), so messages name the subkey; `rsa3072` is one
 * RSA key that certifies and encrypts, so messages name the primary key (one
 * RSA key generation instead of two keeps the tests fast). Returns the
 * primary fingerprint.
 */
export function generateKey(home: string, uid: string, kind: 'ed25519' | 'rsa3072', passphrase = ''): string {
  const usage = kind === 'ed25519' ? 'cert' : 'cert,encr';
  const r = ok(gpg(home, [...passArgs(passphrase), '--status-fd', '1', '--quick-gen-key', uid, kind, usage, 'never'], ''), 'quick-gen-key');
  const m = /KEY_CREATED P ([0-9A-F]{40})/.exec(r.stdout.toString('utf8'));
  if (!m) throw new Error(`no KEY_CREATED in gpg output: ${r.stdout.toString('utf8')}`);
  const fpr = m[1]!;
  if (kind === 'ed25519') ok(gpg(home, [...passArgs(passphrase), '--quick-add-key', fpr, 'cv25519', 'encr', 'never'], ''), 'quick-add-key');
  return fpr;
}

/** `gpg --export --armor <fpr>`. */
export function exportPublicKey(home: string, fpr: string): string {
  return ok(gpg(home, ['--batch', '--export', '--armor', fpr]), 'export').stdout.toString('utf8');
}

/** `gpg --export-secret-keys --armor <fpr>` (the passphrase unlocks the export of a protected key). */
export function exportSecretKey(home: string, fpr: string, passphrase = ''): string {
  return ok(gpg(home, [...passArgs(passphrase), '--export-secret-keys', '--armor', fpr]), 'export-secret-keys').stdout.toString('utf8');
}

/** Stop the gpg-agent started for `home`. */
export function killAgent(home: string): void {
  spawnSync('gpgconf', ['--kill', 'gpg-agent'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, GNUPGHOME: home } });
}
