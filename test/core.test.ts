// Known answers and bad input for the core: the value cipher, the MAC, the
// metadata, the walk. Expected values come from sops's own test vectors
// (aes/cipher_test.go) and from files the real sops wrote (vectors/).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { _forceNobleAesGcm } from '../src/aes-gcm.js';
import { ValueCipher, parseEncryptedValue } from '../src/cipher.js';
import { base64Decode, base64Encode } from '../src/encoding.js';
import { SopsError } from '../src/errors.js';
import { formatFloatF, formatFloatG, formatFloatJSON } from '../src/gofmt.js';
import { parseAgeIdentities } from '../src/keysources/age.js';
import { metadataFromTree } from '../src/metadata.js';
import { compileRe2, re2Match } from '../src/re2.js';
import { decrypt, decryptDocument, encrypt } from '../src/sops.js';
import { Branch, Comment } from '../src/tree.js';
import { encryptTree, prepareSelectionRules, shouldBeEncrypted } from '../src/walk.js';
import { loadManifest, readVector, vectorPath } from './helpers/sops.js';

const F32 = new TextEncoder().encode('f'.repeat(32));
const SOPS_KAT = 'ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCgw1gNxg==,type:str]';

describe.each([false, true])('value cipher (noble fallback: %s)', (noble) => {
  it('decrypts sops\'s own known-answer vector with AAD "bar:" and fails with ""', async () => {
    _forceNobleAesGcm(noble);
    try {
      expect(await new ValueCipher(F32).decrypt(SOPS_KAT, 'bar:')).toBe('foo');
      await expect(new ValueCipher(F32).decrypt(SOPS_KAT, '')).rejects.toMatchObject({ code: 'ERR_DECRYPT_VALUE' });
    } finally {
      _forceNobleAesGcm(false);
    }
  });

  it('re-encrypts a decrypted value to the same bytes (IV stash), and uses fresh 32-byte IVs otherwise', async () => {
    _forceNobleAesGcm(noble);
    try {
      const c = new ValueCipher(F32);
      await c.decrypt(SOPS_KAT, 'bar:');
      expect(await c.encrypt('foo', 'bar:')).toBe(SOPS_KAT);
      const other = await c.encrypt('foo', 'baz:');
      expect(other).not.toBe(SOPS_KAT);
      expect(parseEncryptedValue(other).iv.length).toBe(32);
      expect(parseEncryptedValue(other).tag.length).toBe(16);
      expect(await c.decrypt(other, 'baz:')).toBe('foo');
    } finally {
      _forceNobleAesGcm(false);
    }
  });
});

describe('fresh IVs', () => {
  it('are 32 bytes, all different, across more values than one draw of the IV pool holds, and each is its own copy', async () => {
    const c = new ValueCipher(F32);
    const ivs: Uint8Array[] = [];
    // 8 KiB pool / 32-byte IVs = 256 per draw: 1,000 values cross several draws.
    for (let i = 0; i < 1000; i++) ivs.push(parseEncryptedValue(await c.encrypt(`v${i}`, `k${i}:`)).iv);
    expect(ivs.every((iv) => iv.length === 32)).toBe(true);
    expect(new Set(ivs.map((iv) => Buffer.from(iv).toString('hex'))).size).toBe(1000);
    // Not views into one shared buffer.
    expect(new Set(ivs.map((iv) => iv.buffer)).size).toBe(1000);
    // And not all-zero or constant bytes: each byte value shows up.
    const seen = new Set<number>();
    for (const iv of ivs) for (const b of iv) seen.add(b);
    expect(seen.size).toBe(256);
  });
});

describe('value cipher types', () => {
  it('round-trips every type with sops\'s type names and plaintext forms', async () => {
    const c = new ValueCipher(F32);
    const cases: [unknown, string][] = [['s', 'str'], [123n, 'int'], [-(2n ** 63n), 'int'], [1.5, 'float'], [1e21, 'float'], [true, 'bool'], [false, 'bool'], [new Comment(' hi'), 'comment']];
    for (const [v, type] of cases) {
      const enc = await c.encrypt(v as never, 'k:');
      expect(enc.endsWith(`,type:${type}]`)).toBe(true);
      const back = await c.decrypt(enc, 'k:');
      if (v instanceof Comment) expect((back as Comment).value).toBe(' hi');
      else expect(back).toEqual(v);
    }
    // Go formats the float plaintext with 'f', -1 and bools Titlecase: the data length shows it.
    expect(parseEncryptedValue(await c.encrypt(1e21, 'k:')).data.length).toBe('1000000000000000000000'.length);
    expect(parseEncryptedValue(await c.encrypt(true, 'k:')).data.length).toBe(4);
    expect(await c.encrypt('', 'k:')).toBe('');
    expect(await c.decrypt('', 'k:')).toBe('');
  });

  it('reads the legacy type:bytes (Python sops) as raw bytes', async () => {
    const c = new ValueCipher(F32);
    // The type field is not authenticated, so a str value relabelled bytes decrypts to its raw bytes.
    const enc = (await c.encrypt('\u00e9t\u00e9', 'k:')).replace('type:str', 'type:bytes');
    expect(await new ValueCipher(F32).decrypt(enc, 'k:')).toEqual(new TextEncoder().encode('\u00e9t\u00e9'));
  });

  it.each([
    ['not an ENC value', 'plaintext-secret-value', 'ERR_MALFORMED_VALUE'],
    ['bad base64', 'ENC[AES256_GCM,data:@@@,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCgw1gNxg==,type:str]', 'ERR_MALFORMED_VALUE'],
    ['short tag', 'ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCg,type:str]', 'ERR_MALFORMED_VALUE'],
    ['unknown type', SOPS_KAT.replace('type:str', 'type:weird'), 'ERR_MALFORMED_VALUE'],
    ['flipped bit', SOPS_KAT.replace('data:oYyi', 'data:oYyj'), 'ERR_DECRYPT_VALUE'],
    ['wrong type', SOPS_KAT.replace('type:str', 'type:int'), 'ERR_DECRYPT_VALUE'],
  ])('rejects %s with a stable code and no plaintext in the message', async (_n, input, code) => {
    const err = await new ValueCipher(F32).decrypt(input, 'bar:').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SopsError);
    expect((err as SopsError).code).toBe(code);
    expect((err as SopsError).message).not.toContain('plaintext-secret-value');
    expect((err as SopsError).message).not.toContain('foo');
  });
});

describe('Go formatting and encodings', () => {
  // Expected strings: output of Go 1.26 strconv.FormatFloat / encoding/json for the same inputs.
  it.each([
    [1e21, '1000000000000000000000', '1e+21', '1e+21'],
    [1e-7, '0.0000001', '1e-07', '1e-7'],
    [1234568000, '1234568000', '1.234568e+09', '1234568000'],
    [1.5, '1.5', '1.5', '1.5'],
    [-0, '-0', '-0', '-0'],
    [1e20, '100000000000000000000', '1e+20', '100000000000000000000'],
  ])('%s', (x, f, g, j) => {
    expect(formatFloatF(x)).toBe(f);
    expect(formatFloatG(x)).toBe(g);
    expect(formatFloatJSON(x)).toBe(j);
  });

  it('base64 is strict like Go StdEncoding', () => {
    const b = crypto.getRandomValues(new Uint8Array(33));
    expect(base64Decode(base64Encode(b))).toEqual(b);
    expect(base64Decode('YQ')).toBeUndefined();
    // Go's StdEncoding is not strict: trailing bits are dropped (sops decrypts such a value); Strict() refuses them.
    expect(base64Decode('YR==')).toEqual(new Uint8Array([97]));
    expect(base64Decode('YR==', true)).toBeUndefined();
    expect(base64Decode('YQ==')).toEqual(new Uint8Array([97]));
  });

  it('RE2 patterns: flags, named groups, POSIX classes; constructs RE2 rejects never match; linear time', async () => {
    expect(re2Match('(?i)^DATA$', 'data')).toBe(true);
    expect(re2Match('(?P<x>a)b', 'ab')).toBe(true);
    expect(re2Match('[[:alpha:]]+', '12ab')).toBe(true);
    expect(re2Match('a.c', 'a\nc')).toBe(false);
    expect(re2Match('^b', 'a\nb')).toBe(false);
    expect((await compileRe2('(?=a)')).error).toBe('error parsing regexp: invalid or unsupported Perl syntax: `(?=`');
    expect((await compileRe2('(a)\\1')).error).toBe('error parsing regexp: invalid escape sequence: `\\1`');
    expect((await compileRe2('[')).error).toBe('error parsing regexp: missing closing ]: `[`');
    // Catastrophic for a backtracking engine (it would never finish); RE2 answers at once.
    expect((await compileRe2('(a+)+$')).test('a'.repeat(5000) + '!')).toBe(false);
  });
});

describe('selection rules', () => {
  it('apply to any ancestor key, unanchored, and keep list indices out of the path', async () => {
    for (const r of ['^(data|stringData)$', '[']) await prepareSelectionRules({ encryptedRegex: r });
    await prepareSelectionRules({ encryptedCommentRegex: 'sops:enc' });
    expect(shouldBeEncrypted({ unencryptedSuffix: '_unencrypted' }, ['a_unencrypted', 'b'], [[]], false)).toBe(false);
    expect(shouldBeEncrypted({ encryptedRegex: '^(data|stringData)$' }, ['stringData', 'x'], [[]], false)).toBe(true);
    expect(shouldBeEncrypted({ encryptedRegex: '^(data|stringData)$' }, ['metadata', 'name'], [[]], false)).toBe(false);
    expect(shouldBeEncrypted({ encryptedRegex: '[' }, ['x'], [[]], false)).toBe(false);
    // The marker comment itself stays plaintext; what follows it is encrypted.
    expect(shouldBeEncrypted({ encryptedCommentRegex: 'sops:enc' }, ['k'], [[' sops:enc']], true)).toBe(false);
    expect(shouldBeEncrypted({ encryptedCommentRegex: 'sops:enc' }, ['k'], [[' sops:enc']], false)).toBe(true);
  });

  it('the MAC is SHA-512 over the values only, uppercase hex (sops: `foo: bar` → SHA-512("bar"))', async () => {
    const { mac } = await encryptTree([new Branch([{ key: 'foo', value: 'bar' }])], { unencryptedSuffix: '_unencrypted' }, new ValueCipher(F32));
    expect(mac).toBe('D82C4EB5261CB9C8AA9855EDD67D1BD10482F41529858D925094D173FA662AA91FF39BC5B188615273484021DFB16FD8284CF684CCF0FC795BE3AA2FC1E6C181');
  });

  it('a non-string key cannot be encrypted', async () => {
    await expect(encryptTree([new Branch([{ key: 1n, value: 'x' }])], {}, new ValueCipher(F32))).rejects.toMatchObject({ code: 'ERR_ENCRYPT' });
  });
});

describe('metadata', () => {
  it('rejects missing keys, bad times and conflicting rules with stable codes', () => {
    const md = (items: [string, unknown][]) => new Branch(items.map(([key, value]) => ({ key, value: value as never })));
    const age = [new Branch([{ key: 'recipient', value: 'age1x' }, { key: 'enc', value: 'x' }])];
    expect(() => metadataFromTree(md([['lastmodified', '2024-01-01T00:00:00Z'], ['mac', '']]))).toThrow(/No keys found in file/);
    expect(() => metadataFromTree(md([['age', age], ['lastmodified', 'yesterday'], ['mac', '']]))).toThrow(SopsError);
    expect(() => metadataFromTree(md([['age', age], ['lastmodified', '2024-01-01T00:00:00Z'], ['encrypted_regex', 'a'], ['unencrypted_suffix', 'b']]))).toThrow(/Cannot use more than one/);
    const ok = metadataFromTree(md([['AGE', age], ['LastModified', '2024-01-01T00:00:00.5Z'], ['mac', ''], ['version', 3.5]]));
    expect(ok.version).toBe('3.5');
    expect(ok.rules.unencryptedSuffix).toBe('_unencrypted');
  });
});

// Tampering with real files sops wrote: every case must fail cleanly, with
// sops's exit code, and never echo a plaintext value.
describe('bad input on real sops files', () => {
  const manifest = loadManifest();
  const v = manifest.vectors.find((x) => x.format === 'yaml' && x.setting === 'encrypted_regex' && x.input.includes('k8s-secret-stringdata') && x.recipients.length === 1)!;
  const key = parseAgeIdentities(readFileSync(vectorPath(manifest.keys['age-1']!.file), 'utf8'));
  const enc = readVector(v.encrypted!).toString('utf8');
  const plain = readVector(v.decrypted!).toString('utf8');
  const secretValues = [...plain.matchAll(/^\s+[\w-]+: (.{6,})$/gm)].map((m) => m[1]!.replace(/^"|"$/g, ''));

  async function failure(text: string, opts: { key?: string[] } = {}): Promise<SopsError> {
    const e = await decrypt(text, { format: 'yaml', ageIdentities: opts.key ?? key }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SopsError);
    for (const s of secretValues) expect((e as SopsError).message).not.toContain(s);
    return e as SopsError;
  }

  it('decrypts untouched', async () => {
    expect(await decrypt(enc, { format: 'yaml', ageIdentities: key })).toBe(plain);
    expect(secretValues.length).toBeGreaterThan(0);
    expect(enc).toMatch(/^kind: Secret$/m); // plaintext, so tampering with it must break the MAC
  });

  it('a flipped bit in a value → ERR_DECRYPT_VALUE, exit 25', async () => {
    const m = /data:([A-Za-z0-9+/]{4})/.exec(enc)!;
    const flipped = m[1]![0] === 'A' ? 'B' + m[1]!.slice(1) : 'A' + m[1]!.slice(1);
    const e = await failure(enc.replace(m[0], 'data:' + flipped));
    expect(e.code).toBe('ERR_DECRYPT_VALUE');
    expect(e.exitCode).toBe(25);
  });

  it('a wrong key → ERR_NO_DATA_KEY, exit 128, with sops\'s report', async () => {
    const e = await failure(enc, { key: ['AGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX'] });
    expect(e.code).toBe('ERR_NO_DATA_KEY');
    expect(e.exitCode).toBe(128);
    expect(e.message).toContain('Failed to get the data key required to decrypt the SOPS file.');
    expect(e.message).toContain('Group 0: FAILED');
  });

  it('a value moved to another key → ERR_DECRYPT_VALUE (the AAD binds the path)', async () => {
    const lines = enc.split('\n');
    const i = lines.findIndex((l) => /^ {4}[\w-]+: ENC\[/.test(l));
    const j = lines.findIndex((l, k) => k > i && /^ {4}[\w-]+: ENC\[/.test(l));
    const vi = lines[i]!.slice(lines[i]!.indexOf('ENC['));
    const vj = lines[j]!.slice(lines[j]!.indexOf('ENC['));
    lines[i] = lines[i]!.replace(vi, vj);
    lines[j] = lines[j]!.replace(vj, vi);
    expect((await failure(lines.join('\n'))).code).toBe('ERR_DECRYPT_VALUE');
  });

  it('a changed unencrypted value → MAC mismatch, exit 51', async () => {
    const e = await failure(enc.replace(/^kind: Secret$/m, 'kind: Secreu'));
    expect(e.code).toBe('ERR_MAC_MISMATCH');
    expect(e.exitCode).toBe(51);
    expect(e.message).toMatch(/^MAC mismatch\. File has [0-9A-F]{128}, computed [0-9A-F]{128}$/);
  });

  it('missing metadata → ERR_METADATA_NOT_FOUND, exit 1', async () => {
    const e = await failure(enc.slice(0, enc.indexOf('\nsops:') + 1));
    expect(e.code).toBe('ERR_METADATA_NOT_FOUND');
    expect(e.exitCode).toBe(1);
  });

  it('a malformed ENC value → ERR_MALFORMED_VALUE', async () => {
    const e = await failure(enc.replace(/ENC\[AES256_GCM,data:/, 'ENC[AES256_GCM,dota:'));
    expect(e.code).toBe('ERR_MALFORMED_VALUE');
  });

  it('a tampered MAC → exit 51', async () => {
    const e = await failure(enc.replace(/mac: ENC\[AES256_GCM,data:(.)/, (_m, c: string) => `mac: ENC[AES256_GCM,data:${c === 'A' ? 'B' : 'A'}`));
    expect(e.exitCode).toBe(51);
    expect(e.message).toMatch(/^Cannot decrypt MAC/);
  });

  it('ignoreMac lets a file with a changed unencrypted value decrypt', async () => {
    const out = await decrypt(enc.replace(/^kind: Secret$/m, 'kind: Secreu'), { format: 'yaml', ageIdentities: key, ignoreMac: true });
    expect(out).toContain('kind: Secreu');
  });

  it('garbage input of every kind never crashes', async () => {
    for (const junk of ['', '\u0000\u0001', '{', '[]', 'sops: 1\n', 'sops:\n  lastmodified: x\n', 'a: [\n', '- 1\n- 2\n', enc.slice(0, enc.length / 2)]) {
      const e = await decrypt(junk, { format: 'yaml', ageIdentities: key }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(SopsError);
    }
  });
});

describe('encrypt refuses', () => {
  it('a file that already has sops metadata (exit 203), no recipients, conflicting rules', async () => {
    await expect(encrypt('a: 1\nsops: {}\n', { format: 'yaml', age: ['age16h8925826r733gmcrm47hy9zrer8zt4ksnx2ggjpdq4xzz0dwcrqt4xna7'] })).rejects.toMatchObject({ exitCode: 203 });
    await expect(encrypt('a: 1\n', { format: 'yaml' })).rejects.toMatchObject({ code: 'ERR_NO_KEY' });
    await expect(encrypt('a: 1\n', { format: 'yaml', age: ['age16h8925826r733gmcrm47hy9zrer8zt4ksnx2ggjpdq4xzz0dwcrqt4xna7'], encryptedRegex: 'a', unencryptedRegex: 'b' })).rejects.toMatchObject({ code: 'ERR_CONFLICTING_PARAMETERS' });
    await expect(encrypt('a: 1\n', { format: 'yaml', age: ['bogus'] })).rejects.toMatchObject({ code: 'ERR_INVALID_KEY' });
  });

  it('round-trips through our own encrypt and decrypt', async () => {
    const key = parseAgeIdentities(readFileSync(vectorPath('keys/age-1.txt'), 'utf8'));
    const recipient = loadManifest().keys['age-1']!.recipient;
    const enc = await encrypt('a: 1\nb: [x, "y"]\n', { format: 'yaml', age: [recipient] });
    expect(await decrypt(enc, { format: 'yaml', ageIdentities: key })).toBe('a: 1\nb:\n    - x\n    - "y"\n');
    const doc = await decryptDocument(enc, { format: 'yaml', ageIdentities: key });
    expect(doc.metadata.version).toBe('3.13.3');
  });
});
