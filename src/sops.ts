/**
 * The high-level operations: decrypt a SOPS file and encrypt a plaintext
 * file, for any store, with the master keys given. I/O-free: inputs and
 * outputs are strings and bytes.
 *
 * @module
 */
import { ValueCipher, type IvSource } from './cipher.js';
import { equalConstantTime, toBytes } from './encoding.js';
import { MacMismatchError, SopsError, atStage } from './errors.js';
import type { Recipient } from 'age-encryption';
import { getDataKey, wrapDataKey, type MasterKeyIdentity, type MasterKeyRecipient } from './keysource.js';
import { AgeIdentity, AgeRecipient } from './keysources/age.js';
import { SOPS_VERSION, macAad, metadataFromTree, metadataToTree, type Metadata } from './metadata.js';
import type { Format, Store, StoreOptions } from './stores/store.js';
import { formatRfc3339Utc } from './time.js';
import { Branch, toJS, type ToJSOptions, type TreeBranches } from './tree.js';
import { decryptTree, encryptTree, normalizeRules, type SelectionRules } from './walk.js';

/** The format sops infers from a file name: `.yaml`/`.yml`, `.json`, `.env`, `.ini`, anything else binary. */
export function formatFromFileName(fileName: string): Format {
  // Case-sensitive, as sops's formats.FormatForPath: `x.YAML` is binary.
  const base = fileName;
  if (base.endsWith('.yaml') || base.endsWith('.yml')) return 'yaml';
  if (base.endsWith('.json')) return 'json';
  if (base.endsWith('.env')) return 'dotenv';
  if (base.endsWith('.ini')) return 'ini';
  return 'binary';
}

const FORMATS: readonly Format[] = ['yaml', 'json', 'dotenv', 'ini', 'binary'];

/** Check a format name given by a user (`--input-type`). */
export function parseFormat(name: string): Format {
  if ((FORMATS as readonly string[]).includes(name)) return name as Format;
  throw new SopsError('ERR_UNSUPPORTED_FORMAT', `Invalid format "${name}": must be one of yaml, json, dotenv, ini, binary`);
}

/** Get the store for a format. Stores are loaded on demand so a bundle carries only those it uses. */
export async function storeFor(format: Format, options: StoreOptions = {}): Promise<Store> {
  switch (format) {
    case 'yaml': {
      const { YamlStore } = await import('./stores/yaml.js');
      return new YamlStore(options);
    }
    case 'json': {
      const { JsonStore } = await import('./stores/json.js');
      return new JsonStore(options);
    }
    case 'binary': {
      const { BinaryStore } = await import('./stores/binary.js');
      return new BinaryStore(options);
    }
    case 'dotenv': {
      const { DotenvStore } = await import('./stores/dotenv.js');
      return new DotenvStore(options);
    }
    case 'ini': {
      const { IniStore } = await import('./stores/ini.js');
      return new IniStore(options);
    }
    default:
      throw new SopsError('ERR_UNSUPPORTED_FORMAT', `Invalid format "${String(format)}"`);
  }
}

/** Which format: given, or inferred from a file name, default YAML. */
function resolveFormat(format: Format | undefined, fileName: string | undefined): Format {
  if (format !== undefined) return parseFormat(format);
  if (fileName !== undefined) return formatFromFileName(fileName);
  throw new TypeError('options.format or options.fileName is required');
}

/** Options of {@link decrypt} and {@link decryptDocument}. */
export interface DecryptOptions {
  /** The input format. Default: inferred from `fileName`. */
  format?: Format;
  /** The file name, used to infer formats. */
  fileName?: string;
  /** The output format of {@link decrypt}. Default: the input format. */
  outputFormat?: Format;
  /** age identities (`AGE-SECRET-KEY-1…`). */
  ageIdentities?: readonly string[];
  /** Other identities (PGP, KMS, custom); tried after `ageIdentities`. */
  identities?: readonly MasterKeyIdentity[];
  /** Key kinds to try first. Default: `['age', 'pgp']`. */
  decryptionOrder?: readonly string[];
  /** Skip the MAC check (sops `--ignore-mac`). Default: false. */
  ignoreMac?: boolean;
  /** Output store options (indentation). */
  outputStore?: StoreOptions;
  /** Warnings sops would log. */
  onWarning?: (message: string, fields?: Record<string, string>) => void;
  /**
   * {@link decryptDocument}: remember each value's IV so that re-encrypting
   * the document keeps the ciphertext of every unchanged value (sops's IV
   * stash, what `edit` and `set` rely on). Default: true; off for
   * {@link decrypt}, {@link decryptToBytes} and {@link decryptToObject},
   * whose output is never re-encrypted.
   */
  stash?: boolean;
}

/** A decrypted file: its plaintext tree, its metadata, and what re-encrypting it needs. */
export interface DecryptedDocument {
  format: Format;
  /** The plaintext data, one branch per YAML document. */
  branches: TreeBranches;
  /** The file's metadata as read. */
  metadata: Metadata;
  /** The MAC computed over the plaintext (128 uppercase hex digits). */
  mac: string;
  /** @internal The data key, for re-encryption (edit, set, rotate). */
  dataKey: Uint8Array;
  /** @internal The cipher with its IV stash, so unchanged values re-encrypt to the same bytes. */
  cipher: ValueCipher;
}

function identitiesOf(options: DecryptOptions): MasterKeyIdentity[] {
  const ids: MasterKeyIdentity[] = [];
  if (options.ageIdentities !== undefined) ids.push(new AgeIdentity(options.ageIdentities));
  if (options.identities !== undefined) ids.push(...options.identities);
  return ids;
}

/**
 * Decrypt a SOPS file to its tree and metadata, verifying the MAC.
 *
 * @example
 * ```ts
 * const doc = await decryptDocument(text, { fileName: 'secret.enc.yaml', ageIdentities: [key] });
 * doc.branches[0].get('stringData');
 * ```
 */
export async function decryptDocument(input: string | Uint8Array, options: DecryptOptions): Promise<DecryptedDocument> {
  const format = resolveFormat(options.format, options.fileName);
  const store = await storeFor(format);
  const parts = atStage('load', () => store.loadEncryptedFile(format === 'binary' ? toBytes(input) : typeof input === 'string' ? input : toBytes(input)));
  const metadata = atStage('load', () => metadataFromTree(parts.metadata));
  const dataKey = await getDataKey(metadata, identitiesOf(options), {
    ...(options.decryptionOrder ? { decryptionOrder: options.decryptionOrder } : {}),
  });
  if (dataKey.length !== 32) throw new SopsError('ERR_NO_DATA_KEY', `The data key has ${dataKey.length} bytes, expected 32`);
  const cipher = new ValueCipher(dataKey);
  const { tree, mac } = await decryptTree(parts.branches, metadata.rules, cipher, { ...(options.onWarning ? { onWarning: options.onWarning } : {}), stash: options.stash !== false });
  const aad = macAad(metadata.lastModified);
  if (!options.ignoreMac) {
    let fileMac: string;
    try {
      fileMac = String(await cipher.decrypt(metadata.mac, aad));
    } catch (e) {
      throw new MacMismatchError(`Cannot decrypt MAC: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    if (!equalConstantTime(fileMac, mac)) {
      throw new MacMismatchError(`MAC mismatch. File has ${fileMac === '' ? 'no MAC' : fileMac}, computed ${mac}`);
    }
  } else {
    // Still fill the stash so a re-encryption keeps the MAC's IV when it can.
    await cipher.decrypt(metadata.mac, aad).catch(() => undefined);
  }
  return { format, branches: tree, metadata, mac, dataKey, cipher };
}

/**
 * Decrypt a SOPS file to the exact text `sops decrypt` prints.
 *
 * @example
 * ```ts
 * const yaml = await decrypt(encryptedText, { fileName: 'secret.enc.yaml', ageIdentities: ['AGE-SECRET-KEY-1…'] });
 * ```
 */
export async function decrypt(input: string | Uint8Array, options: DecryptOptions): Promise<string> {
  const out = await decryptToBytes(input, options);
  return new TextDecoder().decode(out);
}

/**
 * Decrypt a SOPS file to plain JavaScript: the first document as an object
 * (see {@link toJS} for how types map).
 *
 * @example
 * ```ts
 * const secret = await decryptToObject(text, { fileName: 'secret.enc.yaml', ageIdentities: [key] });
 * ```
 */
export async function decryptToObject(input: string | Uint8Array, options: DecryptOptions & ToJSOptions): Promise<unknown> {
  const doc = await decryptDocument(input, { stash: false, ...options });
  return doc.branches.length === 0 ? undefined : toJS(doc.branches[0]!, options);
}

/** Decrypt a SOPS file to the exact bytes `sops decrypt` writes (use for binary files). */
export async function decryptToBytes(input: string | Uint8Array, options: DecryptOptions): Promise<Uint8Array> {
  const doc = await decryptDocument(input, { stash: false, ...options });
  const store = await storeFor(options.outputFormat ?? doc.format, options.outputStore ?? {});
  return toBytes(atStage('emit', () => store.emitPlainFile(doc.branches)));
}

/** Options of {@link encrypt}. */
export interface EncryptOptions extends SelectionRules {
  /** The input format. Default: inferred from `fileName`. */
  format?: Format;
  /** The file name, used to infer formats. */
  fileName?: string;
  /** The output format. Default: the input format. */
  outputFormat?: Format;
  /** age recipients (`age1…`). */
  age?: readonly string[];
  /** Other master keys (PGP, KMS, custom), added to the same key group. */
  recipients?: readonly MasterKeyRecipient[];
  /**
   * Key groups, instead of `age`/`recipients`: with two or more groups the
   * data key is split with Shamir secret sharing and each group wraps one
   * share; `shamirThreshold` groups are then needed to decrypt. Entries are
   * age recipients (`age1…`) or master keys.
   */
  keyGroups?: readonly (readonly (string | MasterKeyRecipient)[])[];
  /**
   * The typage recipient for an age plugin recipient string (`age1<name>1…`),
   * e.g. `agePluginRecipientResolver([...])` from `sops-ts/node`; `undefined`
   * when it is not one the caller allows. Default: plugin recipients refused.
   */
  agePlugins?: (recipient: string) => Recipient | undefined;
  /** Groups needed to decrypt when there are several. Default: all of them. */
  shamirThreshold?: number;
  /** Output store options (indentation). */
  outputStore?: StoreOptions;
  /** @internal A fixed data key (32 bytes) for byte-exact tests. Default: random. */
  dataKey?: Uint8Array;
  /** @internal A fixed clock for `lastmodified`. Default: now. */
  now?: Date;
  /** @internal Fresh IV source for tests. */
  ivSource?: IvSource;
}

/**
 * Encrypt a plaintext file for the given recipients, as `sops encrypt` does.
 *
 * @example
 * ```ts
 * const enc = await encrypt('password: hunter2\n', { format: 'yaml', age: ['age1…'] });
 * ```
 */
export async function encrypt(plaintext: string | Uint8Array, options: EncryptOptions): Promise<string> {
  const out = await encryptToBytes(plaintext, options);
  return new TextDecoder().decode(out);
}

/** Encrypt, returning the exact bytes of the encrypted file. */
export async function encryptToBytes(plaintext: string | Uint8Array, options: EncryptOptions): Promise<Uint8Array> {
  const format = resolveFormat(options.format, options.fileName);
  // Recipients are checked first, as sops parses its key flags before reading the file.
  const groups: MasterKeyRecipient[][] = options.keyGroups
    ? options.keyGroups.map((g) => g.map((r) => (typeof r === 'string' ? new AgeRecipient(r, options.agePlugins?.(r)) : r)))
    : [[...(options.age ?? []).map((r) => new AgeRecipient(r, options.agePlugins?.(r))), ...(options.recipients ?? [])]];
  const inStore = await storeFor(format);
  const branches = atStage('load', () => inStore.loadPlainFile(format === 'binary' ? toBytes(plaintext) : typeof plaintext === 'string' ? plaintext : toBytes(plaintext)));
  if (branches.length === 0) throw new SopsError('ERR_ENCRYPT', 'File cannot be completely empty, it must contain at least one document', { exitCode: 92 });
  // sops asks the output store whether branch 0 already carries metadata.
  const outFormat = options.outputFormat ?? format;
  const outStore = await storeFor(outFormat, options.outputStore ?? {});
  const head = branches.slice(0, 1);
  if (outStore.hasMetadata ? outStore.hasMetadata(head) : head.some((b) => b.has('sops'))) {
    throw new SopsError('ERR_ALREADY_ENCRYPTED', "The file you have provided contains a top-level entry called 'sops', or for flat file formats top-level entries starting with 'sops_'. This is generally due to the file already being encrypted.");
  }
  // Explicit key groups are checked as sops checks them (wrapDataKey: `empty key group provided`).
  if (!options.keyGroups && groups.every((g) => g.length === 0)) throw new SopsError('ERR_NO_KEY', 'No master keys were provided, so sops can\'t encrypt the file.');
  // The binary store ignores the selection rules (sops ≥ 3.11) and writes none.
  let rules: SelectionRules;
  if (format === 'binary') rules = {};
  else rules = normalizeRules(options);
  const dataKey = options.dataKey ?? crypto.getRandomValues(new Uint8Array(32));
  if (dataKey.length !== 32) throw new RangeError('options.dataKey must be 32 bytes');
  const { keyGroups, shamirThreshold: threshold } = await wrapDataKey(groups, dataKey, groups.length > 1 ? options.shamirThreshold ?? 0 : 0);
  const cipher = new ValueCipher(dataKey, options.ivSource ? { ivSource: options.ivSource } : {});
  const metadata: Metadata = {
    keyGroups,
    shamirThreshold: threshold,
    lastModified: formatRfc3339Utc(options.now ?? new Date()),
    mac: '',
    rules,
    version: SOPS_VERSION,
  };
  return encryptWith({ format, branches, metadata, cipher }, options.outputFormat ?? format, options.outputStore ?? {});
}

/**
 * Encrypt a tree with a known cipher and metadata, recomputing the MAC: the
 * step shared by encrypt, edit and re-encryption. The metadata's master
 * keys are written as they are.
 * @internal
 */
export async function encryptWith(
  doc: { format: Format; branches: TreeBranches; metadata: Metadata; cipher: ValueCipher },
  outputFormat: Format = doc.format,
  storeOptions: StoreOptions = {},
): Promise<Uint8Array> {
  const { tree, mac } = await encryptTree(doc.branches, doc.metadata.rules, doc.cipher);
  const encMac = await doc.cipher.encrypt(mac, macAad(doc.metadata.lastModified));
  const metadata: Metadata = { ...doc.metadata, mac: encMac };
  const store = await storeFor(outputFormat, storeOptions);
  return toBytes(atStage('emit', () => store.emitEncryptedFile(tree, metadataToTree(metadata))));
}

/**
 * Re-encrypt a decrypted document as it was: same data key, same IVs (the
 * stash), same `lastmodified` and metadata. For an unchanged document the
 * result is the original file byte for byte.
 * @internal
 */
export async function reencryptDocument(doc: DecryptedDocument, storeOptions: StoreOptions = {}): Promise<Uint8Array> {
  return encryptWith(doc, doc.format, storeOptions);
}

export { Branch };
