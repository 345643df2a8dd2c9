/**
 * AES-256-GCM with sops's parameters (any IV length, 16-byte tag), through
 * WebCrypto when the platform has it and `@noble/ciphers` otherwise. A test
 * switch forces the fallback so both paths see the same vectors (as typage's
 * `webCryptoFallback`).
 * @module
 */
type Gcm = typeof import('@noble/ciphers/aes.js').gcm;

// The noble fallback is loaded only where WebCrypto is missing (or forced off),
// so pages on WebCrypto never download it.
let nobleGcm: Promise<Gcm> | undefined;
function loadGcm(): Promise<Gcm> {
  nobleGcm ??= import('@noble/ciphers/aes.js').then((m) => m.gcm);
  return nobleGcm;
}

let forceNoble = false;

/**
 * Force the pure-JS AES-GCM path even where WebCrypto exists.
 * @internal For tests: both paths must give the same bytes.
 */
export function _forceNobleAesGcm(on: boolean): void {
  forceNoble = on;
}

/** A hash algorithm the core uses: SHA-512 for the MAC, SHA-256 for its `mac_only_encrypted` prefix. */
export type DigestAlgorithm = 'SHA-256' | 'SHA-512';

/** A platform's one-shot hash of the concatenation of `parts` (e.g. `node:crypto`'s `createHash`). */
export type DigestProvider = (algorithm: DigestAlgorithm, parts: readonly Uint8Array[]) => Uint8Array;

let digestProvider: DigestProvider | undefined;

/**
 * Use a platform's hash instead of WebCrypto's `digest` (`undefined`: back to
 * WebCrypto); `sops-ts/node`'s `useNodeCrypto()` sets `node:crypto`, which
 * hashes the parts without joining them first.
 */
export function setDigestProvider(p: DigestProvider | undefined): void {
  digestProvider = p;
}

/**
 * The hash of the concatenation of `parts`: the platform provider, else
 * WebCrypto, else `@noble/hashes` (a separate chunk, loaded only where
 * WebCrypto is missing or forced off).
 */
export async function digest(algorithm: DigestAlgorithm, parts: readonly Uint8Array[]): Promise<Uint8Array> {
  if (digestProvider !== undefined && !forceNoble) return digestProvider(algorithm, parts);
  const s = subtle();
  if (s === undefined) return (await import('./hash-noble.js')).nobleDigest(algorithm, parts);
  let n = 0;
  for (const p of parts) n += p.length;
  const all = new Uint8Array(n);
  n = 0;
  for (const p of parts) {
    all.set(p, n);
    n += p.length;
  }
  return new Uint8Array(await s.digest(algorithm, all));
}

/** An AES-256-GCM implementation for a platform (e.g. `node:crypto` in `sops-ts/node`). */
export type AesGcmProvider = (key: Uint8Array) => AesGcmKey;

let provider: AesGcmProvider | undefined;

/**
 * Use a platform's AES-256-GCM instead of WebCrypto (`undefined`: back to
 * WebCrypto). `sops-ts/node`'s `useNodeCrypto()` sets `node:crypto`, which
 * costs far less per value than a WebCrypto call. The implementation must
 * accept any IV length and give the same bytes (it is AES-GCM); the test
 * switch {@link _forceNobleAesGcm} still wins.
 */
export function setAesGcmProvider(p: AesGcmProvider | undefined): void {
  provider = p;
}

function subtle(): SubtleCrypto | undefined {
  if (forceNoble) return undefined;
  const c = (globalThis as { crypto?: Crypto }).crypto;
  return c?.subtle;
}

/** An AES-256-GCM key ready for many operations. */
export interface AesGcmKey {
  /** Returns ciphertext ‖ 16-byte tag. */
  seal(iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  /** Takes ciphertext ‖ tag; throws on authentication failure. */
  open(iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  /**
   * Synchronous forms, where the platform has them (`node:crypto`): a tree
   * walk over thousands of values then makes no promise per value.
   */
  sealSync?(iv: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Synchronous {@link AesGcmKey.open}. */
  openSync?(iv: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Uint8Array;
}

/** Thrown by {@link AesGcmKey.open} when the tag does not verify. */
export class AuthenticationError extends Error {
  override name = 'AuthenticationError';
  constructor() {
    super('cipher: message authentication failed');
  }
}

function buf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b as Uint8Array<ArrayBuffer>;
}

/** Prepare a 32-byte key. */
export function aesGcmKey(key: Uint8Array): AesGcmKey {
  if (key.length !== 32) throw new RangeError('data key must be 32 bytes, got ' + key.length);
  if (provider !== undefined && !forceNoble) return provider(key);
  const s = subtle();
  if (s === undefined) {
    return {
      seal: async (iv, pt, aad) => (await loadGcm())(key, iv, aad).encrypt(pt),
      open: async (iv, ct, aad) => {
        const gcm = await loadGcm();
        try {
          return gcm(key, iv, aad).decrypt(ct);
        } catch {
          throw new AuthenticationError();
        }
      },
    };
  }
  let cryptoKey: Promise<CryptoKey> | undefined;
  const getKey = () => (cryptoKey ??= s.importKey('raw', buf(key.slice()), 'AES-GCM', false, ['encrypt', 'decrypt']));
  return {
    async seal(iv, pt, aad) {
      const k = await getKey();
      return new Uint8Array(await s.encrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad), tagLength: 128 }, k, buf(pt)));
    },
    async open(iv, ct, aad) {
      const k = await getKey();
      if (iv.length === 0 || ct.length < 16) throw new AuthenticationError();
      try {
        return new Uint8Array(await s.decrypt({ name: 'AES-GCM', iv: buf(iv), additionalData: buf(aad), tagLength: 128 }, k, buf(ct)));
      } catch {
        throw new AuthenticationError();
      }
    },
  };
}
