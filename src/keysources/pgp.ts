/**
 * PGP master keys in process, through OpenPGP.js (`openpgp` v6, an optional
 * peer dependency loaded on first use), for browsers and embedding: the keys
 * are passed in armored, no gpg and no keyring involved. This module is its
 * own entry point (`sops-ts/pgp`); the main entry does not import it.
 *
 * What is stored is what sops stores for a `pgp` key: `fp`, the primary key's
 * fingerprint (upper-case hex, as gpg prints it and sops users pass it),
 * `created_at`, and `enc`, an ASCII-armored OpenPGP message whose literal
 * data is the raw data key. The message is encrypted to the key's current
 * encryption subkey (OpenPGP.js picks the newest valid one, as gpg does), so
 * gpg and sops decrypt it, and messages written by gpg or sops decrypt here.
 *
 * @module
 */
import type * as OpenPgp from 'openpgp';
import { SopsError } from '../errors.js';
import type { MasterKeyIdentity, MasterKeyRecipient } from '../keysource.js';
import type { PgpStoredKey, StoredKey } from '../metadata.js';
import { formatRfc3339Utc } from '../time.js';

let loading: Promise<typeof OpenPgp> | undefined;

/** Load `openpgp` once; a clear error when the optional peer dependency is missing. */
function openpgp(): Promise<typeof OpenPgp> {
  loading ??= import('openpgp').catch((e: unknown) => {
    loading = undefined;
    throw new Error('PGP keys in process need the optional peer dependency "openpgp" (v6): npm install openpgp', { cause: e });
  });
  return loading;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** sops's prefix for a PGP key that fails to unwrap (`pgp/keysource.go` `DecryptContext`). */
function decryptError(detail: string, cause?: unknown): Error {
  return new Error(`could not decrypt data key with PGP key: ${detail}`, cause === undefined ? {} : { cause });
}

/** A fingerprint for comparison: spaces removed, upper case. */
function fingerprintKey(fp: string): string {
  return fp.replaceAll(' ', '').toUpperCase();
}

/** Options of {@link PgpRecipient.fromArmored}. */
export interface PgpRecipientOptions {
  /** @internal A fixed clock for `created_at`, for tests. Default: now. */
  now?: () => Date;
}

/**
 * Wraps data keys for one OpenPGP public key, given armored (what
 * `gpg --export --armor <fp>` prints). Build it with {@link PgpRecipient.fromArmored}.
 *
 * @example
 * ```ts
 * import { PgpRecipient } from 'sops-ts/pgp';
 * const r = await PgpRecipient.fromArmored(publicKeyArmored);
 * const enc = await encrypt(text, { format: 'yaml', recipients: [r] });
 * ```
 */
export class PgpRecipient implements MasterKeyRecipient {
  readonly type = 'pgp' as const;
  /** The primary key's fingerprint, upper-case hex: the stored `fp`. */
  readonly name: string;
  readonly #key: OpenPgp.PublicKey;
  readonly #now: () => Date;

  private constructor(key: OpenPgp.PublicKey, options: PgpRecipientOptions) {
    this.#key = key;
    this.name = key.getFingerprint().toUpperCase();
    this.#now = options.now ?? (() => new Date());
  }

  /**
   * Parse an armored public key (a private key is accepted and only its
   * public part used). Throws `ERR_INVALID_KEY` if the text holds no key or
   * several, or the key has no valid encryption key (expired, revoked, or
   * certification-only like a bare `ed25519 cert` primary).
   */
  static async fromArmored(armoredKey: string, options: PgpRecipientOptions = {}): Promise<PgpRecipient> {
    if (typeof armoredKey !== 'string') throw new TypeError('armoredKey must be a string');
    const pgp = await openpgp();
    let keys: OpenPgp.Key[];
    try {
      keys = await pgp.readKeys({ armoredKeys: armoredKey });
    } catch (e) {
      throw new SopsError('ERR_INVALID_KEY', `could not read the PGP public key: ${message(e)}`, { cause: e });
    }
    if (keys.length !== 1) throw new SopsError('ERR_INVALID_KEY', `expected one PGP key, found ${keys.length}`);
    const key = keys[0]!.toPublic();
    try {
      await key.getEncryptionKey();
    } catch (e) {
      throw new SopsError('ERR_INVALID_KEY', `PGP key ${key.getFingerprint().toUpperCase()} cannot encrypt: ${message(e)}`, { cause: e });
    }
    return new PgpRecipient(key, options);
  }

  /** Encrypt `dataKey` to the key's encryption subkey; `enc` is the armored message, trimmed as sops trims gpg's output. */
  async wrap(dataKey: Uint8Array): Promise<PgpStoredKey> {
    const pgp = await openpgp();
    const createdAt = formatRfc3339Utc(this.#now());
    let armored: string;
    try {
      const msg = await pgp.createMessage({ binary: new Uint8Array(dataKey) });
      armored = await pgp.encrypt({ message: msg, encryptionKeys: this.#key, format: 'armored' });
    } catch (e) {
      throw new Error(`could not encrypt data key with PGP key: ${message(e)}`, { cause: e });
    }
    return { type: 'pgp', fp: this.name, createdAt, enc: armored.trim() };
  }
}

/** Where a private key's passphrase comes from: the text, or a function asked once per key (by fingerprint). */
export type PgpPassphrase = string | ((fingerprint: string) => string | Promise<string>);

/** Options of {@link PgpIdentity}. */
export interface PgpIdentityOptions {
  /** The passphrase of protected private keys. Default: none (protected keys fail with a clear error). */
  passphrase?: PgpPassphrase;
}

/**
 * Unwraps PGP-wrapped data keys with armored OpenPGP private keys (what
 * `gpg --export-secret-keys --armor` prints; several keys in one block or
 * several blocks).
 *
 * Which stored keys are its own: sops's `fp` is the primary key's
 * fingerprint while the message is encrypted to a subkey, and `fp` may be
 * anything gpg accepted on `--pgp` (lower case, a key ID, an e-mail). So a
 * key is claimed when the message names one of the held (sub)key IDs, or
 * names no recipient (anonymous, `--throw-keyids`), or when `fp` is a held
 * primary fingerprint; otherwise `unwrap` returns `null`. Protected keys are
 * unlocked only when a message needs them.
 *
 * @example
 * ```ts
 * import { PgpIdentity } from 'sops-ts/pgp';
 * const id = new PgpIdentity(privateKeyArmored, { passphrase: 'correct horse' });
 * const yaml = await decrypt(enc, { format: 'yaml', identities: [id] });
 * ```
 */
export class PgpIdentity implements MasterKeyIdentity {
  readonly #armored: readonly string[];
  readonly #passphrase: PgpPassphrase | undefined;
  #keys: Promise<OpenPgp.PrivateKey[]> | undefined;
  /** Unlocked copies, by primary fingerprint. */
  readonly #unlocked = new Map<string, Promise<OpenPgp.PrivateKey>>();

  constructor(armoredPrivateKeys: string | readonly string[], options: PgpIdentityOptions = {}) {
    const list = typeof armoredPrivateKeys === 'string' ? [armoredPrivateKeys] : [...armoredPrivateKeys];
    if (list.some((k) => typeof k !== 'string')) throw new TypeError('armoredPrivateKeys must be a string or an array of strings');
    this.#armored = list;
    this.#passphrase = options.passphrase;
  }

  /** The held keys, parsed once. */
  #load(): Promise<OpenPgp.PrivateKey[]> {
    this.#keys ??= (async () => {
      const pgp = await openpgp();
      const out: OpenPgp.PrivateKey[] = [];
      for (const a of this.#armored) {
        try {
          out.push(...(await pgp.readPrivateKeys({ armoredKeys: a })));
        } catch (e) {
          throw new SopsError('ERR_INVALID_KEY', `could not read the PGP private key: ${message(e)}`, { cause: e });
        }
      }
      return out;
    })();
    return this.#keys;
  }

  /** The key, decrypted with the passphrase when protected. */
  #unlock(key: OpenPgp.PrivateKey): Promise<OpenPgp.PrivateKey> {
    if (key.isDecrypted()) return Promise.resolve(key);
    const fp = key.getFingerprint().toUpperCase();
    let p = this.#unlocked.get(fp);
    if (p === undefined) {
      p = (async () => {
        const pgp = await openpgp();
        const source = this.#passphrase;
        if (source === undefined) throw decryptError(`private key ${fp} is protected by a passphrase and none was given`);
        const passphrase = typeof source === 'string' ? source : await source(fp);
        try {
          return await pgp.decryptKey({ privateKey: key, passphrase });
        } catch (e) {
          // OpenPGP.js says "Error decrypting private key: Incorrect key passphrase"; never the passphrase.
          throw decryptError(`private key ${fp}: ${message(e)}`, e);
        }
      })();
      // A wrong passphrase is not cached: the next file may be given another chance by a prompt.
      p.catch(() => this.#unlocked.delete(fp));
      this.#unlocked.set(fp, p);
    }
    return p;
  }

  async unwrap(stored: StoredKey): Promise<Uint8Array | null> {
    if (stored.type !== 'pgp') return null;
    const keys = await this.#load();
    if (keys.length === 0) return null;
    const pgp = await openpgp();
    const byFingerprint = keys.filter((k) => k.getFingerprint().toUpperCase() === fingerprintKey(stored.fp));
    let msg: OpenPgp.Message<string>;
    try {
      msg = await pgp.readMessage({ armoredMessage: stored.enc });
    } catch (e) {
      if (byFingerprint.length === 0) return null;
      throw decryptError(`armor decoding failed: ${message(e)}`, e);
    }
    const ids = msg.getEncryptionKeyIDs();
    const anonymous = ids.some((id) => /^0+$/.test(id.toHex()));
    const candidates = anonymous ? keys : keys.filter((k) => byFingerprint.includes(k) || k.getKeyIDs().some((kid) => ids.some((id) => id.equals(kid))));
    if (candidates.length === 0) return null;
    const unlocked: OpenPgp.PrivateKey[] = [];
    let lockError: unknown;
    for (const k of candidates) {
      try {
        unlocked.push(await this.#unlock(k));
      } catch (e) {
        lockError ??= e;
      }
    }
    if (unlocked.length === 0) throw lockError instanceof Error ? lockError : decryptError(message(lockError));
    let data: Uint8Array;
    try {
      const r = await pgp.decrypt({ message: msg, decryptionKeys: unlocked, format: 'binary' });
      data = r.data;
    } catch (e) {
      if (lockError instanceof Error) throw lockError;
      throw decryptError(`reading PGP message failed: ${message(e)}`, e);
    }
    // sops rejects an empty result (getsops/sops#896).
    if (data.length === 0) throw decryptError('zero bytes returned');
    return new Uint8Array(data);
  }
}
