/**
 * `sops-ts groups add --file FILE [--age R…] [--shamir-secret-sharing-threshold N]`
 * and `sops-ts groups delete --file FILE INDEX` (sops
 * `cmd/sops/subcommand/groups`): add or remove a key group, wrapping the
 * existing data key again (Shamir re-split). Values, MAC and `lastmodified`
 * are written back as they were. Output to stdout, or `-i`.
 * @module
 */
import { readFileGo } from '../../node/files.js';
import { ExitCode, NoDataKeyError, SopsError } from '../../errors.js';
import { getDataKey, type MasterKeyIdentity } from '../../keysource.js';
import { splitRecipients } from '../../keysources/age.js';
import { normalizeFingerprint } from '../../node/pgp-gpg.js';
import { CliKeys } from '../keys.js';
import { VaultTransitRecipient, parseVaultTransitUri } from '../../keysources/hc-vault.js';
import { vaultTransitOptions } from '../../node/hc-vault.js';
import { writeFileAtomic } from '../../node/files.js';
import { emitEncrypted, loadEncrypted, rewrapMetadata, type EncryptedFile, type KeyEntry } from '../../rekey.js';
import type { Metadata } from '../../metadata.js';
import { UsageError, configFor, formats, indentOf, one, type CliIo, type Command, type Parsed } from '../common.js';
import { refuseKeyservice } from './rotate.js';
import { logrusLine } from '../log.js';

const OTHER_KINDS = ['pgp', 'kms', 'gcp-kms', 'hckms', 'azure-kv', 'hc-vault-transit'] as const;

export const groupsCommand: Command = {
  valueFlags: ['file', 'f', 'age', ...OTHER_KINDS, 'aws-profile', 'shamir-secret-sharing-threshold', 'encryption-context', 'keyservice'],
  boolFlags: ['in-place'],
  async run(p, io) {
    const sub = p.files[0];
    const rest: Parsed = { ...p, files: p.files.slice(1) };
    if (sub === 'add') return groupsAdd(rest, io);
    if (sub === 'delete') return groupsDelete(rest, io);
    io.stdout(GROUPS_HELP);
    return 0;
  },
};

const GROUPS_HELP = `NAME:
   sops-ts groups - modify the groups on a SOPS file

USAGE:
   sops-ts groups command [command options] [arguments...]

COMMANDS:
   add     add a new group to a SOPS file
   delete  delete a key group from a SOPS file
`;

/** An error sops reports through `log.Fatal`: a logrus line, exit 1. */
function fatal(message: string): UsageError {
  return new UsageError(logrusLine('CMD', 'fatal', message).replace(/\n$/, ''), ExitCode.ErrorGeneric);
}

function threshold(p: Parsed): number {
  const v = one(p, 'shamir-secret-sharing-threshold');
  if (v === undefined) return 0;
  if (!/^[+-]?\d+$/.test(v)) throw new UsageError(`invalid value "${v}" for flag -shamir-secret-sharing-threshold: parse error`, ExitCode.ErrorGeneric);
  return Number(v);
}

async function load(p: Parsed, io: CliIo): Promise<{ path: string; file: EncryptedFile; dataKey: Uint8Array }> {
  const name = one(p, 'file') ?? one(p, 'f') ?? '';
  configFor(p, io); // a broken .sops.yaml fails, as sops's store lookup does
  refuseKeyservice(p, io);
  const path = name === '' ? '' : name.startsWith('/') ? name : `${io.cwd}/${name}`;
  let data: Uint8Array;
  try {
    if (name === '') throw new Error('open : no such file or directory');
    data = readFileGo(path, name);
  } catch (e) {
    throw new UsageError(`Error reading file: ${e instanceof Error ? e.message : String(e)}`, ExitCode.CouldNotReadInputFile);
  }
  const f = formats(p, path);
  let file: EncryptedFile;
  try {
    file = await loadEncrypted(data, f.input);
  } catch (e) {
    if (e instanceof SopsError) throw fatal(e.message);
    throw e;
  }
  const ids: MasterKeyIdentity[] = new CliKeys(io).identities();
  let dataKey: Uint8Array;
  try {
    dataKey = await getDataKey(file.metadata, ids);
  } catch (e) {
    if (e instanceof NoDataKeyError) throw fatal(`Error getting data key: ${file.metadata.shamirThreshold} successful groups required, got ${await successfulGroups(file.metadata, ids)}`);
    throw e;
  }
  return { path, file, dataKey };
}

/** How many groups the identities can open (for sops's short `Error getting data key` text). */
async function successfulGroups(md: Metadata, ids: MasterKeyIdentity[]): Promise<number> {
  let n = 0;
  for (const g of md.keyGroups) {
    try {
      await getDataKey({ ...md, keyGroups: [g], shamirThreshold: 0 }, ids);
      n++;
    } catch {
      // this group fails
    }
  }
  return n;
}

async function write(p: Parsed, io: CliIo, path: string, file: EncryptedFile): Promise<number> {
  const config = configFor(p, io);
  const f = formats(p, path);
  let out: Uint8Array;
  try {
    out = await emitEncrypted(file, f.output, indentOf(p, config, f.output));
  } catch (e) {
    if (e instanceof SopsError) throw fatal(e.message);
    throw e;
  }
  if (p.bools.has('in-place')) writeFileAtomic(path, out);
  else io.stdout(out);
  return 0;
}

async function groupsAdd(p: Parsed, io: CliIo): Promise<number> {
  if (p.files.length !== 0) throw new UsageError('error: no positional arguments allowed', ExitCode.ErrorGeneric);
  const keys = new CliKeys(io);
  // sops's order: PGP, KMS, GCP KMS, Vault, Azure, HuaweiCloud, age; one key per flag value.
  const group: KeyEntry[] = [];
  for (const fp of p.flags.get('pgp') ?? []) group.push(keys.pgp(normalizeFingerprint(fp)));
  for (const arn of p.flags.get('kms') ?? []) {
    // sops parses the context per ARN and ignores a malformed one (with a warning).
    group.push(...keys.kms(arn, keys.parseContext(p), one(p, 'aws-profile') ?? ''));
  }
  for (const id of p.flags.get('gcp-kms') ?? []) group.push(...keys.gcp(id));
  for (const uri of p.flags.get('hc-vault-transit') ?? []) {
    try {
      group.push(new VaultTransitRecipient(parseVaultTransitUri(uri), vaultTransitOptions(io.env)));
    } catch (e) {
      // sops logs a bad URI and goes on without it.
      io.stderr(logrusLine('CMD', 'error', 'Failed to add key', { error: e instanceof Error ? e.message : String(e) }));
    }
  }
  // sops 3.13.3's groups add reads no --hckms values (the flag is accepted and ignored).
  for (const url of p.flags.get('azure-kv') ?? []) {
    try {
      group.push(...(await keys.azure(url)));
    } catch (e) {
      // sops logs a bad Azure URL and goes on without it.
      io.stderr(logrusLine('CMD', 'error', 'Failed to add key', { error: e instanceof Error ? e.message : String(e) }));
    }
  }
  for (const list of p.flags.get('age') ?? []) {
    try {
      for (const r of splitRecipients(list)) group.push(keys.userAge(r));
    } catch (e) {
      // sops logs the bad recipient and goes on without it.
      io.stderr(logrusLine('CMD', 'error', 'Failed to add key', { error: e instanceof Error ? e.message : String(e) }));
    }
  }
  const t = threshold(p);
  const { path, file, dataKey } = await load(p, io);
  const groups: KeyEntry[][] = [...file.metadata.keyGroups, group];
  file.metadata = await rewrapMetadata(file.metadata, dataKey, groups, t !== 0 ? t : file.metadata.shamirThreshold, { recipientFor: keys.resolver() });
  return write(p, io, path, file);
}

async function groupsDelete(p: Parsed, io: CliIo): Promise<number> {
  if (p.files.length !== 1) throw new UsageError('error: exactly one positional argument (index) required', ExitCode.ErrorGeneric);
  const arg = p.files[0]!;
  if (!/^\d+$/.test(arg) || Number(arg) > 0xffffffff) {
    throw fatal(`failed to parse [index] argument: strconv.ParseUint: parsing ${JSON.stringify(arg)}: ${/^\d+$/.test(arg) ? 'value out of range' : 'invalid syntax'}`);
  }
  const index = Number(arg);
  const t = threshold(p);
  const { path, file, dataKey } = await load(p, io);
  const md = file.metadata;
  // sops panics on an index past the end; say so instead.
  if (index >= md.keyGroups.length) throw new UsageError(`key group index ${index} out of range: the file has ${md.keyGroups.length} key group(s)`, 2);
  const groups = md.keyGroups.filter((_, i) => i !== index);
  const th = t !== 0 ? t : md.shamirThreshold;
  if (groups.length < th) {
    throw fatal(`removing this key group will make the Shamir threshold impossible to satisfy: Shamir threshold is ${th}, but we only have ${groups.length} key groups`);
  }
  // sops writes a file with no keys at all here; sops-ts refuses.
  if (groups.length === 0) throw new UsageError('refusing to delete the only key group: the file would have no master keys left', ExitCode.ErrorGeneric);
  file.metadata = await rewrapMetadata(md, dataKey, groups, th, { recipientFor: new CliKeys(io).resolver() });
  return write(p, io, path, file);
}
