/**
 * Azure Key Vault master keys (sops `azkv/keysource.go`): the data key is
 * sent to Key Vault's `encrypt` operation (not `wrapkey`: sops needs the
 * `keys/encrypt` permission) with the algorithm `RSA-OAEP-256`, and the
 * returned ciphertext is stored in the `azure_kv:` entry's `enc` as
 * **unpadded base64url** (Go `base64.RawURLEncoding`), unlike every other
 * key kind, which uses padded standard base64.
 *
 * I/O-free and SDK-free: the Key Vault calls go through an
 * {@link AzureKvClient} (encrypt, decrypt, and the key lookup that resolves
 * a missing version). The Node default client (Key Vault REST over `fetch`,
 * tokens from `@azure/identity`'s `DefaultAzureCredential`, as sops uses
 * azidentity's) is `sops-ts/node`'s `createAzureKvClient`
 * (`node/azure-kv.ts`); any other client fits, e.g. one on
 * `@azure/keyvault-keys`' `CryptographyClient`.
 *
 * @module
 */
import { SopsError } from '../errors.js';
import { goQuote } from '../gofmt.js';
import type { MasterKeyIdentity, MasterKeyRecipient } from '../keysource.js';
import type { AzureKvStoredKey, StoredKey } from '../metadata.js';
import { formatRfc3339Utc } from '../time.js';

/** The algorithm sops asks Key Vault for, for encrypt and decrypt alike (`azkeys.EncryptionAlgorithmRSAOAEP256`). */
export const AZURE_KV_ALGORITHM = 'RSA-OAEP-256';

/**
 * sops's `NewMasterKeyFromURL` pattern: an `https://` vault URL (any host,
 * port allowed), `/keys/`, a key name, then an optional `/version` (which
 * may be empty: `…/keys/name/` has no version).
 */
const AZURE_KV_URL_RE = /^(https:\/\/[^/]+)\/keys\/([^/]+)(\/[^/]*)?$/;

/** Go `unicode.IsSpace`, which `strings.TrimSpace` trims (JS `trim` also trims U+FEFF and keeps U+0085). */
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const GO_TRIM_RE = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');

/** An Azure Key Vault key: what a {@link AzureKvClient} call is about. */
export interface AzureKvKeyReference {
  /** The vault URL, e.g. `https://myvault.vault.azure.net` (as given: no trailing `/` from a key URL). */
  vaultUrl: string;
  /** The key's name in the vault. */
  name: string;
  /** The key's version; `''` means the latest (Key Vault's own default). */
  version: string;
}

/** Input of {@link AzureKvClient.encrypt} / {@link AzureKvClient.decrypt} (Key Vault `KeyOperationParameters`). */
export interface AzureKvOperationInput {
  /** Always {@link AZURE_KV_ALGORITHM}, as sops sends it. */
  algorithm: typeof AZURE_KV_ALGORITHM;
  /** The data key (encrypt) or the ciphertext (decrypt). */
  value: Uint8Array;
}

/**
 * The Key Vault operations sops uses. A client throws on failure; the
 * message is reported after sops's prefix (`failed to encrypt sops data key
 * with Azure Key Vault key '…': …`).
 */
export interface AzureKvClient {
  /** Key Vault `encrypt` (`POST {vault}/keys/{name}/{version}/encrypt`): returns the ciphertext. */
  encrypt(key: AzureKvKeyReference, input: AzureKvOperationInput): Promise<Uint8Array>;
  /** Key Vault `decrypt` (`POST {vault}/keys/{name}/{version}/decrypt`): returns the plaintext. */
  decrypt(key: AzureKvKeyReference, input: AzureKvOperationInput): Promise<Uint8Array>;
  /**
   * Key Vault `get key` (`GET {vault}/keys/{name}/{version}`): the version
   * named by the returned key id (`kid`). Used to pin a key given without a
   * version, as sops does before encrypting. Optional: a client without it
   * cannot take keys without a version.
   */
  getKeyVersion?(key: AzureKvKeyReference): Promise<string>;
}

/**
 * The display string of an Azure Key Vault key (sops `MasterKey.ToString()`):
 * `{vaultUrl}/keys/{name}/{version}`, used in error reports and to match
 * `--rm-azure-kv`.
 */
export function azureKvKeyString(key: AzureKvKeyReference): string {
  return `${key.vaultUrl}/keys/${key.name}/${key.version}`;
}

/**
 * Parse one Azure Key Vault key URL as sops does (`NewMasterKeyFromURL`):
 * Go-whitespace trimmed, then `https://HOST/keys/NAME[/VERSION]`. Throws
 * sops's `could not parse "<url>" into a valid Azure Key Vault MasterKey []`
 * otherwise. The version may be `''`; sops then looks the latest one up
 * (see {@link resolveAzureKvVersion}).
 *
 * @example
 * ```ts
 * parseAzureKvUrl('https://v.vault.azure.net/keys/sops/0123abcd');
 * // { vaultUrl: 'https://v.vault.azure.net', name: 'sops', version: '0123abcd' }
 * ```
 */
export function parseAzureKvUrl(url: string): AzureKvKeyReference {
  const s = url.replace(GO_TRIM_RE, '');
  const m = AZURE_KV_URL_RE.exec(s);
  // Go prints the nil match slice with %v: `[]`.
  if (m === null) throw new SopsError('ERR_INVALID_KEY', `could not parse ${goQuote(s)} into a valid Azure Key Vault MasterKey []`, { exitCode: 1 });
  const v = m[3] ?? '';
  return { vaultUrl: m[1]!, name: m[2]!, version: v.length > 1 ? v.slice(1) : '' };
}

/**
 * Parse a comma-separated `--azure-kv` / `SOPS_AZURE_KEYVAULT_URLS` /
 * `.sops.yaml` `azure_keyvault:` list (sops `MasterKeysFromURLs`): `''` gives
 * no keys, otherwise every entry must parse (no entry is skipped; an empty
 * one fails).
 */
export function parseAzureKvUrls(list: string): AzureKvKeyReference[] {
  if (list === '') return [];
  return list.split(',').map(parseAzureKvUrl);
}

/**
 * Pin a key's version as sops does (`ensureKeyHasVersion`): a key with a
 * version is returned as it is; one without is looked up with Key Vault's
 * get-key and takes the version of the returned `kid`. Errors are sops's
 * `failed to fetch Azure Key to retrieve key version: …`.
 *
 * sops does this when it reads the key (`--azure-kv`, `.sops.yaml`,
 * `--add-azure-kv`, `--rm-azure-kv`), before anything is encrypted, so the
 * stored `version` is never empty.
 */
export async function resolveAzureKvVersion(key: AzureKvKeyReference, client: AzureKvClient): Promise<AzureKvKeyReference> {
  if (key.version !== '') return { ...key };
  if (typeof client.getKeyVersion !== 'function') {
    throw new Error('failed to fetch Azure Key to retrieve key version: this AzureKvClient has no getKeyVersion');
  }
  let version: string;
  try {
    version = await client.getKeyVersion(key);
  } catch (e) {
    throw new Error(`failed to fetch Azure Key to retrieve key version: ${errorText(e)}`, { cause: e });
  }
  return { ...key, version };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Go `base64.RawURLEncoding.EncodeToString`: URL alphabet, no padding. */
export function base64RawUrlEncode(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]! + B64URL[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += B64URL[n >> 18]! + B64URL[(n >> 12) & 63]! + B64URL[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Go `base64.RawURLEncoding.DecodeString` (not strict: non-zero trailing
 * bits accepted; `\r`/`\n` skipped; `=` is an invalid character), returning
 * the bytes or the offset of Go's `illegal base64 data at input byte N`,
 * following Go's `decodeQuantum` with `NoPadding`.
 */
export function base64RawUrlDecode(s: string): Uint8Array | number {
  const src = new TextEncoder().encode(s);
  const out: number[] = [];
  let si = 0;
  for (;;) {
    const dbuf = [0, 0, 0, 0];
    let dlen = 4;
    for (let j = 0; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Uint8Array.from(out);
        if (j === 1) return si - j;
        dlen = j;
        break;
      }
      const c = src[si++]!;
      const v = c < 128 ? B64URL.indexOf(String.fromCharCode(c)) : -1;
      if (v >= 0) {
        dbuf[j] = v;
        continue;
      }
      if (c === 10 || c === 13) {
        j--;
        continue;
      }
      return si - 1;
    }
    const val = (dbuf[0]! << 18) | (dbuf[1]! << 12) | (dbuf[2]! << 6) | dbuf[3]!;
    out.push(...[(val >> 16) & 255, (val >> 8) & 255, val & 255].slice(0, dlen - 1));
    if (dlen < 4) return Uint8Array.from(out);
  }
}

/** Options of {@link AzureKvRecipient}. */
export interface AzureKvRecipientOptions {
  /**
   * The entry's `created_at`. Default: now. sops keeps a key's creation
   * date when it re-wraps a data key for it (rotate, updatekeys).
   * @internal also a fixed clock for tests
   */
  createdAt?: Date | string;
}

/**
 * Wraps data keys with one Azure Key Vault key (sops `MasterKey.Encrypt`):
 * Key Vault `encrypt` with `RSA-OAEP-256`; `enc` is the ciphertext in
 * unpadded base64url. A key without a version is pinned to the latest one
 * on the first wrap (sops pins it when it reads the key; use
 * {@link AzureKvRecipient.fromUrl} to fail as early as sops does).
 *
 * @example
 * ```ts
 * const recipient = await AzureKvRecipient.fromUrl('https://v.vault.azure.net/keys/sops/0123abcd', client);
 * await encrypt(text, { format: 'yaml', recipients: [recipient] });
 * ```
 */
export class AzureKvRecipient implements MasterKeyRecipient {
  readonly type = 'azure_kv' as const;
  readonly vaultUrl: string;
  readonly keyName: string;
  #version: string;
  readonly #client: AzureKvClient;
  readonly #createdAt: Date | string | undefined;

  /**
   * A recipient for `key` as given: no URL parsing and no trimming, as sops's
   * `.sops.yaml` `key_groups` form (`vaultUrl`, `key`, `version`) is taken.
   */
  constructor(key: { vaultUrl: string; name: string; version?: string }, client: AzureKvClient, options: AzureKvRecipientOptions = {}) {
    if (typeof key?.vaultUrl !== 'string' || typeof key.name !== 'string') throw new TypeError('key must be { vaultUrl: string, name: string, version?: string }');
    if (client === null || typeof client !== 'object' || typeof client.encrypt !== 'function') throw new TypeError('client must be an AzureKvClient ({ encrypt, decrypt, getKeyVersion? })');
    this.vaultUrl = key.vaultUrl;
    this.keyName = key.name;
    this.#version = key.version ?? '';
    this.#client = client;
    this.#createdAt = options.createdAt;
  }

  /**
   * A recipient for an `--azure-kv` URL, its version pinned first as sops
   * does (`NewMasterKeyFromURL`): throws sops's parse error or
   * `failed to fetch Azure Key to retrieve key version: …`.
   */
  static async fromUrl(url: string, client: AzureKvClient, options: AzureKvRecipientOptions = {}): Promise<AzureKvRecipient> {
    const key = await resolveAzureKvVersion(parseAzureKvUrl(url), client);
    return new AzureKvRecipient(key, client, options);
  }

  /**
   * The recipient that re-wraps a data key for a stored `azure_kv:` entry
   * (rotate, updatekeys): same key and version, and the entry's
   * `created_at` kept.
   */
  static fromStoredKey(key: AzureKvStoredKey, client: AzureKvClient): AzureKvRecipient {
    return new AzureKvRecipient(key, client, { createdAt: key.createdAt });
  }

  /** The key's version (`''` until a key given without one is pinned). */
  get version(): string {
    return this.#version;
  }

  /** sops's `ToString()`: `{vaultUrl}/keys/{name}/{version}`. */
  get name(): string {
    return azureKvKeyString(this.#ref());
  }

  #ref(): AzureKvKeyReference {
    return { vaultUrl: this.vaultUrl, name: this.keyName, version: this.#version };
  }

  async wrap(dataKey: Uint8Array): Promise<AzureKvStoredKey> {
    if (this.#version === '') this.#version = (await resolveAzureKvVersion(this.#ref(), this.#client)).version;
    const ref = this.#ref();
    let out: Uint8Array;
    try {
      out = await this.#client.encrypt(ref, { algorithm: AZURE_KV_ALGORITHM, value: dataKey });
    } catch (e) {
      throw new Error(`failed to encrypt sops data key with Azure Key Vault key '${azureKvKeyString(ref)}': ${errorText(e)}`, { cause: e });
    }
    if (!(out instanceof Uint8Array)) throw new Error(`failed to encrypt sops data key with Azure Key Vault key '${azureKvKeyString(ref)}': the response has no result`);
    const createdAt = this.#createdAt === undefined ? formatRfc3339Utc(new Date()) : typeof this.#createdAt === 'string' ? this.#createdAt : formatRfc3339Utc(this.#createdAt);
    return { type: 'azure_kv', vaultUrl: ref.vaultUrl, name: ref.name, version: ref.version, createdAt, enc: base64RawUrlEncode(out) };
  }
}

/**
 * Unwraps Azure Key Vault-wrapped data keys (sops `MasterKey.Decrypt`):
 * the stored `enc` base64url-decoded, then Key Vault `decrypt` with
 * `RSA-OAEP-256` under the entry's vault, name and version. Handles every
 * `azure_kv:` entry (sops tries each with the ambient credentials); returns
 * `null` for other kinds.
 *
 * @example
 * ```ts
 * const text = await decrypt(enc, { format: 'yaml', identities: [new AzureKvIdentity(client)] });
 * ```
 */
export class AzureKvIdentity implements MasterKeyIdentity {
  readonly #client: AzureKvClient;
  constructor(client: AzureKvClient) {
    if (client === null || typeof client !== 'object' || typeof client.decrypt !== 'function') throw new TypeError('client must be an AzureKvClient ({ encrypt, decrypt, getKeyVersion? })');
    this.#client = client;
  }

  async unwrap(key: StoredKey): Promise<Uint8Array | null> {
    if (key.type !== 'azure_kv') return null;
    const blob = base64RawUrlDecode(key.enc);
    if (typeof blob === 'number') throw new Error(`failed to base64 decode Azure Key Vault encrypted key: illegal base64 data at input byte ${blob}`);
    const ref: AzureKvKeyReference = { vaultUrl: key.vaultUrl, name: key.name, version: key.version };
    let out: Uint8Array;
    try {
      out = await this.#client.decrypt(ref, { algorithm: AZURE_KV_ALGORITHM, value: blob });
    } catch (e) {
      throw new Error(`failed to decrypt sops data key with Azure Key Vault key '${azureKvKeyString(ref)}': ${errorText(e)}`, { cause: e });
    }
    if (!(out instanceof Uint8Array)) throw new Error(`failed to decrypt sops data key with Azure Key Vault key '${azureKvKeyString(ref)}': the response has no result`);
    return Uint8Array.from(out);
  }
}
