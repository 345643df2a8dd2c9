/**
 * PGP master keys through the `gpg` binary, run exactly as sops 3.13 runs it
 * (`pgp/keysource.go`, `encryptWithGnuPG`/`decryptWithGnuPG`/`gpgExec`):
 *
 * - encrypt: `gpg [--homedir H] --no-default-recipient --yes --encrypt -a
 *   -r <fp> --trusted-key <last 16 of fp> --no-encrypt-to`, the data key on
 *   stdin, the ASCII-armored message on stdout (trimmed);
 * - decrypt: `gpg [--homedir H] -d`, the armored message on stdin, the data
 *   key on stdout.
 *
 * The binary is `SOPS_GPG_EXEC` when set and non-empty, taken whole (sops
 * does not split it: `"gpg --verbose"` is a file name that does not exist),
 * else `gpg` from `PATH`. gpg runs with the given environment, so it finds its
 * home in `GNUPGHOME` (or `~/.gnupg`) itself; `--homedir` is passed only when
 * a home is given explicitly (sops's `GnuPGHome.ApplyToMasterKey`).
 *
 * sops first tries an in-process OpenPGP implementation (go-crypto) on the
 * GnuPG 1.x keyring files `secring.gpg`/`pubring.gpg` in the GnuPG home, and
 * calls gpg only when that fails. GnuPG ≥ 2.1 keeps keys in `pubring.kbx` and
 * `private-keys-v1.d`, which go-crypto cannot read, so with a modern gpg the
 * in-process attempt always fails and gpg does the work. sops-ts does not
 * re-implement that legacy path (gpg reads its own legacy keyrings too); it
 * reproduces sops's error text, including go-crypto's part where that part is
 * knowable without go-crypto (the legacy keyring file does not exist, the
 * common case), and leaves it out otherwise.
 *
 * The data key travels only through stdin and stdout, never on argv.
 *
 * @module
 */
import { childProcess } from './builtins.js';
import { lstatSync, openSync, closeSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { MasterKeyIdentity, MasterKeyRecipient } from '../keysource.js';
import type { PgpStoredKey, StoredKey } from '../metadata.js';
import { formatRfc3339Utc } from '../time.js';
import { goFsError, type Env } from './age-keys.js';

/** The environment variable naming the gpg binary (sops `SopsGpgExecEnv`). */
export const SOPS_GPG_EXEC = 'SOPS_GPG_EXEC';

/** Options shared by {@link GpgRecipient} and {@link GpgIdentity}. */
export interface GpgOptions {
  /**
   * The environment gpg runs with and `SOPS_GPG_EXEC`/`GNUPGHOME`/`PATH` are
   * read from. Default: `process.env`.
   */
  env?: Env;
  /**
   * An explicit GnuPG home, passed as `--homedir` (sops's `GnuPGHome` option
   * of its library and key service). Default: none; gpg uses `GNUPGHOME` or
   * `~/.gnupg`.
   */
  homedir?: string;
}

/**
 * The fingerprint as sops keeps it (`NewMasterKeyFromFingerprint`): spaces
 * removed, case kept (sops writes `fp` exactly as given on `--pgp`).
 *
 * @example
 * ```ts
 * normalizeFingerprint('4AF4 81B5 CA39 447F'); // '4AF481B5CA39447F'
 * ```
 */
export function normalizeFingerprint(fingerprint: string): string {
  return fingerprint.replaceAll(' ', '');
}

/**
 * The short key ID sops passes to `--trusted-key` (`shortenFingerprint`): the
 * last 16 characters, or the last 16 hex digits plus `!` when the
 * fingerprint ends with `!` (getsops/sops#1365).
 *
 * @example
 * ```ts
 * shortenFingerprint('4AF481B5CA39447FCB8252021D2FBA17DBE4FEC0'); // '1D2FBA17DBE4FEC0'
 * ```
 */
export function shortenFingerprint(fingerprint: string): string {
  let offset = fingerprint.length - 16;
  if (fingerprint.endsWith('!')) offset -= 1;
  return offset > 0 ? fingerprint.slice(offset) : fingerprint;
}

/**
 * The GnuPG home sops's in-process attempt looks in (`gnuPGHome`): the
 * explicit home, else `GNUPGHOME`, else the passwd home directory of the
 * current user (Go `user.Current()`, not `$HOME`), else `$HOME`, plus
 * `.gnupg`. (gpg itself, without `GNUPGHOME`, uses `$HOME/.gnupg`; sops's
 * error texts show the former.)
 *
 * @example
 * ```ts
 * gnuPGHome({ GNUPGHOME: '/tmp/gnupg' }); // '/tmp/gnupg'
 * ```
 */
export function gnuPGHome(env: Env, homedir?: string): string {
  if (homedir) return homedir;
  const dir = env['GNUPGHOME'];
  if (dir) return dir;
  try {
    return join(userInfo().homedir, '.gnupg');
  } catch {
    return join(env['HOME'] ?? '', '.gnupg');
  }
}

function exists(path: string): boolean {
  try {
    closeSync(openSync(path, 'r'));
    return true;
  } catch {
    return false;
  }
}

/**
 * go-crypto's part of sops's decrypt error, when it is knowable without
 * go-crypto: sops loads `secring.gpg`, or `pubring.gpg` when there is no
 * `secring.gpg`. `undefined` when one of them exists (sops would have parsed
 * it; sops-ts leaves gpg to do so).
 */
function legacyDecryptError(home: string): string | undefined {
  const sec = join(home, 'secring.gpg');
  try {
    lstatSync(sec);
    return undefined;
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') return `could not load secring: ${goFsError('lstat', sec, e)}`;
  }
  const pub = join(home, 'pubring.gpg');
  try {
    closeSync(openSync(pub, 'r'));
    return undefined;
  } catch (e) {
    return `could not load secring: ${goFsError('open', pub, e)}`;
  }
}

/** sops's `errSet` text: each attempt's error, joined with `; `. */
function attempts(goCrypto: string | undefined, gnupg: string): string {
  const parts: string[] = [];
  if (goCrypto !== undefined) parts.push(`github.com/ProtonMail/go-crypto/openpgp error: ${goCrypto}`);
  parts.push(`GnuPG binary error: ${gnupg}`);
  return parts.join('; ');
}

interface GpgResult {
  ok: boolean;
  stdout: Buffer;
  stderr: string;
}

/**
 * Run gpg as sops's `gpgExec` does: `--homedir` first when given, the
 * binary from `SOPS_GPG_EXEC`, no shell, `input` on stdin. A binary that
 * cannot be started is a failure with empty stderr, as in Go.
 */
function gpgExec(args: readonly string[], input: Uint8Array | string, options: GpgOptions): Promise<GpgResult> {
  const env = options.env ?? process.env;
  const bin = env[SOPS_GPG_EXEC] || 'gpg';
  const argv = options.homedir ? ['--homedir', options.homedir, ...args] : [...args];
  return new Promise((resolve) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let done = false;
    const finish = (ok: boolean) => {
      if (done) return;
      done = true;
      resolve({ ok, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') });
    };
    let child;
    try {
      child = childProcess().spawn(bin, argv, { env: env as NodeJS.ProcessEnv, stdio: ['pipe', 'pipe', 'pipe'] });
    } catch {
      finish(false);
      return;
    }
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', () => finish(false));
    child.on('close', (code) => finish(code === 0));
    // gpg may exit before reading all of stdin (EPIPE): its exit status decides.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** Options of {@link GpgRecipient}. */
export interface GpgRecipientOptions extends GpgOptions {
  /** @internal A fixed clock for `created_at`, for tests. Default: now. */
  now?: () => Date;
}

/**
 * Wraps data keys for one PGP key with the gpg binary (sops `--pgp <fp>`).
 * The key must be in gpg's keyring; `name` and the stored `fp` are the
 * fingerprint as given, spaces removed.
 *
 * @example
 * ```ts
 * const r = new GpgRecipient('4AF481B5CA39447FCB8252021D2FBA17DBE4FEC0', { env: process.env });
 * const enc = await encrypt(text, { format: 'yaml', recipients: [r] });
 * ```
 */
export class GpgRecipient implements MasterKeyRecipient {
  readonly type = 'pgp' as const;
  readonly name: string;
  readonly #options: GpgRecipientOptions;
  constructor(fingerprint: string, options: GpgRecipientOptions = {}) {
    this.name = normalizeFingerprint(fingerprint);
    this.#options = options;
  }
  /**
   * Encrypt `dataKey` with gpg. Throws sops's `could not encrypt data key
   * with PGP key: …` with gpg's stderr when gpg fails.
   */
  async wrap(dataKey: Uint8Array): Promise<PgpStoredKey> {
    const fp = this.name;
    // sops stamps created_at with Go's time.RFC3339 in UTC: whole seconds, `Z`.
    const createdAt = formatRfc3339Utc(this.#options.now?.() ?? new Date());
    const args = ['--no-default-recipient', '--yes', '--encrypt', '-a', '-r', fp, '--trusted-key', shortenFingerprint(fp), '--no-encrypt-to'];
    const r = await gpgExec(args, dataKey, this.#options);
    if (!r.ok) {
      const env = this.#options.env ?? process.env;
      // go-crypto looks the fingerprint up in pubring.gpg and gives the same
      // text whether the file is missing or lacks the key.
      const goCrypto = exists(join(gnuPGHome(env, this.#options.homedir), 'pubring.gpg'))
        ? undefined
        : `key with fingerprint '${fp}' is not available in keyring`;
      throw new Error(`could not encrypt data key with PGP key: ${attempts(goCrypto, `failed to encrypt sops data key with pgp: ${r.stderr.trim()}`)}`);
    }
    return { type: 'pgp', fp, createdAt, enc: r.stdout.toString('utf8').trim() };
  }
}

/**
 * Unwraps PGP-wrapped data keys with the gpg binary (`gpg -d`), whatever key
 * gpg finds for the message: like sops, it tries every `pgp` entry, and a
 * failure is reported with sops's text and gpg's stderr (e.g.
 * `gpg: decryption failed: No secret key`).
 *
 * @example
 * ```ts
 * const yaml = await decrypt(enc, { format: 'yaml', identities: [new GpgIdentity({ env: process.env })] });
 * ```
 */
export class GpgIdentity implements MasterKeyIdentity {
  readonly #options: GpgOptions;
  constructor(options: GpgOptions = {}) {
    this.#options = options;
  }
  async unwrap(key: StoredKey): Promise<Uint8Array | null> {
    if (key.type !== 'pgp') return null;
    const r = await gpgExec(['-d'], key.enc, this.#options);
    let gnupg: string | undefined;
    if (!r.ok) gnupg = `failed to decrypt sops data key with pgp: ${r.stderr.trim()}`;
    // An old gpg that drops an AEAD packet it cannot read exits 0 with no
    // output (getsops/sops#896): sops reports that instead of an empty key.
    else if (r.stdout.length === 0) gnupg = 'failed to decrypt sops data key with pgp: zero bytes returned';
    if (gnupg === undefined) return new Uint8Array(r.stdout);
    const env = this.#options.env ?? process.env;
    throw new Error(`could not decrypt data key with PGP key: ${attempts(legacyDecryptError(gnuPGHome(env, this.#options.homedir)), gnupg)}`);
  }
}
