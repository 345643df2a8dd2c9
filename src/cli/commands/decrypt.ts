/**
 * `sops-ts decrypt FILE` (and `-d`): print the plaintext sops would print.
 * @module
 */
import { ExitCode } from '../../errors.js';
import { decryptDocument, storeFor } from '../../sops.js';
import { toBytes } from '../../encoding.js';
import { atStage } from '../../errors.js';
import { Branch, Comment, type TreeBranches, type Value } from '../../tree.js';
import type { Store } from '../../stores/store.js';
import { TreeOperationError, isItem, parseTreePath, truncate, type PathComponent } from '../../treepath.js';
import { CliKeys } from '../keys.js';
import { UsageError, configFor, decryptionOrderOf, emit, formats, indentOf, inputFile, one, type CliIo, type Command, type Parsed } from '../common.js';
import { warn } from '../log.js';

export const decryptCommand: Command = {
  valueFlags: ['input-type', 'output-type', 'output', 'decryption-order', 'extract', 'filename-override', 'indent'],
  boolFlags: ['ignore-mac', 'in-place'],
  async run(p, io) {
    await runDecrypt(p, io);
    return 0;
  },
};

async function runDecrypt(p: Parsed, io: CliIo): Promise<void> {
  const { path, configPath, data } = await inputFile(p, io, 'decrypt');
  const f = formats(p, configPath);
  const config = configFor(p, io);
  const decryptionOrder = decryptionOrderOf(p, io);
  let extract: PathComponent[] = [];
  try {
    extract = parseTreePath(one(p, 'extract') ?? '');
  } catch (e) {
    throw new UsageError(`error parsing --extract path: ${e instanceof Error ? e.message : String(e)}`, ExitCode.InvalidTreePathFormat);
  }
  const doc = await decryptDocument(data, {
    format: f.input,
    outputFormat: f.output,
    identities: new CliKeys(io).identities(),
    ignoreMac: p.bools.has('ignore-mac'),
    outputStore: indentOf(p, config, f.output),
    onWarning: (m, fields) => warn(io, m, 'SOPS', fields),
    ...(decryptionOrder ? { decryptionOrder } : {}),
    stash: false, // nothing is re-encrypted
  });
  const store = await storeFor(f.output, indentOf(p, config, f.output));
  const out = extract.length > 0 ? extractBytes(doc.branches, extract, store) : toBytes(atStage('emit', () => store.emitPlainFile(doc.branches)));
  emit(p, io, path, out);
}


/**
 * `--extract` (sops `extract`): a map gives the output store's whole
 * document (the other YAML documents follow it, as in sops), a string its
 * raw bytes, anything else the store's `EmitValue`.
 */
export function extractBytes(branches: TreeBranches, path: readonly PathComponent[], store: Store): Uint8Array {
  let v: ReturnType<typeof truncate>;
  try {
    v = truncate(branches[0] ?? new Branch(), path);
  } catch (e) {
    if (e instanceof TreeOperationError) throw new UsageError(`error truncating tree: ${e.message}`, e.crash ? ExitCode.CouldNotReadInputFile : ExitCode.ErrorGeneric);
    throw e;
  }
  if (v instanceof Branch) return toBytes(atStage('emit', () => store.emitPlainFile([v as Branch, ...branches.slice(1)])));
  if (typeof v === 'string') return toBytes(v);
  if (v instanceof Uint8Array) return Uint8Array.from(v);
  const value: Value = isItem(v) ? itemAsValue(v.item, store.format) : v;
  try {
    return toBytes(store.emitValue(value));
  } catch (e) {
    throw new UsageError(`Error dumping tree: ${e instanceof Error ? e.message : String(e)}`, ExitCode.ErrorDumpingTree);
  }
}

/**
 * A map item reached by an integer index: Go sops emits the `TreeItem`
 * struct itself, which YAML encodes with fields `key`/`value` and JSON with
 * `Key`/`Value` (nested maps become lists of such items).
 */
function itemAsValue(item: { key: unknown; value: Value }, format: string): Value {
  const yaml = format === 'yaml';
  const names = yaml ? ['key', 'value', 'inline'] : ['Key', 'Value', 'Inline'];
  const conv = (x: unknown): Value => {
    if (x instanceof Branch) return x.items.map((it) => itemAsValue(it, format));
    if (Array.isArray(x)) return x.map(conv);
    if (x instanceof Comment) return new Branch([{ key: names[1]!, value: x.value }, { key: names[2]!, value: x.inline }]);
    return x as Value;
  };
  return new Branch([{ key: names[0]!, value: conv(item.key) }, { key: names[1]!, value: conv(item.value) }]);
}
