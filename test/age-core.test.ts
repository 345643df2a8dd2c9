// age-core (src/keysources/age-core.ts), the small age v1 implementation the main
// bundle uses for native keys, checked against:
//  1. the C2SP CCTV age vectors (Go module c2sp.org/CCTV/age, downloaded into the Go
//     module cache by scripts/install-cctv.sh, never committed): every vector of the
//     subset we implement (X25519, mlkem768x25519, armor, header, HMAC, STREAM) gives the
//     expected outcome, with the same error text as the Go age CLI (v1.3.1, the version
//     sops 3.13.3 pins), and round-trips (armor, header, STREAM) byte for byte;
//  2. the Go age CLI and typage, in both directions, X25519 and post-quantum, over random
//     data keys and key pairs (fast-check);
//  3. Go sops 3.13.3 itself: corrupted `enc` values fail with sops's report, word for word.
// Every check runs on both crypto paths: WebCrypto, and the forced noble fallback.
import { spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { Decrypter, Encrypter, armor } from 'age-encryption';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  AgeDecryptError, _encryptPayload, _forceNobleAgeCrypto, armorDecode, armorEncode, bech32Decode, bech32Encode, decryptFile, encodeHeaderNoMac,
  encryptFile, generateIdentity, identityToRecipient, parseAgeIdentity, parseAgeRecipient, parseHeader,
} from '../src/keysources/age-core.js';
import { AgeRecipient } from '../src/keysources/age.js';
import { useNodeCrypto } from '../src/node/aes-gcm.js';
import { EnvAgeIdentity } from '../src/node/age-keys.js';
import { decrypt, encrypt } from '../src/sops.js';
import { REPO_ROOT, assertIsGoSops, requireSops, runSops } from './helpers/sops.js';

const REQUIRE = process.env.SOPS_TS_REQUIRE_SOPS === '1';
const RUNS = process.env.SLOW === '1' ? 200 : 8;
const dir = mkdtempSync(join(tmpdir(), 'sops-ts-age-core-'));
afterAll(() => _forceNobleAgeCrypto(false));

// ------------------------------------------------------------------ oracles

/** The Go age CLI built by scripts/install-age-plugins.sh (part of .ci/run). */
const AGE = join(REPO_ROOT, '.tools', 'age', 'age');
const AGE_KEYGEN = join(REPO_ROOT, '.tools', 'age', 'age-keygen');
const haveAge = existsSync(AGE) && existsSync(AGE_KEYGEN);
if (!haveAge) {
  if (REQUIRE) throw new Error('[sops-ts] .tools/age/age missing (SOPS_TS_REQUIRE_SOPS=1): bash scripts/install-age-plugins.sh');
  console.warn('[sops-ts] age-core: Go age CLI comparisons SKIPPED: .tools/age/age missing; bash scripts/install-age-plugins.sh');
} else {
  const v = execFileSync(AGE, ['--version']).toString().trim();
  if (v !== 'v1.3.1') throw new Error(`[sops-ts] ${AGE} is age ${v}, expected v1.3.1`);
}

function ageCli(args: string[], input: Uint8Array | string) {
  const r = spawnSync(AGE, args, { input, env: { PATH: '/usr/bin:/bin', HOME: dir } });
  return { code: r.status, stdout: new Uint8Array(r.stdout), stderr: r.stderr.toString() };
}

function idFile(ids: readonly string[]): string {
  const p = join(dir, `id-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(p, ids.join('\n') + '\n');
  return p;
}

/** The pinned CCTV module; keep in step with scripts/install-cctv.sh. */
const CCTV_AGE_VERSION = 'v0.0.0-20251208015420-e9274a7bdbfd';
function cctvDir(): string | undefined {
  let modcache: string;
  try {
    modcache = execFileSync('go', ['env', 'GOMODCACHE']).toString().trim();
  } catch {
    return undefined;
  }
  const d = join(modcache, 'c2sp.org', '!c!c!t!v', `age@${CCTV_AGE_VERSION}`, 'testdata');
  return existsSync(d) ? d : undefined;
}
const CCTV = cctvDir();
if (CCTV === undefined) {
  // Required only once CI installs the vectors (scripts/install-cctv.sh in .ci/run).
  const inCi = existsSync(join(REPO_ROOT, '.ci', 'run')) && readFileSync(join(REPO_ROOT, '.ci', 'run'), 'utf8').includes('install-cctv.sh');
  if (REQUIRE && inCi) throw new Error('[sops-ts] CCTV age vectors missing (SOPS_TS_REQUIRE_SOPS=1): bash scripts/install-cctv.sh');
  console.warn('[sops-ts] age-core: CCTV age vectors SKIPPED: not in the Go module cache; bash scripts/install-cctv.sh');
}

// ------------------------------------------------------------------ CCTV vectors

interface Vector {
  name: string;
  expect: string;
  identities: string[];
  passphrases: string[];
  armored: boolean;
  payload?: string;
  fileKey?: string;
  file: Uint8Array;
}

function readVector(name: string): Vector {
  const raw = readFileSync(join(CCTV!, name));
  const v: Vector = { name, expect: '', identities: [], passphrases: [], armored: false, file: new Uint8Array() };
  let pos = 0;
  let compressed = false;
  for (;;) {
    const nl = raw.indexOf(0x0a, pos);
    const line = raw.subarray(pos, nl).toString('utf8');
    pos = nl + 1;
    if (line === '') break;
    const [k, val] = [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)];
    if (k === 'expect') v.expect = val;
    else if (k === 'identity') v.identities.push(val);
    else if (k === 'passphrase') v.passphrases.push(val);
    else if (k === 'armored') v.armored = val === 'yes';
    else if (k === 'compressed') compressed = val === 'zlib';
    else if (k === 'payload') v.payload = val;
    else if (k === 'file key') v.fileKey = val;
  }
  v.file = new Uint8Array(compressed ? inflateSync(raw.subarray(pos)) : raw.subarray(pos));
  return v;
}

/** The vector's outcome class as Go age's testkit tells them apart. */
function outcome(e: unknown): string {
  if (!(e instanceof AgeDecryptError)) return `unexpected ${String(e)}`;
  if (e.message.includes('invalid armor: ')) return 'armor failure';
  if (e.message === 'bad header MAC') return 'HMAC failure';
  if (/^(identity did not match|no identity matched) any of the recipients/.test(e.message)) return 'no match';
  return e.stage === 'payload' ? 'payload failure' : 'header failure';
}

const sha256hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));

/**
 * Vectors outside the subset sops needs: passphrase (scrypt) files. sops never
 * writes them, and age-core has no scrypt recipient type.
 */
const cctvAll = CCTV === undefined ? [] : readdirSync(CCTV).sort().map(readVector);
const cctv = cctvAll.filter((v) => v.passphrases.length === 0);
const cctvSkipped = cctvAll.filter((v) => v.passphrases.length > 0).map((v) => v.name);

async function cctvDecrypt(v: Vector): Promise<{ plaintext?: Uint8Array; error?: unknown }> {
  try {
    const ids = v.identities.map(parseAgeIdentity);
    return { plaintext: await decryptFile(v.file, ids, v.armored) };
  } catch (error) {
    return { error };
  }
}

describe.runIf(CCTV !== undefined)('CCTV age vectors', () => {
  it('are the pinned set, and only the scrypt vectors are out of scope', () => {
    expect(cctvAll.length).toBe(143);
    expect(cctvSkipped.every((n) => n.startsWith('scrypt') || n === 'armor_scrypt')).toBe(true);
    expect(cctvSkipped).toHaveLength(26);
    // The subset sops uses is all there.
    for (const prefix of ['x25519', 'hybrid', 'armor', 'header', 'hmac', 'stanza', 'stream', 'version']) {
      expect(cctv.some((v) => v.name.startsWith(prefix)), prefix).toBe(true);
    }
  });

  for (const path of ['WebCrypto', 'noble', 'node:crypto'] as const) {
    it(`give the expected outcome (${path})`, () => onPath(path, async () => {
        const got: Record<string, string> = {};
        const want: Record<string, string> = {};
        for (const v of cctv) {
          const r = await cctvDecrypt(v);
          want[v.name] = v.expect;
          if (r.error === undefined) got[v.name] = sha256hex(r.plaintext!) === v.payload ? 'success' : 'wrong payload';
          else got[v.name] = outcome(r.error);
        }
        expect(got).toEqual(want);
    }));
  }

  it.runIf(haveAge)('fail with the Go age CLI\'s error text', async () => {
    const diffs: string[] = [];
    const notCompared: string[] = [];
    for (const v of cctv) {
      if (v.expect === 'success') continue;
      // The CLI reads a file as armored only if it starts (after whitespace) with the
      // armor header, and it refuses an empty identity file; sops always reads `enc`
      // through armor.NewReader, with its identities.
      const cliSeesArmor = Buffer.from(v.file).toString('latin1').trim().startsWith('-----BEGIN AGE ENCRYPTED FILE-----');
      if ((v.armored && !cliSeesArmor) || v.identities.length === 0) {
        notCompared.push(v.name);
        continue;
      }
      const r = await cctvDecrypt(v);
      const cli = ageCli(['-d', '-i', idFile(v.identities)], v.file);
      expect(cli.code, v.name).not.toBe(0);
      const goText = /^age: error: (.*)$/m.exec(cli.stderr)?.[1];
      let ours = (r.error as Error).message.split('\n')[0]!;
      // The CLI adds an identity of its own (it refuses scrypt stanzas), so with one
      // identity of ours Go's NoIdentityMatchError counts two.
      if (ours.startsWith('identity did not match any of the recipients')) ours = 'no identity matched any of the recipients';
      if (goText !== ours) diffs.push(`${v.name}: go ${JSON.stringify(goText)} ours ${JSON.stringify(ours)}`);
    }
    // The CLI checks for PowerShell's CRLF/UTF-16 mangling of the intro before age.Decrypt
    // runs, and says so with its own hint; age.Decrypt (what sops calls) never sees it.
    expect(diffs).toEqual(['header_crlf: go "invalid header intro" ours "failed to read header: parsing age header: unexpected intro: \\"age-encryption.org/v1\\\\r\\\\n\\""']);
    expect(notCompared).toEqual(['armor_empty', 'armor_garbage_leading', 'armor_lowercase', 'armor_whitespace_begin', 'armor_wrong_type', 'empty']);
  });

  it('round-trip armor, header and STREAM byte for byte', async () => {
    for (const v of cctv) {
      if (v.armored) {
        if (v.expect === 'armor failure') continue;
        // CRLF ↔ LF and surrounding whitespace are accepted and do not round-trip (Go's testkit).
        const want = Buffer.from(v.file).toString('latin1').replaceAll('\r\n', '\n').trim() + '\n';
        expect(armorEncode(armorDecode(v.file)), v.name).toBe(want);
        continue;
      }
      if (v.expect === 'header failure') continue;
      const hdr = parseHeader(v.file);
      const noMac = encodeHeaderNoMac(hdr.stanzas);
      expect(Buffer.from(noMac).equals(Buffer.from(hdr.headerNoMac)), v.name).toBe(true);
      const macLine = Buffer.from(' ' + Buffer.from(hdr.mac).toString('base64').replace(/=+$/, '') + '\n');
      expect(Buffer.concat([noMac, macLine, v.file.subarray(hdr.payloadOffset)]).equals(Buffer.from(v.file)), v.name).toBe(true);
      if (v.expect !== 'success') continue;
      const { plaintext } = await cctvDecrypt(v);
      const rest = v.file.subarray(hdr.payloadOffset);
      const payload = await _encryptPayload(hex(v.fileKey!), rest.subarray(0, 16), plaintext!);
      expect(Buffer.from(payload).equals(Buffer.from(rest.subarray(16))), v.name).toBe(true);
    }
  });
});

// ------------------------------------------------------------------ Bech32 keys

describe('Bech32 keys', () => {
  it('encode and decode as age\'s internal/bech32', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 1300 }), fc.constantFrom('age', 'age1pq', 'AGE-SECRET-KEY-', 'AGE-SECRET-KEY-PQ-'), (data, hrp) => {
        const s = bech32Encode(hrp, data);
        expect(s === s.toLowerCase() || s === s.toUpperCase()).toBe(true);
        const d = bech32Decode(s);
        expect(d.hrp).toBe(hrp);
        expect(Buffer.from(d.data).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: RUNS * 4 },
    );
  });

  it('refuse malformed keys with Go age\'s texts', () => {
    const id = generateIdentity();
    const r = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
    expect(() => parseAgeRecipient(r.slice(0, -1) + 'q')).toThrow(`malformed recipient "${r.slice(0, -1)}q": invalid checksum`);
    expect(() => parseAgeRecipient('age1Ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p')).toThrow(': mixed case');
    expect(() => parseAgeRecipient(bech32Encode('age', new Uint8Array(31)))).toThrow(': invalid X25519 public key');
    expect(() => parseAgeRecipient(bech32Encode('age1pq', new Uint8Array(1216).fill(0xff)))).toThrow(': invalid MLKEM768-X25519 public key');
    expect(() => parseAgeRecipient('age1b' + r.slice(5))).toThrow(`malformed recipient "age1b${r.slice(5)}": invalid character data part: s[0]=98`);
    expect(() => parseAgeRecipient(bech32Encode('age1x', new Uint8Array(32)))).toThrow(': invalid type "age1x"');
    expect(() => parseAgeIdentity(id.toLowerCase())).toThrow('malformed secret key: unknown type "age-secret-key-"');
    expect(() => parseAgeIdentity(id.slice(0, -1) + (id.endsWith('Q') ? 'P' : 'Q'))).toThrow('malformed secret key: invalid checksum');
    // Messages never carry the secret key.
    for (const bad of [id.slice(0, -1) + 'b', id + 'Q', id.slice(0, 30)]) {
      try {
        parseAgeIdentity(bad);
      } catch (e) {
        expect((e as Error).message).not.toContain(bad.slice(16, 40));
      }
    }
  });

  it.runIf(haveAge)('give the recipient age-keygen -y gives, X25519 and post-quantum', async () => {
    for (const pq of [false, true]) {
      for (let i = 0; i < 3; i++) {
        const id = generateIdentity(pq);
        const go = execFileSync(AGE_KEYGEN, ['-y', idFile([id])], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
        expect(await identityToRecipient(id)).toBe(go);
      }
      const keygen = execFileSync(AGE_KEYGEN, pq ? ['-pq'] : [], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
      const id = /^AGE-SECRET-KEY-.*$/m.exec(keygen)![0];
      expect(await identityToRecipient(id)).toBe(/# public key: (\S+)/.exec(keygen)![1]);
    }
  });
});

// ------------------------------------------------------------------ interop

const dataKeys = fc.oneof(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 0, maxLength: 200 }));
const seeds = fc.uint8Array({ minLength: 32, maxLength: 32 });

it('this platform has WebCrypto X25519 and HMAC, so the WebCrypto path is the one exercised', async () => {
  const k = (await crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits'])) as CryptoKeyPair;
  expect(k.publicKey.algorithm.name).toBe('X25519');
  await crypto.subtle.importKey('raw', new Uint8Array(32), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
});

/** The three crypto paths of age-core: WebCrypto, the forced noble fallback, and sops-ts/node's node:crypto provider. */
type CryptoPath = 'WebCrypto' | 'noble' | 'node:crypto';
async function onPath(path: CryptoPath, f: () => Promise<void>): Promise<void> {
  _forceNobleAgeCrypto(path === 'noble');
  useNodeCrypto(path === 'node:crypto');
  try {
    await f();
  } finally {
    _forceNobleAgeCrypto(false);
    useNodeCrypto(false);
  }
}

describe.each([['WebCrypto'], ['noble'], ['node:crypto']] as const)('interop (%s)', (path) => {
  const withPath = (f: () => Promise<void>) => onPath(path, f);

  for (const pq of [false, true]) {
    const kind = pq ? 'post-quantum' : 'X25519';
    const hrp = pq ? 'AGE-SECRET-KEY-PQ-' : 'AGE-SECRET-KEY-';

    it(`${kind}: typage decrypts ours and we decrypt typage's`, () =>
      withPath(() =>
        fc.assert(
          fc.asyncProperty(dataKeys, seeds, async (dk, seed) => {
            const id = bech32Encode(hrp, seed);
            const rec = await identityToRecipient(id);
            const ours = await encryptFile(dk, [parseAgeRecipient(rec)]);
            const d = new Decrypter();
            d.addIdentity(id);
            expect(Buffer.from(await d.decrypt(ours)).equals(Buffer.from(dk))).toBe(true);
            const e = new Encrypter();
            e.addRecipient(rec);
            const theirs = armor.encode(await e.encrypt(dk));
            expect(Buffer.from(await decryptFile(theirs, [parseAgeIdentity(id)])).equals(Buffer.from(dk))).toBe(true);
          }),
          { numRuns: RUNS },
        ),
      ));

    it.runIf(haveAge)(`${kind}: Go age decrypts ours and we decrypt Go age's`, () =>
      withPath(() =>
        fc.assert(
          fc.asyncProperty(dataKeys, seeds, async (dk, seed) => {
            const id = bech32Encode(hrp, seed);
            const rec = await identityToRecipient(id);
            const ids = idFile([id]);
            const ours = armorEncode(await encryptFile(dk, [parseAgeRecipient(rec)]));
            const r = ageCli(['-d', '-i', ids], ours);
            expect(r.stderr).toBe('');
            expect(Buffer.from(r.stdout).equals(Buffer.from(dk))).toBe(true);
            const theirs = ageCli(['-a', '-r', rec], dk);
            expect(theirs.code).toBe(0);
            const text = Buffer.from(theirs.stdout).toString();
            expect(Buffer.from(await decryptFile(text, [parseAgeIdentity(id)])).equals(Buffer.from(dk))).toBe(true);
            // The wrong identity, and two of them: Go's NoIdentityMatchError texts.
            const other = generateIdentity(pq);
            await expect(decryptFile(text, [parseAgeIdentity(other)])).rejects.toThrow(/^identity did not match any of the recipients: incorrect identity for recipient block$/);
            await expect(decryptFile(text, [parseAgeIdentity(other), parseAgeIdentity(generateIdentity(!pq))])).rejects.toThrow(/^no identity matched any of the recipients$/);
          }),
          { numRuns: RUNS },
        ),
      ));
  }

  it('an X25519 share or recipient that is a low-order point is refused with Go\'s texts', () =>
    withPath(async () => {
      const id = generateIdentity();
      const file = await encryptFile(new Uint8Array(32), [parseAgeRecipient(await identityToRecipient(id))]);
      const text = Buffer.from(file).toString('latin1');
      const share = /^-> X25519 (\S+)$/m.exec(text)![1]!;
      const zero = Buffer.alloc(32).toString('base64').replace(/=+$/, '');
      const bad = new Uint8Array(Buffer.from(text.replace(share, zero), 'latin1'));
      await expect(decryptFile(bad, [parseAgeIdentity(id)])).rejects.toThrow(/^invalid X25519 recipient: crypto\/ecdh: bad X25519 remote ECDH input: low order point$/);
      const lowOrder = bech32Encode('age', new Uint8Array(32));
      await expect(new AgeRecipient(lowOrder).wrap(new Uint8Array(32))).rejects.toThrow(
        'failed to create writer for encrypting sops data key with age: failed to wrap key for recipient #0: crypto/ecdh: bad X25519 remote ECDH input: low order point',
      );
    }));
});

// ------------------------------------------------------------------ sops's report

const sops = requireSops();

describe.runIf(sops !== undefined)('corrupted enc values fail as in Go sops 3.13.3', () => {
  const PLAIN = 'secret: hunter2\n';
  const home = mkdtempSync(join(tmpdir(), 'sops-ts-age-core-home-'));

  /** Replace the (only) age entry's enc block of a sops YAML file. */
  const withEnc = (file: string, enc: string) => file.replace(/enc: \|\n((?: {12}.*\n)+)/, () => 'enc: |\n' + enc.split('\n').filter((l, i, a) => i < a.length - 1 || l !== '').map((l) => ' '.repeat(12) + l + '\n').join(''));
  const encOf = (file: string) => /enc: \|\n((?: {12}.*\n)+)/.exec(file)![1]!.replace(/^ {12}/gm, '');

  it('against the pinned Go sops', () => {
    assertIsGoSops(sops!);
  });

  it('a low-order X25519 recipient fails encryption as in sops', async () => {
    const lowOrder = bech32Encode('age', new Uint8Array(32));
    const f = join(home, 'plain.yaml');
    writeFileSync(f, PLAIN);
    const s = runSops(['encrypt', '--age', lowOrder, f], { env: { HOME: home } });
    expect(s.code).not.toBe(0);
    const ours = await encrypt(PLAIN, { format: 'yaml', age: [lowOrder] }).catch((e: unknown) => e);
    expect((ours as Error).message).toBe(s.stderr.trim());
  });

  for (const pq of [false, true]) {
    it(`${pq ? 'post-quantum' : 'X25519'}: armor, header, MAC, payload and key errors`, async () => {
      const id = generateIdentity(pq);
      const file = await encrypt(PLAIN, { format: 'yaml', age: [await identityToRecipient(id)] });
      const enc = encOf(file);
      const bin = armorDecode(enc);
      const lines = enc.split('\n');
      const flip = (b: Uint8Array, i: number) => {
        const c = b.slice();
        c[i]! ^= 1;
        return c;
      };
      const macAt = Buffer.from(bin).indexOf('\n--- ') + 5;
      const latin1 = Buffer.from(bin).toString('latin1');
      const cases: [string, string][] = [
        ['wrong key', enc],
        ['first line', enc.replace('BEGIN AGE', 'BEGIN AGX')],
        ['closing line', enc.replace('END AGE', 'END AGX')],
        ['no footer', lines.slice(0, -2).join('\n') + '\n'],
        ['bad base64 in the header', [lines[0], '*' + lines[1]!.slice(1), ...lines.slice(2)].join('\n')],
        ['bad base64 in the payload', [...lines.slice(0, -3), lines.at(-3)!.slice(0, -4) + '*AAA', ...lines.slice(-2)].join('\n')],
        ['long line', [lines[0], lines[1] + 'AAAA', ...lines.slice(2)].join('\n')],
        ['trailing data', enc + 'junk\n'],
        ['header MAC', armorEncode(new Uint8Array(Buffer.from(latin1.replace(/^--- \S+$/m, '--- ' + Buffer.alloc(32, 7).toString('base64').replace(/=+$/, '')), 'latin1')))],
        ['payload byte', armorEncode(flip(bin, bin.length - 3))],
        ['payload cut', armorEncode(bin.subarray(0, bin.length - 5))],
        ['payload extended', armorEncode(new Uint8Array([...bin, 0]))],
        ['no payload', armorEncode(bin.subarray(0, Buffer.from(bin).indexOf('\n', macAt) + 1))],
        ['stanza', armorEncode(new Uint8Array(Buffer.from(latin1.replace(/^-> (\S+) /m, '-> $1 x '), 'latin1')))],
      ];
      for (const [name, badEnc] of cases) {
        const key = name === 'wrong key' ? generateIdentity(pq) : id;
        const f = join(home, `case.yaml`);
        const text = withEnc(file, badEnc);
        writeFileSync(f, text);
        const s = runSops(['decrypt', f], { env: { HOME: home, SOPS_AGE_KEY: key } });
        expect(s.code, name).toBe(128);
        const ours = await decrypt(text, { format: 'yaml', identities: [new EnvAgeIdentity({ HOME: home, SOPS_AGE_KEY: key })] }).catch((e: unknown) => e);
        expect((ours as Error).message, name).toBe(s.stderr.trim());
      }
    });
  }
});
