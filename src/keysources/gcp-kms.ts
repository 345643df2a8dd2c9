/**
 * GCP Cloud KMS master keys (sops `gcpkms/keysource.go`): the data key is
 * sent to Cloud KMS `Encrypt` under a CryptoKey resource ID
 * (`projects/P/locations/L/keyRings/R/cryptoKeys/K`) and the returned
 * ciphertext is stored in the `gcp_kms:` entry's `enc` as padded standard
 * base64 (sops keeps the encoding of its older, REST-based client).
 *
 * I/O-free and SDK-free: the KMS calls go through a {@link GcpKmsClient}
 * whose inputs and outputs have the Cloud KMS API's shapes (`name`,
 * `plaintext`, `ciphertext`), so `@google-cloud/kms`'s
 * `KeyManagementServiceClient` fits with a one-line adapter:
 *
 * ```ts
 * const kms = new KeyManagementServiceClient();
 * const client: GcpKmsClient = {
 *   encrypt: async (req) => { const [r] = await kms.encrypt(req); return { ciphertext: r.ciphertext as Uint8Array }; },
 *   decrypt: async (req) => { const [r] = await kms.decrypt(req); return { plaintext: r.plaintext as Uint8Array }; },
 * };
 * ```
 *
 * The Node default client (Cloud KMS REST over `fetch`, credentials found as
 * sops finds them) is `sops-ts/node`'s `createGcpKmsClient`
 * (`node/gcp-kms.ts`).
 *
 * @module
 */
import { base64Encode } from '../encoding.js';
import { goQuote } from '../gofmt.js';
import type { MasterKeyIdentity, MasterKeyRecipient } from '../keysource.js';
import type { GcpKmsStoredKey, StoredKey } from '../metadata.js';
import { formatRfc3339Utc } from '../time.js';
import { goBase64Decode } from './kms.js';

/** The resource IDs sops accepts (`newKMSClient`): a CryptoKey, not a key version. */
const RESOURCE_ID_RE = /^projects\/[^/]+\/locations\/[^/]+\/keyRings\/[^/]+\/cryptoKeys\/[^/]+$/;

/** Cloud KMS `EncryptRequest`, as sops sends it. */
export interface GcpKmsEncryptInput {
  /** The CryptoKey resource ID. */
  name: string;
  plaintext: Uint8Array;
}

/** Cloud KMS `DecryptRequest`, as sops sends it. */
export interface GcpKmsDecryptInput {
  /** The CryptoKey resource ID. */
  name: string;
  ciphertext: Uint8Array;
}

/**
 * The two Cloud KMS operations sops uses. A thrown {@link GcpKmsServiceError}
 * (credentials, client set-up) is reported as sops reports a client it could
 * not create (`cannot create GCP KMS service: …`); any other error after
 * the operation's prefix (`failed to encrypt sops data key with GCP KMS
 * key: …`).
 */
export interface GcpKmsClient {
  encrypt(input: GcpKmsEncryptInput): Promise<{ ciphertext?: Uint8Array | undefined }>;
  decrypt(input: GcpKmsDecryptInput): Promise<{ plaintext?: Uint8Array | undefined }>;
}

/** An error setting a Cloud KMS client up (credentials) rather than in the KMS call. */
export class GcpKmsServiceError extends Error {
  override name = 'GcpKmsServiceError';
}

/**
 * Check a resource ID as sops does before every call, throwing sops's
 * `cannot create GCP KMS service: no valid resource ID found in "<id>"`.
 */
export function checkGcpKmsResourceId(resourceId: string): void {
  if (!RESOURCE_ID_RE.test(resourceId)) throw new Error(`cannot create GCP KMS service: no valid resource ID found in ${goQuote(resourceId)}`);
}

/**
 * Parse a comma-separated `--gcp-kms` / `SOPS_GCP_KMS_IDS` / `.sops.yaml`
 * `gcp_kms:` list (sops `MasterKeysFromResourceIDString`): `''` gives no
 * keys; otherwise split on `,` with every space (only U+0020) removed from
 * each entry. Entries are not validated here: sops only checks them when it
 * calls KMS, so an empty or malformed entry fails at encryption time.
 *
 * @example
 * ```ts
 * parseGcpKmsResourceIds('projects/p/locations/global/keyRings/r/cryptoKeys/k');
 * // ['projects/p/locations/global/keyRings/r/cryptoKeys/k']
 * ```
 */
export function parseGcpKmsResourceIds(list: string): string[] {
  if (list === '') return [];
  return list.split(',').map((s) => s.replaceAll(' ', ''));
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Options of {@link GcpKmsRecipient}. */
export interface GcpKmsRecipientOptions {
  /**
   * The entry's `created_at`. Default: now. sops keeps a key's creation
   * date when it re-wraps a data key for it (rotate, updatekeys).
   * @internal also a fixed clock for tests
   */
  createdAt?: Date | string;
}

/**
 * Wraps data keys with one Cloud KMS CryptoKey (sops `MasterKey.Encrypt`):
 * `Encrypt` with `name` = the resource ID and the data key as `plaintext`;
 * `enc` is the ciphertext in standard base64.
 *
 * @example
 * ```ts
 * const recipient = new GcpKmsRecipient('projects/p/locations/global/keyRings/r/cryptoKeys/k', client);
 * await encrypt(text, { format: 'yaml', recipients: [recipient] });
 * ```
 */
export class GcpKmsRecipient implements MasterKeyRecipient {
  readonly type = 'gcp_kms' as const;
  /** sops's `ToString()`: the resource ID. */
  readonly name: string;
  readonly resourceId: string;
  readonly #client: GcpKmsClient;
  readonly #createdAt: Date | string | undefined;

  /** `resourceId` is taken as given (use {@link parseGcpKmsResourceIds} for sops's space removal). */
  constructor(resourceId: string, client: GcpKmsClient, options: GcpKmsRecipientOptions = {}) {
    if (typeof resourceId !== 'string') throw new TypeError('resourceId must be a string');
    if (client === null || typeof client !== 'object' || typeof client.encrypt !== 'function') throw new TypeError('client must be a GcpKmsClient ({ encrypt, decrypt })');
    this.resourceId = resourceId;
    this.name = resourceId;
    this.#client = client;
    this.#createdAt = options.createdAt;
  }

  /**
   * The recipient that re-wraps a data key for a stored `gcp_kms:` entry
   * (rotate, updatekeys), keeping the entry's `created_at`.
   */
  static fromStoredKey(key: GcpKmsStoredKey, client: GcpKmsClient): GcpKmsRecipient {
    return new GcpKmsRecipient(key.resourceId, client, { createdAt: key.createdAt });
  }

  async wrap(dataKey: Uint8Array): Promise<GcpKmsStoredKey> {
    checkGcpKmsResourceId(this.resourceId);
    let out: { ciphertext?: Uint8Array | undefined };
    try {
      out = await this.#client.encrypt({ name: this.resourceId, plaintext: dataKey });
    } catch (e) {
      if (e instanceof GcpKmsServiceError) throw new Error(`cannot create GCP KMS service: ${e.message}`, { cause: e });
      throw new Error(`failed to encrypt sops data key with GCP KMS key: ${errorText(e)}`, { cause: e });
    }
    // Go's protobuf gives an empty slice for an absent field: sops would store ''.
    const ciphertext = out?.ciphertext instanceof Uint8Array ? out.ciphertext : new Uint8Array(0);
    const createdAt = this.#createdAt === undefined ? formatRfc3339Utc(new Date()) : typeof this.#createdAt === 'string' ? this.#createdAt : formatRfc3339Utc(this.#createdAt);
    return { type: 'gcp_kms', resourceId: this.resourceId, createdAt, enc: base64Encode(ciphertext) };
  }
}

/**
 * Unwraps Cloud KMS-wrapped data keys (sops `MasterKey.Decrypt`): `Decrypt`
 * with `name` = the entry's resource ID and the base64-decoded `enc`.
 * Handles every `gcp_kms:` entry; returns `null` for other kinds.
 *
 * As in sops, the resource ID is checked before `enc` is decoded, and a
 * base64 error is reported bare (`illegal base64 data at input byte N`).
 *
 * @example
 * ```ts
 * const text = await decrypt(enc, { format: 'yaml', identities: [new GcpKmsIdentity(client)] });
 * ```
 */
export class GcpKmsIdentity implements MasterKeyIdentity {
  readonly #client: GcpKmsClient;
  constructor(client: GcpKmsClient) {
    if (client === null || typeof client !== 'object' || typeof client.decrypt !== 'function') throw new TypeError('client must be a GcpKmsClient ({ encrypt, decrypt })');
    this.#client = client;
  }

  async unwrap(key: StoredKey): Promise<Uint8Array | null> {
    if (key.type !== 'gcp_kms') return null;
    checkGcpKmsResourceId(key.resourceId);
    const blob = goBase64Decode(key.enc);
    if (typeof blob === 'number') throw new Error(`illegal base64 data at input byte ${blob}`);
    let out: { plaintext?: Uint8Array | undefined };
    try {
      out = await this.#client.decrypt({ name: key.resourceId, ciphertext: blob });
    } catch (e) {
      if (e instanceof GcpKmsServiceError) throw new Error(`cannot create GCP KMS service: ${e.message}`, { cause: e });
      throw new Error(`failed to decrypt sops data key with GCP KMS key: ${errorText(e)}`, { cause: e });
    }
    return out?.plaintext instanceof Uint8Array ? Uint8Array.from(out.plaintext) : new Uint8Array(0);
  }
}
