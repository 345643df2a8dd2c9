/**
 * HuaweiCloud KMS master keys (sops 3.13 `hckms/keysource.go`): the data key
 * is sent, as standard base64 text, to the KMS `encrypt-data` API under a key
 * named `region:key-uuid`, and the returned `cipher_text` is stored verbatim
 * in the `hckms:` entry's `enc` (sops does not re-encode it).
 *
 * I/O-free and SDK-free: the KMS calls go through a {@link HcKmsClient}
 * whose inputs and outputs have the KMS API's fields (`key_id`,
 * `plain_text`, `cipher_text`, `encryption_algorithm`) plus the region that
 * picks the endpoint. The Node default client (the REST API over `fetch`
 * with the SDK's `SDK-HMAC-SHA256` AK/SK signature, credentials found as the
 * HuaweiCloud Go SDK finds them) is `sops-ts/node`'s `createHcKmsClient`
 * (`node/hckms.ts`).
 *
 * @module
 */
import { base64Encode } from '../encoding.js';
import { goQuote } from '../gofmt.js';
import type { MasterKeyIdentity, MasterKeyRecipient } from '../keysource.js';
import type { HcKmsStoredKey, StoredKey } from '../metadata.js';
import { formatRfc3339Utc } from '../time.js';
import { goBase64Decode } from './kms.js';

/** The only algorithm sops asks for (`SYMMETRIC_DEFAULT`: AES-256-GCM in KMS). */
export type HcKmsEncryptionAlgorithm = 'SYMMETRIC_DEFAULT';

/** KMS `EncryptData`, as sops sends it. */
export interface HcKmsEncryptInput {
  /** The region of the key ID (chooses the endpoint). */
  region: string;
  /** The key's UUID (`key_id` in the request body). */
  keyId: string;
  /** `plain_text`: sops sends the data key as standard base64 text. */
  plainText: string;
  /** `encryption_algorithm`. */
  encryptionAlgorithm: HcKmsEncryptionAlgorithm;
}

/** KMS `DecryptData`, as sops sends it. */
export interface HcKmsDecryptInput {
  /** The region of the key ID (chooses the endpoint). */
  region: string;
  /** The key's UUID (`key_id` in the request body). */
  keyId: string;
  /** `cipher_text`: the stored `enc`, as KMS returned it. */
  cipherText: string;
  /** `encryption_algorithm`. */
  encryptionAlgorithm: HcKmsEncryptionAlgorithm;
}

/**
 * The two KMS operations sops uses. A thrown {@link HcKmsClientError}
 * (credentials, unknown region) is reported as sops reports a client it
 * could not create (`failed to create HuaweiCloud KMS client: …`); any other
 * error after the operation's prefix (`failed to encrypt sops data key with
 * HuaweiCloud KMS: …`).
 */
export interface HcKmsClient {
  encryptData(input: HcKmsEncryptInput): Promise<{ cipherText?: string | undefined }>;
  decryptData(input: HcKmsDecryptInput): Promise<{ plainText?: string | undefined }>;
}

/** An error setting a KMS client up (credentials, region) rather than in the KMS call. */
export class HcKmsClientError extends Error {
  override name = 'HcKmsClientError';
}

/** Go's `unicode.IsSpace` set, which `strings.TrimSpace` trims (not JS's `trim()` set: no U+FEFF, with U+0085). */
const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const GO_TRIM_RE = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');

/** Go `strings.TrimSpace`. */
function goTrimSpace(s: string): string {
  return s.replace(GO_TRIM_RE, '');
}

/**
 * Split a `region:key-uuid` key ID as sops's `parseKeyID` does (at the first
 * `:`, both halves trimmed), throwing sops's texts: `invalid key ID format:
 * expected 'region:key-uuid', got "…"`, `region cannot be empty in key ID:
 * "…"`, `key UUID cannot be empty in key ID: "…"`.
 *
 * @example
 * ```ts
 * parseHcKmsKeyId('tr-west-1:4e1c…'); // { region: 'tr-west-1', keyUuid: '4e1c…' }
 * ```
 */
export function parseHcKmsKeyId(keyId: string): { region: string; keyUuid: string } {
  const trimmed = goTrimSpace(keyId);
  const i = trimmed.indexOf(':');
  if (i < 0) throw new Error(`invalid key ID format: expected 'region:key-uuid', got ${goQuote(trimmed)}`);
  const region = goTrimSpace(trimmed.slice(0, i));
  const keyUuid = goTrimSpace(trimmed.slice(i + 1));
  if (region === '') throw new Error(`region cannot be empty in key ID: ${goQuote(trimmed)}`);
  if (keyUuid === '') throw new Error(`key UUID cannot be empty in key ID: ${goQuote(trimmed)}`);
  return { region, keyUuid };
}

/**
 * Parse a comma-separated `--hckms` / `SOPS_HUAWEICLOUD_KMS_IDS` list, or a
 * `.sops.yaml` creation rule's `hckms:` list joined with `,` (sops
 * `NewMasterKeyFromKeyIDString`): `''` gives no keys; each entry is trimmed
 * (Go `TrimSpace`), empty entries are skipped, and every entry must be a
 * valid `region:key-uuid` (the first bad one throws sops's text, see
 * {@link parseHcKmsKeyId}). Unlike GCP KMS, sops checks HuaweiCloud key IDs
 * here, when the flag or config is read, not when KMS is called.
 *
 * The returned key IDs are the trimmed entries: what sops writes as `key_id`.
 *
 * @example
 * ```ts
 * parseHcKmsKeyIds('tr-west-1:1111, ap-southeast-1:2222,'); // ['tr-west-1:1111', 'ap-southeast-1:2222']
 * ```
 */
export function parseHcKmsKeyIds(list: string): string[] {
  if (list === '') return [];
  const out: string[] = [];
  for (const entry of list.split(',')) {
    const s = goTrimSpace(entry);
    if (s === '') continue;
    parseHcKmsKeyId(s);
    out.push(s);
  }
  return out;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Options of {@link HcKmsRecipient}. */
export interface HcKmsRecipientOptions {
  /**
   * The entry's `created_at`. Default: now. sops keeps a key's creation
   * date when it re-wraps a data key for it (rotate, updatekeys).
   * @internal also a fixed clock for tests
   */
  createdAt?: Date | string;
}

/**
 * Wraps data keys with one HuaweiCloud KMS key (sops `MasterKey.Encrypt`):
 * `EncryptData` with `key_id` = the key's UUID, `plain_text` = the data key
 * in standard base64 and `encryption_algorithm` = `SYMMETRIC_DEFAULT`; `enc`
 * is the returned `cipher_text` as it is.
 *
 * The key ID is checked when the recipient is made, as sops checks it when
 * it makes the master key (the texts of {@link parseHcKmsKeyId}).
 *
 * @example
 * ```ts
 * const recipient = new HcKmsRecipient('tr-west-1:0b8b7c1e-…', client);
 * await encrypt(text, { format: 'yaml', recipients: [recipient] });
 * ```
 */
export class HcKmsRecipient implements MasterKeyRecipient {
  readonly type = 'hckms' as const;
  /** sops's `ToString()`: the key ID as given (`region:key-uuid`). */
  readonly name: string;
  /** The key ID as given; sops writes it as `key_id`. */
  readonly keyId: string;
  /** The region part of the key ID. */
  readonly region: string;
  /** The UUID part of the key ID. */
  readonly keyUuid: string;
  readonly #client: HcKmsClient;
  readonly #createdAt: Date | string | undefined;

  /** `keyId` is kept as given (use {@link parseHcKmsKeyIds} for sops's list trimming). */
  constructor(keyId: string, client: HcKmsClient, options: HcKmsRecipientOptions = {}) {
    if (typeof keyId !== 'string') throw new TypeError('keyId must be a string');
    if (client === null || typeof client !== 'object' || typeof client.encryptData !== 'function') throw new TypeError('client must be a HcKmsClient ({ encryptData, decryptData })');
    const { region, keyUuid } = parseHcKmsKeyId(keyId);
    this.keyId = keyId;
    this.name = keyId;
    this.region = region;
    this.keyUuid = keyUuid;
    this.#client = client;
    this.#createdAt = options.createdAt;
  }

  /**
   * The recipient that re-wraps a data key for a stored `hckms:` entry
   * (rotate, updatekeys), keeping the entry's `created_at`.
   */
  static fromStoredKey(key: HcKmsStoredKey, client: HcKmsClient): HcKmsRecipient {
    return new HcKmsRecipient(key.keyId, client, { createdAt: key.createdAt });
  }

  async wrap(dataKey: Uint8Array): Promise<HcKmsStoredKey> {
    let out: { cipherText?: string | undefined };
    try {
      out = await this.#client.encryptData({ region: this.region, keyId: this.keyUuid, plainText: base64Encode(dataKey), encryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    } catch (e) {
      if (e instanceof HcKmsClientError) throw new Error(`failed to create HuaweiCloud KMS client: ${e.message}`, { cause: e });
      throw new Error(`failed to encrypt sops data key with HuaweiCloud KMS: ${errorText(e)}`, { cause: e });
    }
    if (typeof out?.cipherText !== 'string') throw new Error('encryption response missing ciphertext');
    const createdAt = this.#createdAt === undefined ? formatRfc3339Utc(new Date()) : typeof this.#createdAt === 'string' ? this.#createdAt : formatRfc3339Utc(this.#createdAt);
    return { type: 'hckms', keyId: this.keyId, createdAt, enc: out.cipherText };
  }
}

/**
 * Unwraps HuaweiCloud KMS-wrapped data keys (sops `MasterKey.Decrypt`):
 * `DecryptData` with `cipher_text` = the entry's `enc`, `key_id` = the UUID
 * of its key ID and `encryption_algorithm` = `SYMMETRIC_DEFAULT`; the
 * returned `plain_text` is decoded as standard base64. Handles every
 * `hckms:` entry; returns `null` for other kinds.
 *
 * Texts are sops's: `decryption response missing plaintext`, `failed to
 * base64 decode decrypted data key: illegal base64 data at input byte N`.
 *
 * @example
 * ```ts
 * const text = await decrypt(enc, { format: 'yaml', identities: [new HcKmsIdentity(client)] });
 * ```
 */
export class HcKmsIdentity implements MasterKeyIdentity {
  readonly #client: HcKmsClient;
  constructor(client: HcKmsClient) {
    if (client === null || typeof client !== 'object' || typeof client.decryptData !== 'function') throw new TypeError('client must be a HcKmsClient ({ encryptData, decryptData })');
    this.#client = client;
  }

  async unwrap(key: StoredKey): Promise<Uint8Array | null> {
    if (key.type !== 'hckms') return null;
    // sops rejects a bad key_id when it loads the file; here it is this key's error.
    const { region, keyUuid } = parseHcKmsKeyId(key.keyId);
    let out: { plainText?: string | undefined };
    try {
      out = await this.#client.decryptData({ region, keyId: keyUuid, cipherText: key.enc, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    } catch (e) {
      if (e instanceof HcKmsClientError) throw new Error(`failed to create HuaweiCloud KMS client: ${e.message}`, { cause: e });
      throw new Error(`failed to decrypt sops data key with HuaweiCloud KMS: ${errorText(e)}`, { cause: e });
    }
    if (typeof out?.plainText !== 'string') throw new Error('decryption response missing plaintext');
    const dataKey = goBase64Decode(out.plainText);
    if (typeof dataKey === 'number') throw new Error(`failed to base64 decode decrypted data key: illegal base64 data at input byte ${dataKey}`);
    return dataKey;
  }
}
