/**
 * age master keys (sops `age/keysource.go`). The data key is age-encrypted to
 * exactly one recipient per entry and stored ASCII-armored (64-column base64,
 * trailing newline).
 *
 * Native keys (`age1…`/`AGE-SECRET-KEY-1…` and the post-quantum
 * `age1pq1…`/`AGE-SECRET-KEY-PQ-1…`) go through `age-core.ts`, which is
 * small enough for the browser bundle and gives Go age's error texts, as
 * sops shows them. SSH keys and plugin objects (typage `Identity` /
 * `Recipient`) go through typage (`age-encryption`), loaded by dynamic
 * `import()` only when such a key is used.
 *
 * SSH public keys (`ssh-ed25519 …`, `ssh-rsa …`) are recipients and SSH
 * private keys identities too, as in sops ≥ 3.10 (age's `agessh`; here
 * `keysources/age-ssh.ts`).
 *
 * I/O-free: where identities come from (env vars, key files, commands) is the
 * node layer's business (`node/age-keys.ts`).
 *
 * @module
 */
import type { Identity, Recipient } from 'age-encryption';
import { SopsError } from '../errors.js';
import { AgeDecryptError, armorEncode, decryptFile, encryptFile, isNativeIdentity, parseAgeIdentity, parseAgeRecipient, type AgeNativeIdentity, type AgeNativeRecipient } from './age-core.js';
import type { SshIdentity } from './age-ssh.js';
import type { MasterKeyIdentity, MasterKeyRecipient } from '../keysource.js';
import type { AgeStoredKey, StoredKey } from '../metadata.js';

const BECH32_CHARS = /^[qpzry9x8gf2tvdw0s3jn54khce6mua7l]+$/;

/**
 * Split a comma-separated recipient list as sops does (`MasterKeysFromRecipients`):
 * split on `,`, trim each entry, and an empty input gives no recipients.
 */
export function splitRecipients(list: string): string[] {
  if (list === '') return [];
  return list.split(',').map((r) => r.trim());
}

/**
 * Validate a recipient string as sops's `parseRecipient` does: `age1…`
 * (X25519), `age1pq1…` (post-quantum hybrid), or an SSH public key line
 * (`ssh-ed25519 AAAA… [comment]`, `ssh-rsa …`). Throws `ERR_INVALID_KEY`
 * with sops's wording.
 */
export async function checkAgeRecipient(recipient: string): Promise<void> {
  await AgeRecipient.create(recipient);
}

/** The recipients {@link parseNative} made (to tell them from typage objects). */
const nativeRecipients = new WeakSet<AgeNativeRecipient>();

/** A native recipient as Go age parses it; its error in sops's words. */
function parseNative(r: string): AgeNativeRecipient {
  try {
    const n = parseAgeRecipient(r);
    nativeRecipients.add(n);
    return n;
  } catch (e) {
    throw new SopsError('ERR_INVALID_KEY', `failed to parse input as Bech32-encoded age public key: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/**
 * SSH keys are parsed by `age-ssh.ts`, loaded with a dynamic `import()` on
 * first use so that the browser bundle of a page that only uses `age1…` keys
 * carries no SSH code.
 */
async function loadSsh(): Promise<typeof import('./age-ssh.js')> {
  return import('./age-ssh.js');
}


/** Whether `text` looks like a PEM private key (as opposed to an `AGE-SECRET-KEY-…` string). */
function isPemPrivateKey(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text);
}

/**
 * Parse a recipient: a native one (age-core), or `undefined` for an SSH
 * public key line (parsed later, by `age-ssh.ts`'s `parseSopsSshRecipient`).
 */
function parseRecipient(recipient: string): AgeNativeRecipient | undefined {
  const r = recipient.trim();
  if (r.startsWith('age1pq1')) return parseNative(r); // post-quantum hybrid (sops: age.ParseHybridRecipient)
  if (r.startsWith('age1')) {
    const data = r.slice(4);
    if (!BECH32_CHARS.test(data) || r.length !== 62) {
      if (r.split('1').length > 2 && BECH32_CHARS.test(data.replace(/1/g, ''))) {
        throw new SopsError('ERR_INVALID_KEY', 'failed to parse input as age key from age plugin: plugin recipients need the Node entry point (sops-ts/node), which runs age plugins');
      }
      throw new SopsError('ERR_INVALID_KEY', 'failed to parse input as Bech32-encoded age public key: malformed recipient');
    }
    return parseNative(r);
  }
  // sops hands the whole trimmed string (comment included) to agessh.ParseRecipient.
  if (r.startsWith('ssh-')) return undefined;
  throw new SopsError('ERR_INVALID_KEY', `failed to parse input, unknown recipient type: ${JSON.stringify(r.slice(0, 80))}`);
}

/**
 * Wraps data keys for one age recipient: `age1…`, `age1pq1…`, or an SSH
 * public key line. The metadata's `recipient` is the trimmed string as given,
 * an SSH key's comment included, as sops writes it.
 */
export class AgeRecipient implements MasterKeyRecipient {
  readonly type = 'age' as const;
  readonly name: string;
  #recipient: Recipient | undefined;
  readonly #native: AgeNativeRecipient | undefined;
  /**
   * @param recipient The recipient string, as written to the metadata.
   * @param plugin For an age plugin recipient (`age1<name>1…`): the typage
   *   {@link Recipient} that runs the plugin (the Node layer's
   *   `AgePluginRecipient`). The core never starts a plugin itself.
   */
  constructor(recipient: string, plugin?: Recipient) {
    this.name = recipient.trim();
    const r = plugin ?? parseRecipient(this.name);
    if (r !== undefined && nativeRecipients.has(r as AgeNativeRecipient)) this.#native = r as AgeNativeRecipient;
    else this.#recipient = r as Recipient | undefined;
  }
  /**
   * Like the constructor, but an SSH public key is parsed now rather than on
   * the first `wrap` (loading the SSH code), so a malformed one throws here,
   * as sops refuses it before encrypting anything.
   */
  static async create(recipient: string, plugin?: Recipient): Promise<AgeRecipient> {
    const r = recipient.trim();
    if (plugin === undefined && r.startsWith('ssh-')) plugin = (await loadSsh()).parseSopsSshRecipient(r);
    return new AgeRecipient(recipient, plugin);
  }
  async wrap(dataKey: Uint8Array): Promise<AgeStoredKey> {
    if (this.#native !== undefined) {
      let file: Uint8Array;
      try {
        file = await encryptFile(dataKey, [this.#native]);
      } catch (err) {
        // Go age: "failed to wrap key for recipient #0: …", wrapped by sops.
        const m = err instanceof Error ? err.message : String(err);
        throw new SopsError('ERR_ENCRYPT', `failed to create writer for encrypting sops data key with age: ${m}`, { cause: err });
      }
      return { type: 'age', recipient: this.name, enc: armorEncode(file) };
    }
    // An SSH public key: parsed now (a malformed one throws sops's
    // `failed to parse input as age-ssh public key: …`). The CLI parses
    // them up front, as sops does, with `AgeRecipient.create`.
    this.#recipient ??= (await loadSsh()).parseSopsSshRecipient(this.name);
    const { Encrypter, armor } = await import('age-encryption');
    const e = new Encrypter();
    try {
      e.addRecipient(this.#recipient);
    } catch (err) {
      throw new SopsError('ERR_INVALID_KEY', 'failed to parse input as Bech32-encoded age public key', { cause: err });
    }
    let file: Uint8Array;
    try {
      file = await e.encrypt(dataKey);
    } catch (err) {
      // Go age wraps a recipient's failure (e.g. a plugin's) this way, and sops wraps that.
      const m = err instanceof Error ? err.message : String(err);
      throw new SopsError('ERR_ENCRYPT', `failed to create writer for encrypting sops data key with age: failed to wrap key for recipient #0: ${m}`, { cause: err });
    }
    return { type: 'age', recipient: this.name, enc: armor.encode(file) };
  }
}

/**
 * Parse an age identity file's text (sops `parseIdentities`): one identity a
 * line; empty lines and lines starting with `#` skipped; a trailing `\r`
 * dropped. With `multiplePerLine` (the `SOPS_AGE_KEY` variable since 3.13),
 * every whitespace-separated word is an identity. Throws
 * `ERR_INVALID_KEY` `unknown identity type` for anything else; the message
 * never repeats the line (it may be a secret key).
 */
export function parseAgeIdentities(text: string, multiplePerLine = false): string[] {
  const out: string[] = [];
  for (let line of text.split('\n')) {
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line === '' || line.startsWith('#')) continue;
    const words = multiplePerLine ? line.split(/[\t\n\v\f\r \u0085\u00a0]+/).filter((w) => w !== '') : [line];
    for (const w of words) {
      // Plugin identities are kept as strings: the node layer turns them into
      // plugin identities (the core cannot run plugins).
      if (!w.startsWith('AGE-PLUGIN-') && !w.startsWith('AGE-SECRET-KEY-PQ-1') && !w.startsWith('AGE-SECRET-KEY-1')) throw new SopsError('ERR_INVALID_KEY', 'unknown identity type');
      out.push(w);
    }
  }
  return out;
}

/** Context for error messages: where identities were looked for (sops `formatError`). */
export interface AgeIdentityContext {
  /** Errors met while loading identities. */
  loadErrors?: string[];
  /** Locations (env var names, paths) that were absent or empty. */
  unusedLocations?: string[];
}

function formatLocations(unused: readonly string[]): string {
  if (unused.length === 0) return '';
  let s: string;
  if (unused.length === 1) s = ` '${unused[0]}'`;
  else if (unused.length === 2) s = `s '${unused[0]}' and '${unused[1]}'`;
  else s = `s '${unused.slice(0, -1).join("', '")}', and '${unused[unused.length - 1]}'`;
  return `. Did not find keys in location${s}.`;
}

/** sops's age error text: message, cause, load errors, unused locations. */
export function formatAgeError(msg: string, cause: string | undefined, ctx: AgeIdentityContext = {}): string {
  const load = ctx.loadErrors && ctx.loadErrors.length > 0 ? `. Errors while loading age identities: ${ctx.loadErrors.join('; ')}` : '';
  return `${msg}${cause !== undefined ? ': ' + cause : ''}${load}${formatLocations(ctx.unusedLocations ?? [])}`;
}

/**
 * Translate typage's error text into Go age's where they differ. Go age
 * (`NoIdentityMatchError`) names the one identity's error when there was
 * exactly one identity, and says no identity matched otherwise.
 */
function ageErrorText(e: unknown, identities: number): string {
  const m = e instanceof Error ? e.message : String(e);
  if (/no identity matched/i.test(m)) {
    return identities === 1 ? 'identity did not match any of the recipients: incorrect identity for recipient block' : 'no identity matched any of the recipients';
  }
  return m;
}

/**
 * Parsed native identities by their string, most recent last (at most 32):
 * a parsed identity keeps its derived public key (and, with `node:crypto`,
 * its key object), so decrypting many files with the same key string
 * derives them once. Holds nothing the caller does not already hold.
 */
const parsed = new Map<string, AgeNativeIdentity>();

function parsedIdentity(id: string): AgeNativeIdentity {
  let n = parsed.get(id);
  if (n !== undefined) {
    parsed.delete(id);
  } else {
    n = parseAgeIdentity(id);
    if (parsed.size >= 32) parsed.delete(parsed.keys().next().value!);
  }
  parsed.set(id, n);
  return n;
}

/**
 * Unwraps age-wrapped data keys with a set of identities, tried in order:
 * `AGE-SECRET-KEY-1…` / `AGE-SECRET-KEY-PQ-1…` strings, SSH private keys (a
 * PEM text such as `-----BEGIN OPENSSH PRIVATE KEY-----…`, parsed with
 * `parseSshIdentity` of `sops-ts`'s `age-ssh` module), or any typage {@link Identity} object.
 *
 * @example
 * ```ts
 * const id = new AgeIdentity(['AGE-SECRET-KEY-1…', readFileSync('/home/me/.ssh/id_ed25519', 'utf8')]);
 * ```
 */
export class AgeIdentity implements MasterKeyIdentity {
  #identities: readonly (string | Identity)[];
  readonly #ctx: AgeIdentityContext;
  /**
   * SSH private keys (PEM texts) are parsed on the first `unwrap`, loading
   * the SSH code only then; {@link AgeIdentity.create} parses them up front.
   * Throws `ERR_INVALID_KEY` for an age plugin identity (`AGE-PLUGIN-…`).
   */
  constructor(identities: readonly (string | Identity)[], context: AgeIdentityContext = {}) {
    for (const id of identities) {
      if (typeof id === 'string' && id.startsWith('AGE-PLUGIN-')) {
        throw new SopsError('ERR_INVALID_KEY', 'age plugin identities need the Node entry point (sops-ts/node), which runs age plugins');
      }
    }
    this.#identities = identities;
    this.#ctx = context;
  }
  /**
   * Like the constructor, but SSH private keys are parsed now: throws
   * `ERR_INVALID_KEY` for one that cannot be used (e.g. passphrase-protected).
   */
  static async create(identities: readonly (string | Identity)[], context: AgeIdentityContext = {}): Promise<AgeIdentity> {
    const id = new AgeIdentity(identities, context);
    await id.#parseSsh();
    return id;
  }
  /** Replace SSH private key texts by their parsed identities (once). */
  async #parseSsh(): Promise<void> {
    if (!this.#identities.some((id) => typeof id === 'string' && isPemPrivateKey(id))) return;
    const { parseSshIdentity } = await loadSsh();
    this.#identities = this.#identities.map((id): string | Identity | SshIdentity => (typeof id === 'string' && isPemPrivateKey(id) ? parseSshIdentity(id) : id));
  }
  /** Number of identities held. */
  get size(): number {
    return this.#identities.length;
  }
  async unwrap(key: StoredKey): Promise<Uint8Array | null> {
    if (key.type !== 'age') return null;
    if (this.#identities.length === 0) throw new Error(formatAgeError('failed to load age identities', undefined, this.#ctx));
    await this.#parseSsh();
    const ids = this.#identities;
    if (ids.every((id) => typeof id === 'string' && isNativeIdentity(id))) return this.#unwrapNative(key.enc, ids as readonly string[]);
    // SSH and plugin identities: typage, loaded only now.
    const { Decrypter, armor } = await import('age-encryption');
    let file: Uint8Array;
    try {
      file = armor.decode(key.enc);
    } catch (e) {
      throw new Error(formatAgeError('failed to create reader for decrypting sops data key with age', `armor: ${e instanceof Error ? e.message : String(e)}`, this.#ctx));
    }
    const d = new Decrypter();
    for (const id of ids) d.addIdentity(id);
    try {
      return await d.decrypt(file);
    } catch (e) {
      throw new Error(formatAgeError('failed to create reader for decrypting sops data key with age', ageErrorText(e, ids.length), this.#ctx));
    }
  }

  /**
   * Native identities only: age-core, with Go age's texts where sops puts
   * them. Errors of `age.Decrypt` (armor, header, stanzas, no match, header
   * MAC, nonce) read `failed to create reader for decrypting sops data key
   * with age: …` with the identity context; errors while reading the payload
   * read `failed to copy age decrypted data into bytes.Buffer: …`, without it
   * (sops `MasterKey.Decrypt`).
   */
  async #unwrapNative(enc: string, ids: readonly string[]): Promise<Uint8Array> {
    // A malformed key string: typage refused it when it was added, before
    // decrypting; Go's text here (`malformed secret key: …`, never the key).
    const natives: AgeNativeIdentity[] = ids.map(parsedIdentity);
    try {
      return await decryptFile(enc, natives);
    } catch (e) {
      if (!(e instanceof AgeDecryptError)) throw e;
      if (e.stage === 'payload') throw new Error(`failed to copy age decrypted data into bytes.Buffer: ${e.message}`, { cause: e });
      throw new Error(formatAgeError('failed to create reader for decrypting sops data key with age', e.message, this.#ctx), { cause: e });
    }
  }
}
