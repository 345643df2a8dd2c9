/**
 * `sops-ts rotate FILE` (and legacy `sops-ts -r FILE`): a new data key,
 * master keys added (`--add-age`, to the first group) and removed
 * (`--rm-*`, from every group), every value re-encrypted with the new key
 * keeping its IV, a new `lastmodified` and MAC (sops `cmd/sops/rotate.go`).
 * Output to stdout, `--output FILE` or `-i`.
 * @module
 */
import { existsSync } from 'node:fs';
import { readFileGo } from '../../node/files.js';
import { resolve } from 'node:path';
import { creationRuleFor } from '../../config.js';
import { ExitCode, SopsError } from '../../errors.js';
import type { MasterKeyRecipient } from '../../keysource.js';
import { rotateDocument } from '../../rekey.js';
import { decryptDocument } from '../../sops.js';
import { CliKeys } from '../keys.js';
import { UsageError, configFor, decryptionOrderOf, emit, formats, indentOf, one, type CliIo, type Command, type Parsed } from '../common.js';
import { warnExtraArguments, warn } from '../log.js';

const KINDS = ['kms', 'pgp', 'gcp-kms', 'hckms', 'azure-kv', 'hc-vault-transit', 'age'] as const;

export const rotateCommand: Command = {
  valueFlags: [
    'input-type', 'output-type', 'output', 'encryption-context', 'aws-profile', 'filename-override', 'decryption-order', 'keyservice',
    ...KINDS.flatMap((k) => [`add-${k}`, `rm-${k}`]),
  ],
  boolFlags: ['in-place'],
  async run(p, io) {
    await runRotate(p, io);
    return 0;
  },
};

/** Key services other than the local one are not available in sops-ts. */
export function refuseKeyservice(p: Parsed, io: CliIo): void {
  const ks = p.flags.get('keyservice') ?? (io.env['SOPS_KEYSERVICE'] ? [io.env['SOPS_KEYSERVICE']] : []);
  if (ks.some((k) => k !== '')) throw new UsageError('remote key services (--keyservice, SOPS_KEYSERVICE) are not supported by sops-ts; use Go sops', ExitCode.ErrorGeneric);
}

/**
 * A load error of a decrypting command, as sops's `decrypt` path reports it:
 * the store's message as it is, exit 1 (main.ts would word it as encrypt's).
 */
export function asDecryptError(e: unknown): unknown {
  if (e instanceof SopsError && e.stage === 'load') return new UsageError(e.message, ExitCode.ErrorGeneric);
  return e;
}

/** The keys named by `--add-*` or `--rm-*` (sops `getMasterKeys`): parsed as the key flags are; removal goes by name. */
async function keysOf(p: Parsed, keys: CliKeys, prefix: 'add' | 'rm'): Promise<{ recipients: MasterKeyRecipient[]; names: string[] }> {
  const recipients: MasterKeyRecipient[] = [];
  for (const kind of KINDS) {
    const v = one(p, `${prefix}-${kind}`);
    if (v === undefined || v === '') continue;
    recipients.push(...(await keys.fromFlag(p, kind, v)));
  }
  return { recipients, names: recipients.map((r) => r.name) };
}

async function runRotate(p: Parsed, io: CliIo): Promise<void> {
  const legacy = p.bools.has('rotate');
  if (p.files.length < 1) throw new UsageError('Error: no file specified', ExitCode.NoFileSpecified);
  warnExtraArguments(p, io);
  if (p.bools.has('in-place') && one(p, 'output') !== undefined && one(p, 'output') !== '') {
    throw new UsageError('Error: cannot operate on both --output and --in-place', ExitCode.ErrorConflictingParameters);
  }
  const path = resolve(io.cwd, p.files[0]!);
  if (!existsSync(path)) {
    const changes = KINDS.some((k) => (one(p, `add-${k}`) ?? '') !== '' || (one(p, `rm-${k}`) ?? '') !== '');
    if (changes) {
      throw new UsageError(
        legacy
          ? `Error: cannot add or remove keys on non-existent file "${path}", use \`--kms\` and \`--pgp\` instead.`
          : `Error: cannot add or remove keys on non-existent file "${path}", use the \`edit\` subcommand instead.`,
        ExitCode.CannotChangeKeysFromNonExistentFile,
      );
    }
    if (legacy) throw new UsageError(`Error: cannot operate on non-existent file "${path}"`, ExitCode.NoFileSpecified);
  }
  const override = one(p, 'filename-override');
  const namePath = override !== undefined && override !== '' ? resolve(io.cwd, override) : path;
  const config = configFor(p, io);
  // The legacy form loads the creation rule too, and fails on a config without a match.
  if (legacy && config !== undefined) creationRuleFor(config.config, config.dir, namePath);
  const f = formats(p, namePath);
  refuseKeyservice(p, io);
  const decryptionOrder = decryptionOrderOf(p, io);
  const keys = new CliKeys(io);
  const add = await keysOf(p, keys, 'add');
  const rm = await keysOf(p, keys, 'rm');
  let data: Uint8Array;
  try {
    data = readFileGo(path);
  } catch (e) {
    throw new UsageError(`Error reading file: ${e instanceof Error ? e.message : String(e)}`, ExitCode.CouldNotReadInputFile);
  }
  let out: Uint8Array;
  try {
    const doc = await decryptDocument(data, {
      format: f.input,
      identities: keys.identities(),
      ignoreMac: legacy && p.bools.has('ignore-mac'),
      onWarning: (m, fields) => warn(io, m, 'SOPS', fields),
      ...(decryptionOrder ? { decryptionOrder } : {}),
    });
    out = await rotateDocument(doc, { add: add.recipients, remove: rm.names, outputFormat: f.output, outputStore: indentOf(p, config, f.output), recipientFor: keys.resolver() });
  } catch (e) {
    throw asDecryptError(e);
  }
  emit(p, io, path, out);
}

export { decryptionOrderOf } from '../common.js';
