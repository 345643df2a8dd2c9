/**
 * The cryptography of age's SSH recipient types, split from
 * `age-ssh.ts` so that a browser bundle loads it (X25519, HKDF,
 * ChaCha20-Poly1305: most of it `@noble/*`) only when an SSH key
 * actually wraps or unwraps a file key. `age-ssh.ts` parses and validates
 * keys synchronously (so constructors throw what agessh throws at parse
 * time) and reaches this module with a dynamic `import()` from
 * `wrapFileKey` / `unwrapFileKey`, which typage allows to be asynchronous.
 *
 * Not a public entry point: everything here takes already-validated inputs.
 *
 * @module
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { chacha20poly1305 } from '../chacha20poly1305.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { SopsError } from '../errors.js';

const ED25519_LABEL = /* @__PURE__ */ new TextEncoder().encode('age-encryption.org/v1/ssh-ed25519');
const RSA_OAEP_LABEL = /* @__PURE__ */ new TextEncoder().encode('age-encryption.org/v1/ssh-rsa');
const ZERO_NONCE = /* @__PURE__ */ new Uint8Array(12);

/**
 * Go's `curve25519.X25519` (through `crypto/ecdh`, as in the x/crypto sops
 * 3.13.3 builds with) refuses a peer point whose shared secret is all zeros
 * with this text; age wraps it (`failed to wrap key for recipient #0: …`).
 */
const LOW_ORDER = 'crypto/ecdh: bad X25519 remote ECDH input: low order point';

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** X25519 with Go's low-order error (noble throws its own text for an all-zero result). */
function x25519Shared(scalar: Uint8Array, point: Uint8Array): Uint8Array {
  try {
    return x25519.scalarMult(scalar, point);
  } catch {
    throw new Error(LOW_ORDER);
  }
}

/**
 * agessh's tweak: HKDF-SHA-256 with an empty secret and the SSH wire public
 * key as the salt; the X25519 shared secret is multiplied by it once more, so
 * the wrapping depends on the SSH key and not only on its X25519 form.
 */
function wrappingKey(sharedSecret: Uint8Array, sshWire: Uint8Array, share: Uint8Array, recipient: Uint8Array): Uint8Array {
  const tweak = hkdf(sha256, new Uint8Array(0), sshWire, ED25519_LABEL, 32);
  // Go ignores this X25519's error (the tweaked secret of a valid share is never zero).
  const tweaked = x25519.scalarMult(tweak, sharedSecret);
  return hkdf(sha256, tweaked, concat(share, recipient), ED25519_LABEL, 32);
}

/**
 * Wrap a file key for an `ssh-ed25519` recipient (Go `Ed25519Recipient.Wrap`).
 * Returns the share (stanza argument) and the sealed file key (stanza body).
 *
 * @param theirPublicKey - the recipient's X25519 (Montgomery) public key.
 * @param sshWire - the recipient's SSH wire public key.
 */
export function ed25519Wrap(theirPublicKey: Uint8Array, sshWire: Uint8Array, fileKey: Uint8Array): { share: Uint8Array; body: Uint8Array } {
  const ephemeral = crypto.getRandomValues(new Uint8Array(32));
  const share = x25519.scalarMultBase(ephemeral);
  const secret = x25519Shared(ephemeral, theirPublicKey);
  const key = wrappingKey(secret, sshWire, share, theirPublicKey);
  return { share, body: chacha20poly1305(key, ZERO_NONCE).encrypt(fileKey) };
}

/** An `ssh-ed25519` identity's X25519 key pair, derived from the Ed25519 seed. */
export interface Ed25519IdentityKeys {
  /** agessh: the first half of SHA-512(seed), as Ed25519 signing uses. */
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** Derive the X25519 key pair of an Ed25519 seed (Go `ed25519PrivateKeyToCurve25519`). */
export function ed25519IdentityKeys(seed: Uint8Array): Ed25519IdentityKeys {
  const secretKey = sha512(seed).slice(0, 32);
  return { secretKey, publicKey: x25519.scalarMultBase(secretKey) };
}

/**
 * Unwrap an `ssh-ed25519` stanza already known to be for this identity (its
 * tag matched), with agessh's error texts.
 */
export function ed25519Unwrap(keys: Ed25519IdentityKeys, sshWire: Uint8Array, share: Uint8Array, body: Uint8Array): Uint8Array {
  let secret: Uint8Array;
  try {
    secret = x25519Shared(keys.secretKey, share);
  } catch (e) {
    throw new Error(`invalid X25519 recipient: ${(e as Error).message}`);
  }
  const key = wrappingKey(secret, sshWire, share, keys.publicKey);
  try {
    return chacha20poly1305(key, ZERO_NONCE).decrypt(body);
  } catch {
    throw new Error('failed to decrypt file key: chacha20poly1305: message authentication failed');
  }
}

// ---------------------------------------------------------------------------
// ssh-rsa: RSA-OAEP with SHA-256 and age's label, through WebCrypto

const OAEP = { name: 'RSA-OAEP', hash: 'SHA-256' } as const;

function subtle(): SubtleCrypto {
  const s = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (s === undefined) throw new SopsError('ERR_INVALID_KEY', 'ssh-rsa age keys need WebCrypto (crypto.subtle), which this platform does not provide');
  return s;
}

/** For WebCrypto, which wants `Uint8Array<ArrayBuffer>`. */
function buf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b as Uint8Array<ArrayBuffer>;
}

/** Import an RSA key (public for `encrypt`, private for `decrypt`) given as a JWK. */
export function importRsaKey(jwk: JsonWebKey, usage: 'encrypt' | 'decrypt'): Promise<CryptoKey> {
  return subtle().importKey('jwk', jwk, OAEP, false, [usage]);
}

/** RSA-OAEP-SHA-256 encryption of a file key (Go `RSARecipient.Wrap`). */
export async function rsaOaepEncrypt(key: CryptoKey, fileKey: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().encrypt({ name: 'RSA-OAEP', label: buf(RSA_OAEP_LABEL) }, key, buf(fileKey)));
}

/** RSA-OAEP-SHA-256 decryption of a stanza body, with Go's error text (`rsa.DecryptOAEP`). */
export async function rsaOaepDecrypt(key: CryptoKey, body: Uint8Array): Promise<Uint8Array> {
  try {
    return new Uint8Array(await subtle().decrypt({ name: 'RSA-OAEP', label: buf(RSA_OAEP_LABEL) }, key, buf(body)));
  } catch {
    throw new Error('failed to decrypt file key: crypto/rsa: decryption error');
  }
}
