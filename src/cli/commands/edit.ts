/**
 * `sops-ts edit FILE` (and the bare `sops-ts FILE`): decrypt to a private
 * temporary file, run the editor, re-encrypt with the same data key, as sops
 * 3.13's `cmd/sops/edit.go`. A file that does not exist is created from the
 * store's example document, with keys from the flags or `.sops.yaml`.
 *
 * The plaintext only ever lives in a fresh 0700 directory, in a file created
 * 0600, removed on every exit path (see `node/editor.ts`).
 * @module
 */
import { readFileSync, statSync } from 'node:fs';
import { readFileGo } from '../../node/files.js';
import { basename, resolve } from 'node:path';
import { ValueCipher } from '../../cipher.js';
import { creationRuleFor } from '../../config.js';
import { ExitCode, SopsError } from '../../errors.js';
import { wrapDataKey } from '../../keysource.js';
import { SOPS_VERSION, metadataFromTree, metadataToTree, type Metadata } from '../../metadata.js';

import { decryptDocument, encryptWith, storeFor } from '../../sops.js';
import type { Format, Store } from '../../stores/store.js';
import { formatRfc3339Utc } from '../../time.js';
import type { TreeBranches } from '../../tree.js';
import { normalizeRules, type SelectionRules } from '../../walk.js';
import { goFsError } from '../../node/age-keys.js';
import { EditorError, createPlaintextFile, editorCommand, runEditor, waitForKeyPress, withCancellation, type EditorRun } from '../../node/editor.js';
import { writeFileAtomic } from '../../node/files.js';
import { ALREADY_ENCRYPTED, UsageError, configFor, decryptionOrderOf, formats, indentOf, one, type CliIo, type Command, type Parsed } from '../common.js';
import { logrusLine, warnExtraArguments, warn } from '../log.js';
import { CliKeys, KEY_VALUE_FLAGS } from '../keys.js';
import { goQuote } from '../../gofmt.js';


export const editCommand: Command = {
  valueFlags: [
    ...KEY_VALUE_FLAGS, 'input-type', 'output-type', 'unencrypted-suffix', 'encrypted-suffix', 'unencrypted-regex', 'encrypted-regex',
    'encryption-context', 'shamir-secret-sharing-threshold', 'decryption-order', 'keyservice',
    // legacy-mode only in sops (global flags), accepted for `sops-ts FILE`
    'encrypted-comment-regex', 'unencrypted-comment-regex',
  ],
  boolFlags: ['show-master-keys', 'ignore-mac'],
  async run(p, io) {
    return runEdit(p, io);
  },
};

/** Test seam: how the "Press enter to return to the editor" pause waits. */
export const editHooks: { waitForKeyPress: () => { done: Promise<void>; stop: () => void } } = { waitForKeyPress };

const PRESS_KEY = 'Press enter to return to the editor, or Ctrl+C to exit.';

/** The example documents sops 3.13 starts a new file from (`EmitExample`), before the store re-reads them. */
const HELLO = 'Welcome to SOPS! Edit this file as you please!';
const EXAMPLES: Record<Format, string> = {
  yaml: `hello: ${HELLO}\nexample_key: example_value\n# Example comment\nexample_array:\n    - example_value1\n    - example_value2\nexample_number: 1234.56789\nexample_booleans:\n    - true\n    - false\n`,
  json: `{\n\t"hello": "${HELLO}",\n\t"example_key": "example_value",\n\t"example_array": [\n\t\t"example_value1",\n\t\t"example_value2"\n\t],\n\t"example_number": 1234.56789,\n\t"example_booleans": [\n\t\ttrue,\n\t\tfalse\n\t]\n}\n`,
  dotenv: `# This is an example file.\nhello=${HELLO}\nexample_key=example_value\nexample_multiline=foo\\nbar\\nbaz\n`,
  ini: `; This is an example file.\n[Welcome!]\nhello       = ${HELLO}\nexample_key = example_value\n`,
  binary: HELLO,
};

/** A line from sops's `CMD` logger. */
function log(io: CliIo, level: 'error' | 'warning', msg: string, fields: Record<string, string> = {}): void {
  io.stderr(logrusLine('CMD', level, msg, fields));
}

// ------------------------------------------------------------------ versions

/** blang/semver `Make`, enough for sops's `AIsNewerThanB`. */
function parseSemver(s: string): { nums: bigint[]; pre: string[] } {
  if (s === '') throw new Error('Version string empty');
  const parts = s.split('.');
  if (parts.length < 3) throw new Error('No Major.Minor.Patch elements found');
  const major = parts[0]!;
  const minor = parts[1]!;
  let patch = parts.slice(2).join('.');
  let build: string[] = [];
  let pre: string[] = [];
  const b = patch.indexOf('+');
  if (b >= 0) {
    build = patch.slice(b + 1).split('.');
    patch = patch.slice(0, b);
  }
  const d = patch.indexOf('-');
  if (d >= 0) {
    pre = patch.slice(d + 1).split('.');
    patch = patch.slice(0, d);
  }
  const num = (v: string, name: string, Name: string): bigint => {
    if (!/^[0-9]*$/.test(v)) throw new Error(`Invalid character(s) found in ${name} number ${goQuote(v)}`);
    if (v.length > 1 && v.startsWith('0')) throw new Error(`${Name} number must not contain leading zeroes ${goQuote(v)}`);
    if (v === '') throw new Error(`strconv.ParseUint: parsing "": invalid syntax`);
    return BigInt(v);
  };
  const nums = [num(major, 'major', 'Major'), num(minor, 'minor', 'Minor'), num(patch, 'patch', 'Patch')];
  for (const p of pre) {
    if (p === '') throw new Error('Prerelease is empty');
    if (/^[0-9]+$/.test(p)) {
      if (p.length > 1 && p.startsWith('0')) throw new Error(`Numeric PreRelease version must not contain leading zeroes ${goQuote(p)}`);
    } else if (!/^[0-9A-Za-z-]+$/.test(p)) throw new Error(`Invalid character(s) found in prerelease ${goQuote(p)}`);
  }
  for (const x of build) {
    if (x === '') throw new Error('Build meta data is empty');
    if (!/^[0-9A-Za-z-]+$/.test(x)) throw new Error(`Invalid character(s) found in build meta data ${goQuote(x)}`);
  }
  return { nums, pre };
}
function comparePre(a: string[], b: string[]): number {
  if (a.length === 0 && b.length === 0) return 0;
  if (a.length === 0) return 1;
  if (b.length === 0) return -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    const xn = /^[0-9]+$/.test(x);
    const yn = /^[0-9]+$/.test(y);
    if (xn && yn) {
      const c = BigInt(x) - BigInt(y);
      if (c !== 0n) return c > 0n ? 1 : -1;
    } else if (xn !== yn) return xn ? -1 : 1;
    else if (x !== y) return x > y ? 1 : -1;
  }
  return a.length === b.length ? 0 : a.length > b.length ? 1 : -1;
}
/** sops `version.AIsNewerThanB`. */
export function versionIsNewer(a: string, b: string): boolean {
  if (b.startsWith('1.')) return true;
  const va = parseSemver(a.replace(/^v/, ''));
  const vb = parseSemver(b.replace(/^v/, ''));
  for (let i = 0; i < 3; i++) {
    if (va.nums[i]! !== vb.nums[i]!) return va.nums[i]! > vb.nums[i]!;
  }
  return comparePre(va.pre, vb.pre) > 0;
}

// ------------------------------------------------------------------ the command

interface Session {
  input: Format;
  output: Format;
  inStore: Store;
  outStore: Store;
  branches: TreeBranches;
  metadata: Metadata;
  cipher: ValueCipher;
  showMasterKeys: boolean;
  /** Output store options (indentation). */
  storeOptions: { indent?: number };
  /** Set once the user cancelled (signal): the loop must not go on. */
  cancelled?: boolean;
}

async function runEdit(p: Parsed, io: CliIo): Promise<number> {
  if (p.files.length === 0) throw new UsageError('Error: no file specified', ExitCode.NoFileSpecified);
  warnExtraArguments(p, io);
  const path = resolve(io.cwd, p.files[0]!);
  // Only the legacy form (`sops --filename-override X FILE`) has this flag.
  const override = one(p, 'filename-override') ?? '';
  const configPath = override === '' ? path : resolve(io.cwd, override);
  const f = formats(p, configPath);
  const config = configFor(p, io);
  const decryptionOrder = decryptionOrderOf(p, io);
  const storeOptions = indentOf(p, config, f.output);
  const [inStore, outStore] = [await storeFor(f.input), await storeFor(f.output, storeOptions)];
  const showMasterKeys = p.bools.has('show-master-keys');

  let exists = true;
  try {
    statSync(path);
  } catch {
    exists = false;
  }
  let session: Session;
  if (exists) {
    let data: Uint8Array;
    try {
      data = readFileGo(path);
    } catch (e) {
      throw new UsageError(`Error reading file: ${e instanceof Error ? e.message : String(e)}`, ExitCode.CouldNotReadInputFile);
    }
    let doc;
    try {
      doc = await decryptDocument(data, {
        format: f.input,
        identities: new CliKeys(io).identities(),
        ignoreMac: p.bools.has('ignore-mac'),
        onWarning: (m, fields) => warn(io, m, 'SOPS', fields),
        ...(decryptionOrder ? { decryptionOrder } : {}),
      });
    } catch (e) {
      // sops edit returns the loader's error as it is (exit 1).
      if (e instanceof SopsError && e.stage === 'load') throw new UsageError(e.message, ExitCode.ErrorGeneric);
      throw e;
    }
    session = { input: f.input, output: f.output, inStore, outStore, branches: doc.branches, metadata: doc.metadata, cipher: doc.cipher, showMasterKeys, storeOptions };
  } else {
    session = { ...(await newFileSession(p, io, configPath, f.input, f.output, inStore, outStore, config, showMasterKeys)), storeOptions };
  }

  const out = await editSession(io, path, session);
  if (typeof out === 'number') return out;
  try {
    writeFileAtomic(path, out);
  } catch (e) {
    throw new UsageError(`Could not open in-place file for writing: ${goFsError('open', path, e)}`, ExitCode.CouldNotWriteOutputFile);
  }
  return 0;
}

/** A new file: the example document and a fresh data key for the keys from flags or `.sops.yaml` (sops `getEncryptConfig`). */
async function newFileSession(
  p: Parsed, io: CliIo, configPath: string, input: Format, output: Format, inStore: Store, outStore: Store,
  config: ReturnType<typeof configFor>, showMasterKeys: boolean,
): Promise<Omit<Session, 'storeOptions'>> {
  const rule = config === undefined ? undefined : creationRuleFor(config.config, config.dir, configPath);
  const fromConfig = rule?.rules ?? {};
  const pick = (flag: string, field: keyof Omit<SelectionRules, 'macOnlyEncrypted'>) => {
    const v = one(p, flag);
    return v !== undefined && v !== '' ? v : fromConfig[field];
  };
  let rules: SelectionRules = {
    unencryptedSuffix: pick('unencrypted-suffix', 'unencryptedSuffix'),
    encryptedSuffix: pick('encrypted-suffix', 'encryptedSuffix'),
    unencryptedRegex: pick('unencrypted-regex', 'unencryptedRegex'),
    encryptedRegex: pick('encrypted-regex', 'encryptedRegex'),
    encryptedCommentRegex: pick('encrypted-comment-regex', 'encryptedCommentRegex'),
    unencryptedCommentRegex: pick('unencrypted-comment-regex', 'unencryptedCommentRegex'),
  };
  let macOnlyEncrypted = p.bools.has('mac-only-encrypted') || fromConfig.macOnlyEncrypted === true;
  if (input === 'binary') {
    const name = 'binary';
    const warn = (v: string | undefined, what: string, why = 'produces one key that should always be encrypted') => {
      if (v !== undefined && v !== '') log(io, 'warning', `Using ${what} does not make sense with the input store (the ${name} store ${why}) and will be ignored.`);
    };
    warn(rules.unencryptedSuffix, 'an unencrypted suffix');
    warn(rules.encryptedSuffix, 'an encrypted suffix');
    warn(rules.encryptedRegex, 'an encrypted regex');
    warn(rules.unencryptedRegex, 'an unencrypted regex');
    warn(rules.encryptedCommentRegex, 'an encrypted comment regex', 'never produces comments');
    rules = {};
    macOnlyEncrypted = false;
  } else {
    const clean = Object.fromEntries(Object.entries(rules).filter(([, v]) => v !== undefined && v !== '')) as SelectionRules;
    if (Object.keys(clean).length > 1) {
      throw new UsageError(
        'Error: cannot use more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex, encrypted_comment_regex, or unencrypted_comment_regex in the same file',
        ExitCode.ErrorConflictingParameters,
      );
    }
    rules = normalizeRules({ ...clean, macOnlyEncrypted });
  }

  // Keys: any key flag (or its variable) replaces the config's keys.
  const keys = new CliKeys(io);
  const recipients = await keys.keyGroups(p, await keys.groupFromFlags(p), rule);
  const thresholdFlag = one(p, 'shamir-secret-sharing-threshold');
  const shamir = thresholdFlag !== undefined ? Number(thresholdFlag) : rule?.shamirThreshold ?? 0;

  // The example document, as the store re-reads it.
  let branches: TreeBranches;
  try {
    branches = inStore.loadPlainFile(input === 'binary' ? new TextEncoder().encode(EXAMPLES.binary) : EXAMPLES[input]);
  } catch (e) {
    throw new UsageError(`Error unmarshalling file: ${e instanceof Error ? e.message : String(e)}`, ExitCode.CouldNotReadInputFile);
  }

  // A fresh data key, wrapped (or split and wrapped) for the key groups.
  const dataKey = crypto.getRandomValues(new Uint8Array(32));
  let wrapped: Awaited<ReturnType<typeof wrapDataKey>>;
  try {
    wrapped = await wrapDataKey(recipients, dataKey, recipients.length > 1 ? shamir : 0);
  } catch (e) {
    // sops edit words a key failure its own way (exit 128).
    const m = e instanceof Error ? e.message.replace(/^Could not generate data key: /, '') : String(e);
    throw new UsageError(`Error encrypting the data key with one or more master keys: ${m}`, ExitCode.CouldNotRetrieveKey);
  }
  const { keyGroups, shamirThreshold: threshold } = wrapped;
  const metadata: Metadata = {
    keyGroups,
    shamirThreshold: threshold,
    lastModified: '0001-01-01T00:00:00Z',
    mac: '',
    rules,
    version: SOPS_VERSION,
  };
  return { input, output, inStore, outStore, branches, metadata, cipher: new ValueCipher(dataKey), showMasterKeys };
}

function bytesOf(x: string | Uint8Array): Uint8Array {
  return typeof x === 'string' ? new TextEncoder().encode(x) : x;
}
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The editing itself (sops `editTree`): returns the encrypted file, or an
 * exit code when nothing is to be written. Throws for errors.
 */
async function editSession(io: CliIo, target: string, s: Session): Promise<Uint8Array | number> {
  let text: Uint8Array;
  try {
    text = bytesOf(s.showMasterKeys ? s.outStore.emitEncryptedFile(s.branches, metadataToTree(s.metadata)) : s.outStore.emitPlainFile(s.branches));
  } catch (e) {
    throw new UsageError(`Could not marshal tree: ${e instanceof Error ? e.message : String(e)}`, ExitCode.ErrorDumpingTree);
  }
  let file;
  try {
    file = createPlaintextFile(basename(target), text, io.env);
  } catch (e) {
    throw new UsageError(`Could not create temporary file: ${e instanceof Error ? e.message : String(e)}`, ExitCode.CouldNotWriteOutputFile);
  }
  const original = text;
  let editor: EditorRun | undefined;
  let pause: { stop: () => void } | undefined;
  try {
    return await withCancellation(() => editLoop(io, s, file.path, original, (r) => (editor = r), (w) => (pause = w)), {
      onCancel: () => {
        s.cancelled = true;
        file.remove();
        editor?.stop();
        pause?.stop();
      },
      onExit: () => file.remove(),
      cancelError: () => new UsageError('User canceled operation', ExitCode.ErrorGeneric),
    });
  } finally {
    file.remove();
    original.fill(0);
  }
}

async function editLoop(
  io: CliIo, s: Session, tmp: string, original: Uint8Array,
  setEditor: (r: EditorRun) => void, setPause: (w: { stop: () => void }) => void,
): Promise<Uint8Array | number> {
  const pauseForUser = async () => {
    const w = editHooks.waitForKeyPress();
    setPause(w);
    await w.done;
  };
  const cancelled = new UsageError('User canceled operation', ExitCode.ErrorGeneric);
  for (;;) {
    if (s.cancelled) throw cancelled;
    try {
      const cmd = editorCommand(io.env, io.cwd);
      const run = runEditor(cmd, tmp, io.env, io.cwd);
      setEditor(run);
      await run.done;
    } catch (e) {
      if (s.cancelled) throw cancelled;
      if (e instanceof EditorError) throw new UsageError(`Could not run editor: ${e.message}`, ExitCode.NoEditorFound);
      throw e;
    }
    if (s.cancelled) throw cancelled;
    let edited: Uint8Array;
    try {
      edited = new Uint8Array(readFileSync(tmp));
    } catch (e) {
      throw new UsageError(`Could not hash file: ${goFsError('open', tmp, e)}`, ExitCode.CouldNotReadInputFile);
    }
    if (sameBytes(edited, original)) throw new UsageError('File has not changed, exiting.', ExitCode.FileHasNotBeenModified);
    let branches: TreeBranches;
    try {
      branches = s.inStore.loadPlainFile(s.input === 'binary' ? edited : new TextDecoder().decode(edited));
    } catch (e) {
      edited.fill(0);
      log(io, 'error', `Could not load tree, probably due to invalid syntax. ${PRESS_KEY}`, { error: e instanceof Error ? e.message : String(e) });
      await pauseForUser();
      continue;
    }
    let metadata = s.metadata;
    if (s.showMasterKeys) {
      // The file is not encrypted, but it carries the metadata: take both from it.
      try {
        const parts = s.inStore.loadEncryptedFile(s.input === 'binary' ? edited : new TextDecoder().decode(edited));
        metadata = metadataFromTree(parts.metadata);
        branches = parts.branches;
      } catch (e) {
        edited.fill(0);
        log(io, 'error', `SOPS metadata is invalid. ${PRESS_KEY}`, { error: e instanceof Error ? e.message : String(e) });
        await pauseForUser();
        continue;
      }
    } else {
      const head = branches.slice(0, 1);
      const invalid = branches.length < 1
        ? 'File cannot be completely empty, it must contain at least one document'
        : (s.outStore.hasMetadata ? s.outStore.hasMetadata(head) : head.some((b) => b.has('sops')))
          ? ALREADY_ENCRYPTED
          : undefined;
      if (invalid !== undefined) {
        edited.fill(0);
        log(io, 'error', `Tree not valid for encryption. ${PRESS_KEY}`, { error: invalid });
        await pauseForUser();
        continue;
      }
    }
    edited.fill(0);
    let newer: boolean;
    try {
      newer = versionIsNewer(SOPS_VERSION, metadata.version);
    } catch (e) {
      throw new UsageError(
        `Failed to compare document version ${goQuote(metadata.version)} with program version ${goQuote(SOPS_VERSION)}: ${e instanceof Error ? e.message : String(e)}`,
        ExitCode.FailedToCompareVersions,
      );
    }
    if (newer) metadata = { ...metadata, version: SOPS_VERSION };
    if (metadata.keyGroups.flat().length === 0) {
      log(io, 'error', `No master keys were provided, so sops can't encrypt the file. ${PRESS_KEY}`);
      await pauseForUser();
      continue;
    }
    if (s.showMasterKeys) {
      // sops 3.13 checks the text shown with -s but then re-encrypts the tree
      // it had before the editor ran (the edited tree only replaces a copy
      // of its pointer): data and metadata edits are dropped, only
      // lastmodified and the MAC change. Kept as is, so a hand-damaged key
      // in the shown metadata can never make the file undecryptable.
      branches = s.branches;
      metadata = s.metadata;
    }
    metadata = { ...metadata, lastModified: formatRfc3339Utc(new Date()) };
    if (s.cancelled) throw cancelled;
    return encryptWith({ format: s.input, branches, metadata, cipher: s.cipher }, s.output, s.storeOptions);
  }
}

