/**
 * Master keys: the extension point through which the data key is wrapped for
 * recipients and unwrapped with identities. It mirrors age's
 * `Recipient`/`Identity` pair: a {@link MasterKeyRecipient} wraps, a
 * {@link MasterKeyIdentity} unwraps, and an identity returns `null` for a
 * stored key that is not its own and throws only when it is its own and
 * fails. age lives in `keysources/age.ts`; PGP and the KMS kinds plug in the
 * same way.
 *
 * @module
 */
import { NoDataKeyError } from './errors.js';
import { kmsKeyString } from './keysources/kms-name.js';
import { SopsError } from './errors.js';
import type { KeyGroup, KeyType, Metadata, StoredKey } from './metadata.js';

/** Wraps a data key for one master key (the "recipient" side). */
export interface MasterKeyRecipient {
  /** The metadata kind this recipient writes. */
  readonly type: KeyType;
  /** The key's display string (sops `ToString()`), e.g. the age recipient. */
  readonly name: string;
  /** Wrap `dataKey` (32 bytes, or a 33-byte Shamir share) and return the stored entry. */
  wrap(dataKey: Uint8Array): Promise<StoredKey>;
}

/** Unwraps data keys (the "identity" side). */
export interface MasterKeyIdentity {
  /**
   * Unwrap the data key from `key`. Returns `null` if this identity does not
   * handle `key` (another kind, another recipient); throws only if it does and
   * fails (the error message is reported per key, as sops does).
   */
  unwrap(key: StoredKey): Promise<Uint8Array | null>;
}

/** The display string of a stored key (sops `MasterKey.ToString()`). */
export function storedKeyName(k: StoredKey): string {
  switch (k.type) {
    case 'age': return k.recipient;
    case 'pgp': return k.fp;
    case 'kms': return kmsKeyString(k);
    case 'gcp_kms': return k.resourceId;
    case 'hckms': return k.keyId;
    case 'azure_kv': return `${k.vaultUrl}/keys/${k.name}/${k.version}`;
    case 'hc_vault': return `${k.vaultAddress}/v1/${k.enginePath}/keys/${k.keyName}`;
  }
}

/** sops's default `--decryption-order`. */
export const DEFAULT_DECRYPTION_ORDER: readonly string[] = ['age', 'pgp'];

/** Stable sort of a group's keys by decryption order; kinds not listed go last. */
function sortByOrder(group: readonly StoredKey[], order: readonly string[]): StoredKey[] {
  const prio = (k: StoredKey) => {
    const i = order.indexOf(k.type);
    return i < 0 ? order.length : i;
  };
  return group.map((k, i) => ({ k, i })).sort((a, b) => prio(a.k) - prio(b.k) || a.i - b.i).map((x) => x.k);
}

/** Go `github.com/mitchellh/go-wordwrap` `WrapString`: break at spaces so lines stay within `lim` where words allow. */
export function wordWrap(s: string, lim: number): string {
  let out = '';
  let current = 0;
  let word = '';
  let space = '';
  const wlen = () => [...word].length;
  const slen = () => [...space].length;
  for (const ch of s) {
    if (ch === '\n') {
      if (word.length === 0) {
        if (current + slen() > lim) current = 0;
        else out += space;
      } else {
        out += space + word;
      }
      space = '';
      word = '';
      out += ch;
      current = 0;
    } else if (/\s/u.test(ch) && ch !== '\u00a0') {
      if (space.length === 0 || word.length > 0) {
        current += slen() + wlen();
        out += space + word;
        space = '';
        word = '';
      }
      space += ch;
    } else {
      word += ch;
      if (current + slen() + wlen() > lim && wlen() < lim) {
        out += '\n';
        current = 0;
        space = '';
      }
    }
  }
  if (word.length === 0) {
    if (current + slen() <= lim) out += space;
  } else {
    out += space + word;
  }
  return out;
}

/**
 * goware/prefixer as sops uses it: every line read (up to and including its
 * `\n`) gets the prefix; nothing after a final `\n`, so a message that ends
 * in a newline gets no prefixed empty line.
 */
function prefixLines(s: string, prefix: string): string {
  return s.split(/(?<=\n)/).map((l) => (l === '' ? '' : prefix + l)).join('');
}

interface KeyFailure {
  name: string;
  errors: string[];
}

/** sops's `getDataKeyError.UserError()` text. */
function dataKeyErrorText(groups: (KeyFailure[] | null)[], threshold: number): string {
  const groupTexts = groups.map((failures, i) => {
    if (failures === null) return `Group ${i}: SUCCESS`;
    const keys = failures.map((f) => {
      const msgs = f.errors.map((e) => {
        const m = prefixLines(wordWrap(e, 60), '  | ');
        return '-' + m.slice(1);
      });
      return `${f.name}: FAILED\n${prefixLines(msgs.join('\n\n'), '  ')}`;
    });
    return `Group ${i}: FAILED\n${prefixLines(keys.join('\n\n'), '  ')}`;
  });
  const ok = groups.filter((g) => g === null).length;
  const trailer = threshold === 0
    ? 'Recovery failed because no master key was able to decrypt the file. In order for SOPS to recover the file, at least one key has to be successful, but none were.'
    : `Recovery failed because the file was encrypted with a Shamir threshold of ${threshold}, but only ${ok} part(s) were successfully recovered, one for each successful key group. In order for SOPS to recover the file, at least ${threshold} groups have to be successful. In order for a group to be successful, decryption has to succeed with any of the keys in that key group.`;
  return `Failed to get the data key required to decrypt the SOPS file.\n\n${groupTexts.join('\n\n')}\n\n${wordWrap(trailer, 75)}`;
}

/** Options of {@link getDataKey}. */
export interface GetDataKeyOptions {
  /** Key kinds to try first, in order. Default: `['age', 'pgp']`. */
  decryptionOrder?: readonly string[];
  /** Explains why a stored key had no identity (e.g. where keys were looked for). */
  describeMissing?: (key: StoredKey) => string;
}

/**
 * Recover the data key of a file (sops `GetDataKeyWithKeyServices`): each
 * group in order, each key of a group by decryption order until one works.
 * Throws {@link NoDataKeyError} with sops's report otherwise.
 */
export async function getDataKey(metadata: Metadata, identities: readonly MasterKeyIdentity[], options: GetDataKeyOptions = {}): Promise<Uint8Array> {
  const order = options.decryptionOrder ?? DEFAULT_DECRYPTION_ORDER;
  const parts: Uint8Array[] = [];
  const report: (KeyFailure[] | null)[] = [];
  for (const group of metadata.keyGroups) {
    const failures: KeyFailure[] = [];
    let part: Uint8Array | undefined;
    for (const key of sortByOrder(group, order)) {
      const errors: string[] = [];
      for (const id of identities) {
        try {
          const r = await id.unwrap(key);
          if (r !== null) {
            part = r;
            break;
          }
        } catch (e) {
          errors.push(e instanceof Error ? e.message : String(e));
        }
      }
      if (part !== undefined) break;
      if (errors.length === 0) errors.push(options.describeMissing?.(key) ?? `no identity available for ${key.type} keys`);
      failures.push({ name: storedKeyName(key), errors });
    }
    if (part !== undefined) {
      parts.push(part);
      report.push(null);
    } else {
      report.push(failures);
    }
  }
  const fail = () => new NoDataKeyError(dataKeyErrorText(report, metadata.shamirThreshold));
  if (metadata.keyGroups.length > 1) {
    if (parts.length < metadata.shamirThreshold) throw fail();
    // Shamir (two or more key groups) is loaded only for such files.
    return (await import('./shamir.js')).combine(parts);
  }
  if (parts.length !== 1) throw fail();
  return parts[0]!;
}

/**
 * Wrap a data key for key groups (sops `UpdateMasterKeysWithKeyServices`):
 * one group → every key wraps the whole key; several → the key is split
 * with Shamir (`shamirThreshold` 0 meaning all groups) and each group's
 * keys wrap its share. Every key is tried; failures are collected as sops
 * collects them and thrown together (`ERR_NO_KEY`, exit 1) as
 * `Could not generate data key: [failed to encrypt new data key with master key "…": … …]`.
 * An empty group is refused before anything is wrapped.
 */
export async function wrapDataKey(
  groups: readonly (readonly MasterKeyRecipient[])[],
  dataKey: Uint8Array,
  shamirThreshold: number,
  random?: (n: number) => Uint8Array,
): Promise<{ keyGroups: KeyGroup[]; shamirThreshold: number }> {
  if (groups.length === 0) throw new SopsError('ERR_NO_KEY', 'Could not generate data key: [no key groups provided]', { exitCode: 1 });
  let threshold = shamirThreshold;
  let parts: Uint8Array[];
  if (groups.length === 1) parts = [dataKey];
  else {
    if (threshold === 0) threshold = groups.length;
    try {
      parts = (await import('./shamir.js')).split(dataKey, groups.length, threshold, random);
    } catch (e) {
      throw new SopsError('ERR_ENCRYPT', `Could not generate data key: [could not split data key into parts for Shamir: ${e instanceof Error ? e.message : String(e)}]`, { exitCode: 1 });
    }
  }
  if (groups.some((g) => g.length === 0)) throw new SopsError('ERR_NO_KEY', 'Could not generate data key: [empty key group provided]', { exitCode: 1 });
  const errors: string[] = [];
  const keyGroups: KeyGroup[] = [];
  for (let i = 0; i < groups.length; i++) {
    const g: KeyGroup = [];
    for (const r of groups[i]!) {
      try {
        g.push(await r.wrap(parts[i]!));
      } catch (e) {
        errors.push(`failed to encrypt new data key with master key ${JSON.stringify(r.name)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    keyGroups.push(g);
  }
  if (errors.length > 0) throw new SopsError('ERR_NO_KEY', `Could not generate data key: [${errors.join(' ')}]`, { exitCode: 1 });
  return { keyGroups, shamirThreshold: groups.length > 1 ? threshold : shamirThreshold };
}
