/**
 * AWS KMS master keys (sops `kms/keysource.go`): the data key is sent to
 * KMS `Encrypt` under a key ARN (optionally through an assumed IAM role, an
 * AWS shared-config profile and an encryption context) and the returned
 * ciphertext blob is stored base64-encoded in the `kms:` entry's `enc`.
 *
 * I/O-free and SDK-free: the KMS calls go through a {@link KmsClient}, a
 * two-method interface whose inputs and outputs have the AWS SDK's shapes,
 * so a browser or an embedder can pass any client, e.g.
 *
 * ```ts
 * const kms = new KMSClient({ region: 'eu-west-2' });
 * const client: KmsClient = {
 *   encrypt: (input) => kms.send(new EncryptCommand(input)),
 *   decrypt: (input) => kms.send(new DecryptCommand(input)),
 * };
 * ```
 *
 * The Node default client (credentials found as the AWS SDK finds them,
 * role assumption through STS, `aws_profile`) is `sops-ts/node`'s
 * `createAwsKmsClient` (`node/kms-aws.ts`).
 *
 * @module
 */
import { base64Encode } from '../encoding.js';
import { SopsError } from '../errors.js';
import type { MasterKeyIdentity, MasterKeyRecipient } from '../keysource.js';
import type { KmsStoredKey, StoredKey } from '../metadata.js';
import { formatRfc3339Utc } from '../time.js';

/**
 * The ARNs sops accepts (`arnRegex`): any AWS partition, a region (group 1,
 * used as the client's region), an account number, a `key/` or `alias/`.
 */
const ARN_RE = /^arn:aws[\w-]*:kms:(.+):[0-9]+:(key|alias)\/.+$/;

/** A KMS key as sops's CLI and `.sops.yaml` describe it, before wrapping. */
export interface KmsMasterKeySpec {
  /** The KMS key (or alias) ARN. */
  arn: string;
  /** An IAM role ARN to assume (STS `AssumeRole`) before calling KMS. Default: `''` (none). */
  role?: string;
  /**
   * The KMS encryption context. `null` values are Go nil pointers: sops
   * drops them from the request but writes them to the file. Default: none.
   */
  context?: Record<string, string | null> | undefined;
  /** The AWS shared-config profile the client uses. Default: `''` (the SDK's default). */
  awsProfile?: string;
}

/** Which master key a {@link KmsClient} call is for: what the client needs to configure itself. */
export interface KmsKeyContext {
  /** The key ARN (the `KeyId` of the request). */
  arn: string;
  /** The region of the ARN: sops sets the client's region from it, ignoring `AWS_REGION`. */
  region: string;
  /** The IAM role ARN to assume first, or `''`. */
  role: string;
  /** The AWS shared-config profile, or `''`. */
  awsProfile: string;
}

/** KMS `Encrypt` input, as sops sends it (AWS SDK shape). */
export interface KmsEncryptInput {
  KeyId: string;
  Plaintext: Uint8Array;
  /** Always present (empty when the key has no context), as sops's Go client sends it. */
  EncryptionContext: Record<string, string>;
}

/** KMS `Decrypt` input, as sops sends it (AWS SDK shape). */
export interface KmsDecryptInput {
  KeyId: string;
  CiphertextBlob: Uint8Array;
  /** Always present (empty when the key has no context). */
  EncryptionContext: Record<string, string>;
}

/**
 * The two KMS operations sops uses. Inputs and outputs have the AWS SDK's
 * shapes, so `(input) => kmsClient.send(new EncryptCommand(input))` fits.
 * The second argument says which key the call is for (region, role,
 * profile) for clients that configure themselves per key.
 *
 * Errors: the thrown error's `message` is reported after sops's prefix
 * (`failed to encrypt sops data key with AWS KMS: …`), except for a
 * {@link KmsConfigError}, reported as it is (sops's config and role
 * errors carry no prefix).
 */
export interface KmsClient {
  encrypt(input: KmsEncryptInput, key: KmsKeyContext): Promise<{ CiphertextBlob?: Uint8Array | undefined }>;
  decrypt(input: KmsDecryptInput, key: KmsKeyContext): Promise<{ Plaintext?: Uint8Array | undefined }>;
}

/**
 * An error setting a client up (loading the AWS config, assuming a role)
 * rather than in the KMS call itself. sops reports these without the
 * `failed to … sops data key with AWS KMS:` prefix, and so do
 * {@link KmsRecipient} and {@link KmsIdentity}.
 */
export class KmsConfigError extends Error {
  override name = 'KmsConfigError';
}

/**
 * The region of a KMS ARN (sops `createKMSConfig`), or throws sops's
 * `no valid ARN found in '<arn>'`.
 */
export function kmsArnRegion(arn: string): string {
  const m = ARN_RE.exec(arn);
  if (m === null) throw new KmsConfigError(`no valid ARN found in '${arn}'`);
  return m[1]!;
}

/**
 * Parse one `--kms` entry as sops does (`NewMasterKeyFromArn`): every space
 * removed, then `ARN+ROLE_ARN` split at the first `+arn:` (an ARN cannot
 * contain `:` after its path, so `+arn:` can only start a second ARN).
 *
 * @example
 * ```ts
 * parseKmsArn('arn:aws:kms:eu-west-2:111122223333:key/k+arn:aws:iam::111122223333:role/r');
 * // { arn: 'arn:aws:kms:…:key/k', role: 'arn:aws:iam::111122223333:role/r' }
 * ```
 */
export function parseKmsArn(entry: string): { arn: string; role: string } {
  const s = entry.replaceAll(' ', '');
  const i = s.indexOf('+arn:');
  // sops tests `roleIndex > 0`: a leading `+arn:` is part of the ARN.
  if (i > 0) return { arn: s.slice(0, i), role: s.slice(i + 1) };
  return { arn: s, role: '' };
}

/**
 * Parse a comma-separated `--kms` / `SOPS_KMS_ARN` / `.sops.yaml` `kms:`
 * list (sops `MasterKeysFromArnString`): `''` gives no keys; otherwise split
 * on `,` with no trimming or skipping (an empty entry gives a key with an
 * empty ARN, which fails when used, as in sops). Every key shares `context`
 * and `awsProfile`.
 */
export function parseKmsArns(list: string, context?: Record<string, string | null>, awsProfile = ''): KmsMasterKeySpec[] {
  if (list === '') return [];
  return list.split(',').map((e) => ({ ...parseKmsArn(e), context, awsProfile }));
}

/**
 * Parse an encryption context as sops does (`ParseKMSContext`): either the
 * `--encryption-context` string `k1:v1,k2:v2` or a map. Returns `undefined`
 * (sops: nil, with the warning `Encryption context contains a non-string
 * value, context will not be used`) when the string has a pair without
 * exactly one `:`, or the map a non-string value; also for `''` and an
 * empty map. No trimming: `' a:b'` has the key `' a'`. A repeated key keeps
 * its last value.
 *
 * The CLI turns `undefined` for a non-empty `--encryption-context` into
 * sops's `Invalid KMS encryption context format` (exit code 6).
 */
export function parseKmsEncryptionContext(input: string | Readonly<Record<string, unknown>>): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  if (typeof input === 'string') {
    if (input === '') return undefined;
    for (const pair of input.split(',')) {
      const kv = pair.split(':');
      if (kv.length !== 2) return undefined;
      out[kv[0]!] = kv[1]!;
    }
    return out;
  }
  const entries = Object.entries(input);
  if (entries.length === 0) return undefined;
  for (const [k, v] of entries) {
    if (typeof v !== 'string') return undefined;
    out[k] = v;
  }
  return out;
}

import { kmsKeyString } from './kms-name.js';
export { formatKmsEncryptionContext, kmsKeyString } from './kms-name.js';

/**
 * The STS role session name sops uses (`stsSessionName`): `sops@` and the
 * host name with every character outside `[a-zA-Z0-9=,.@-_]` removed, cut to
 * 64 bytes. Note that `@-_` in sops's class is a range (`@`, `A`–`Z`, `[`,
 * `\`, `]`, `^`, `_`), so a `-` in the host name is removed too.
 */
export function kmsStsSessionName(hostname: string): string {
  const name = 'sops@' + hostname.replace(/[^a-zA-Z0-9=,.@-_]+/g, '');
  return name.length >= 64 ? name.slice(0, 64) : name;
}

/**
 * sops `stringPointerToStringMap`: the encryption context sent to KMS, nil
 * values dropped; an empty map (never absent) when there is none.
 */
function requestContext(context: Readonly<Record<string, string | null>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (context !== undefined) for (const [k, v] of Object.entries(context)) if (v !== null) out[k] = v;
  return out;
}

function keyContext(key: { arn: string; role: string; awsProfile: string }): KmsKeyContext {
  return { arn: key.arn, region: kmsArnRegion(key.arn), role: key.role, awsProfile: key.awsProfile };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Options of {@link KmsRecipient}. */
export interface KmsRecipientOptions {
  /**
   * The entry's `created_at`. Default: now. sops keeps a key's creation
   * date when it re-wraps a data key for it (rotate, updatekeys).
   * @internal also a fixed clock for tests
   */
  createdAt?: Date | string;
}

/**
 * Wraps data keys with one AWS KMS key (sops `MasterKey.Encrypt`): KMS
 * `Encrypt` with `KeyId` = the ARN, the data key as `Plaintext` and the
 * encryption context; `enc` is the ciphertext blob in standard base64.
 *
 * @example
 * ```ts
 * const [spec] = parseKmsArns('arn:aws:kms:eu-west-2:111122223333:alias/sops');
 * const recipient = new KmsRecipient(spec!, client);
 * await encrypt(text, { format: 'yaml', recipients: [recipient] });
 * ```
 */
export class KmsRecipient implements MasterKeyRecipient {
  readonly type = 'kms' as const;
  /** sops's `ToString()` of the key: `ARN[+ROLE][|CONTEXT[|PROFILE]]`. */
  readonly name: string;
  readonly arn: string;
  readonly role: string;
  readonly context: Record<string, string | null> | undefined;
  readonly awsProfile: string;
  readonly #client: KmsClient;
  readonly #createdAt: Date | string | undefined;

  constructor(spec: KmsMasterKeySpec, client: KmsClient, options: KmsRecipientOptions = {}) {
    if (typeof spec?.arn !== 'string') throw new TypeError('spec.arn must be a string');
    if (client === null || typeof client !== 'object' || typeof client.encrypt !== 'function') throw new TypeError('client must be a KmsClient ({ encrypt, decrypt })');
    this.arn = spec.arn;
    this.role = spec.role ?? '';
    this.context = spec.context === undefined ? undefined : { ...spec.context };
    this.awsProfile = spec.awsProfile ?? '';
    this.name = kmsKeyString(this);
    this.#client = client;
    this.#createdAt = options.createdAt;
  }

  /**
   * The recipient that re-wraps a data key for a stored `kms:` entry
   * (rotate, updatekeys): same ARN, role, context and profile, and the
   * entry's `created_at` kept, as sops keeps a key's creation date.
   */
  static fromStoredKey(key: KmsStoredKey, client: KmsClient): KmsRecipient {
    return new KmsRecipient(key, client, { createdAt: key.createdAt });
  }

  async wrap(dataKey: Uint8Array): Promise<KmsStoredKey> {
    // sops builds the AWS config (region from the ARN) before the call, so
    // a malformed ARN fails here without reaching KMS.
    const ctx = keyContext(this);
    let out: { CiphertextBlob?: Uint8Array | undefined };
    try {
      out = await this.#client.encrypt({ KeyId: this.arn, Plaintext: dataKey, EncryptionContext: requestContext(this.context) }, ctx);
    } catch (e) {
      if (e instanceof KmsConfigError) throw e;
      throw new Error(`failed to encrypt sops data key with AWS KMS: ${errorText(e)}`, { cause: e });
    }
    if (!(out?.CiphertextBlob instanceof Uint8Array)) {
      throw new Error('failed to encrypt sops data key with AWS KMS: the response has no CiphertextBlob');
    }
    const createdAt = this.#createdAt === undefined ? formatRfc3339Utc(new Date()) : typeof this.#createdAt === 'string' ? this.#createdAt : formatRfc3339Utc(this.#createdAt);
    return {
      type: 'kms',
      arn: this.arn,
      role: this.role,
      context: this.context === undefined ? undefined : { ...this.context },
      createdAt,
      enc: base64Encode(out.CiphertextBlob),
      awsProfile: this.awsProfile,
    };
  }
}

const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Go `base64.StdEncoding.DecodeString` (not strict: non-zero trailing bits
 * are accepted; `\r`/`\n` skipped), returning the bytes or Go's error offset
 * (`illegal base64 data at input byte N`), following Go's `decodeQuantum`.
 */
export function goBase64Decode(s: string): Uint8Array | number {
  const src = new TextEncoder().encode(s);
  const out: number[] = [];
  let si = 0;
  const isNl = (c: number | undefined) => c === 10 || c === 13;
  for (;;) {
    const dbuf = [0, 0, 0, 0];
    let dlen = 4;
    let trailingGarbage: number | undefined;
    let j = 0;
    for (; j < 4; j++) {
      if (si === src.length) {
        if (j === 0) return Uint8Array.from(out);
        return si - j;
      }
      const c = src[si++]!;
      const v = B64_ALPHABET.indexOf(String.fromCharCode(c));
      if (c < 128 && v >= 0) {
        dbuf[j] = v;
        continue;
      }
      if (isNl(c)) {
        j--;
        continue;
      }
      if (c !== 61 /* = */) return si - 1;
      if (j === 0 || j === 1) return si - 1;
      if (j === 2) {
        while (si < src.length && isNl(src[si])) si++;
        if (si === src.length) return src.length;
        if (src[si] !== 61) return si - 1;
        si++;
      }
      while (si < src.length && isNl(src[si])) si++;
      if (si < src.length) trailingGarbage = si;
      dlen = j;
      break;
    }
    const val = (dbuf[0]! << 18) | (dbuf[1]! << 12) | (dbuf[2]! << 6) | dbuf[3]!;
    const bytes = [(val >> 16) & 255, (val >> 8) & 255, val & 255];
    out.push(...bytes.slice(0, dlen - 1));
    if (trailingGarbage !== undefined) return trailingGarbage;
    if (dlen < 4) return Uint8Array.from(out);
  }
}

/**
 * Unwraps KMS-wrapped data keys (sops `MasterKey.Decrypt`): KMS `Decrypt`
 * with the stored ciphertext blob, `KeyId` = the entry's ARN and its
 * encryption context. Handles every `kms:` entry (sops tries each with the
 * ambient credentials); returns `null` for other kinds.
 *
 * @example
 * ```ts
 * const text = await decrypt(enc, { format: 'yaml', identities: [new KmsIdentity(client)] });
 * ```
 */
export class KmsIdentity implements MasterKeyIdentity {
  readonly #client: KmsClient;
  constructor(client: KmsClient) {
    if (client === null || typeof client !== 'object' || typeof client.decrypt !== 'function') throw new TypeError('client must be a KmsClient ({ encrypt, decrypt })');
    this.#client = client;
  }

  async unwrap(key: StoredKey): Promise<Uint8Array | null> {
    if (key.type !== 'kms') return null;
    const blob = goBase64Decode(key.enc);
    if (typeof blob === 'number') throw new Error(`error base64-decoding encrypted data key: illegal base64 data at input byte ${blob}`);
    const ctx = keyContext(key);
    let out: { Plaintext?: Uint8Array | undefined };
    try {
      out = await this.#client.decrypt({ KeyId: key.arn, CiphertextBlob: blob, EncryptionContext: requestContext(key.context) }, ctx);
    } catch (e) {
      if (e instanceof KmsConfigError) throw e;
      throw new Error(`failed to decrypt sops data key with AWS KMS: ${errorText(e)}`, { cause: e });
    }
    if (!(out?.Plaintext instanceof Uint8Array)) throw new Error('failed to decrypt sops data key with AWS KMS: the response has no Plaintext');
    return Uint8Array.from(out.Plaintext);
  }
}

/**
 * The exit code sops uses when `--encryption-context` cannot be parsed
 * (`ErrorInvalidKMSEncryptionContextFormat`), with its message.
 */
export function invalidKmsEncryptionContextError(): SopsError {
  return new SopsError('ERR_INVALID_KEY', 'Invalid KMS encryption context format', { exitCode: 6 });
}
