/**
 * `sops-ts set [--idempotent] [--value-file|--value-stdin] FILE PATH [VALUE]`
 * and the legacy `sops-ts --set 'PATH VALUE' FILE`: decrypt, set one value,
 * re-encrypt with the same data key (unchanged values keep their
 * ciphertext), new `lastmodified` and MAC, write the file in place.
 * Shared with `unset`: the load/decrypt/re-encrypt/write steps.
 * @module
 */
import { readFileSync } from 'node:fs';
import { readFileGo } from '../../node/files.js';
import { resolve } from 'node:path';
import { ExitCode, SopsError } from '../../errors.js';
import { decryptDocument, encryptWith, storeFor, type DecryptedDocument } from '../../sops.js';
import { goFsError } from '../../node/age-keys.js';
import { writeFileAtomic } from '../../node/files.js';
import { formatRfc3339Utc } from '../../time.js';
import type { Value } from '../../tree.js';
import { TreeOperationError, parseTreePath, setValue, type PathComponent } from '../../treepath.js';
import { CliKeys } from '../keys.js';
import { UsageError, configFor, decryptionOrderOf, formats, indentOf, one, type CliIo, type Command, type Parsed } from '../common.js';
import { warn } from '../log.js';

export const setCommand: Command = {
  valueFlags: ['input-type', 'output-type', 'shamir-secret-sharing-threshold', 'decryption-order', 'keyservice'],
  boolFlags: ['value-file', 'value-stdin', 'ignore-mac', 'idempotent'],
  async run(p, io) {
    return p.flags.has('set') ? runLegacySet(p, io) : runSet(p, io);
  },
};

/**
 * A value for `set` as sops's `jsonValueToTreeInsertableValue`: Go
 * `encoding/json` (numbers are float64), objects through the JSON store
 * (numbers typed int/float as in a file), a top-level array refused.
 */
export async function parseSetValue(json: string): Promise<Value> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new UsageError('Value for --set is not valid JSON', ExitCode.ErrorInvalidSetFormat);
  }
  if (typeof parsed === 'number' && !Number.isFinite(parsed)) throw new UsageError('Value for --set is not valid JSON', ExitCode.ErrorInvalidSetFormat);
  if (parsed !== null && typeof parsed === 'object') {
    const store = await storeFor('json');
    try {
      return store.loadPlainFile(json)[0]!;
    } catch {
      throw new UsageError('Invalid --set value format', ExitCode.ErrorInvalidSetFormat);
    }
  }
  // Go decodes a lone surrogate escape as U+FFFD.
  if (typeof parsed === 'string') return parsed.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  return parsed as Value;
}

/** Read and decrypt an encrypted file for set/unset; loader errors are reported as sops does (exit 1). */
export async function loadForEdit(p: Parsed, io: CliIo, path: string, order: string[] | undefined): Promise<DecryptedDocument> {
  let data: Uint8Array;
  try {
    data = readFileGo(path);
  } catch (e) {
    throw new UsageError(`Error reading file: ${e instanceof Error ? e.message : String(e)}`, ExitCode.CouldNotReadInputFile);
  }
  try {
    return await decryptDocument(data, {
      format: formats(p, path).input,
      identities: new CliKeys(io).identities(),
      ignoreMac: p.bools.has('ignore-mac'),
      onWarning: (m, fields) => warn(io, m, 'SOPS', fields),
      ...(order ? { decryptionOrder: order } : {}),
    });
  } catch (e) {
    if (e instanceof SopsError && e.stage === 'load' && e.code !== 'ERR_ALREADY_ENCRYPTED') throw new UsageError(e.message, ExitCode.ErrorGeneric);
    throw e;
  }
}

/** Re-encrypt with the same data key and IV stash, a new `lastmodified`, in the output format. */
export async function reencryptForEdit(p: Parsed, io: CliIo, path: string, doc: DecryptedDocument): Promise<Uint8Array> {
  const f = formats(p, path);
  const config = configFor(p, io);
  const metadata = { ...doc.metadata, lastModified: formatRfc3339Utc(new Date()) };
  return encryptWith({ format: doc.format, branches: doc.branches, metadata, cipher: doc.cipher }, f.output, indentOf(p, config, f.output));
}

/** Write the file in place (sops opens it only after the tree operations succeeded). */
export function writeInPlace(path: string, out: Uint8Array): void {
  try {
    writeFileAtomic(path, out);
  } catch (e) {
    throw new UsageError(`Could not open in-place file for writing: ${goFsError('open', path, e)}`, ExitCode.CouldNotWriteOutputFile);
  }
}

async function readStdin(io: CliIo): Promise<Uint8Array> {
  if (io.stdin !== undefined) return io.stdin();
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return new Uint8Array(Buffer.concat(chunks));
}

/** Set the value, refuse a top-level `sops` key, re-encrypt. Returns the output and whether the tree changed. */
async function setAndEncrypt(p: Parsed, io: CliIo, path: string, treePath: PathComponent[], value: Value, order: string[] | undefined): Promise<{ out: Uint8Array; changed: boolean }> {
  // The output store and its config are resolved before the file is read, as sops does.
  const f = formats(p, path);
  configFor(p, io);
  const doc = await loadForEdit(p, io, path, order);
  const branch = doc.branches[0]!;
  let changed: boolean;
  try {
    changed = setValue(branch, treePath, value);
  } catch (e) {
    if (e instanceof TreeOperationError) throw new UsageError(`Error: ${e.message}`, ExitCode.CouldNotReadInputFile);
    throw e;
  }
  const outStore = await storeFor(f.output);
  if (outStore.hasMetadata ? outStore.hasMetadata([branch]) : branch.has('sops')) {
    throw new SopsError('ERR_ALREADY_ENCRYPTED', 'File already encrypted');
  }
  return { out: await reencryptForEdit(p, io, path, doc), changed };
}

/**
 * The FILE and PATH arguments of `set`/`unset`, checked in sops's order: the
 * formats and the config are read first (a broken `.sops.yaml` fails), then
 * the tree path (`Invalid <command> index format`, exit 7).
 */
export function fileAndTreePath(p: Parsed, io: CliIo, command: 'set' | 'unset'): { path: string; treePath: PathComponent[] } {
  const path = resolve(io.cwd, p.files[0]!);
  formats(p, path);
  configFor(p, io);
  try {
    return { path, treePath: parseTreePath(p.files[1]!) };
  } catch {
    throw new UsageError(`Invalid ${command} index format`, ExitCode.ErrorInvalidSetFormat);
  }
}

async function runSet(p: Parsed, io: CliIo): Promise<number> {
  const valueFile = p.bools.has('value-file');
  const valueStdin = p.bools.has('value-stdin');
  if (valueFile && valueStdin) throw new UsageError('Error: cannot use both --value-file and --value-stdin', ExitCode.ErrorGeneric);
  if (valueStdin) {
    if (p.files.length !== 2) throw new UsageError('Error: file specified, or index and value are missing. Need precisely 2 positional arguments since --value-stdin is used.', ExitCode.NoFileSpecified);
  } else if (p.files.length !== 3) {
    throw new UsageError('Error: no file specified, or index and value are missing. Need precisely 3 positional arguments.', ExitCode.NoFileSpecified);
  }
  const { path, treePath } = fileAndTreePath(p, io, 'set');
  let data: string;
  if (valueStdin) {
    data = new TextDecoder().decode(await readStdin(io));
  } else if (valueFile) {
    const name = p.files[2]!;
    try {
      data = readFileSync(resolve(io.cwd, name), 'utf8');
    } catch (e) {
      throw new UsageError(goFsError('open', name, e), ExitCode.ErrorGeneric);
    }
  } else {
    data = p.files[2]!;
  }
  const value = await parseSetValue(data);
  const order = decryptionOrderOf(p, io);
  const { out, changed } = await setAndEncrypt(p, io, path, treePath, value, order);
  if (!changed && p.bools.has('idempotent')) return 0;
  writeInPlace(path, out);
  return 0;
}

/** `sops --set 'PATH VALUE' FILE`: always written in place. */
async function runLegacySet(p: Parsed, io: CliIo): Promise<number> {
  if (p.files.length < 1) throw new UsageError('Error: no file specified', ExitCode.NoFileSpecified);
  if (p.bools.has('in-place') && one(p, 'output') !== undefined && one(p, 'output') !== '') {
    throw new UsageError('Error: cannot operate on both --output and --in-place', ExitCode.ErrorConflictingParameters);
  }
  const path = resolve(io.cwd, p.files[0]!);
  configFor(p, io);
  const order = decryptionOrderOf(p, io);
  const set = one(p, 'set')!;
  // "python-dict-index json-value": split after the first "] ".
  const at = set.indexOf('] ');
  if (at < 0) throw new UsageError('Invalid --set format', ExitCode.ErrorInvalidSetFormat);
  const fullPath = set.slice(0, at + 2).replace(/ +$/, '');
  const value = await parseSetValue(set.slice(at + 2));
  let treePath: PathComponent[];
  try {
    treePath = parseTreePath(fullPath);
  } catch {
    throw new UsageError('Invalid --set format', ExitCode.ErrorInvalidSetFormat);
  }
  const { out } = await setAndEncrypt(p, io, path, treePath, value, order);
  writeInPlace(path, out);
  return 0;
}

export { decryptionOrderOf } from '../common.js';
