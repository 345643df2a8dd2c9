// dotenv store against Go sops 3.13.3.
//
// Two layers:
// - recorded vectors (test/fixtures/dotenv/, see its README.md and generate.sh): sops's own output,
//   checked byte for byte with no binary needed, including decryption of the fully encrypted files
//   with the public test key vectors/keys/age-1.txt and re-encryption with the same IVs;
// - live runs of the real binary (skipped with a visible warning when it is absent, failing when
//   SOPS_TS_REQUIRE_SOPS=1) over the same inputs with a fresh key.
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ValueCipher } from '../src/cipher.js';
import { SopsError } from '../src/errors.js';
import { getDataKey } from '../src/keysource.js';
import { AgeIdentity, parseAgeIdentities } from '../src/keysources/age.js';
import { macAad, metadataFromTree, metadataToTree } from '../src/metadata.js';
import { DotenvStore } from '../src/stores/dotenv.js';
import { YamlStore } from '../src/stores/yaml.js';
import { Branch, Comment, SopsTime } from '../src/tree.js';
import type { TreeBranches, Value } from '../src/tree.js';
import { decryptTree, encryptTree } from '../src/walk.js';
import { REPO_ROOT, assertIsGoSops, requireSops, runSops } from './helpers/sops.js';
import { sopsError } from './helpers/errors.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'dotenv');
const CASES = join(FIXTURES, 'cases');
const ERRORS = join(FIXTURES, 'errors');
const KEY_FILE = join(REPO_ROOT, 'vectors', 'keys', 'age-1.txt');
// age-1 opens every case; with age-2 the three-key-group case (2 of 3 shares) opens too.
const testIdentities = [KEY_FILE, join(REPO_ROOT, 'vectors', 'keys', 'age-2.txt')].flatMap((f) => parseAgeIdentities(readFileSync(f, 'utf8')));

const store = new DotenvStore();

/** Every case: its name and input file (`.input.env`, or `.input.yaml` for a YAML → dotenv case). */
const cases = readdirSync(CASES)
  .filter((f) => /\.input\.(env|yaml)$/.test(f))
  .map((f) => ({ name: f.slice(0, f.indexOf('.input.')), input: f, yaml: f.endsWith('.yaml') }))
  .sort((a, b) => (a.name < b.name ? -1 : 1));
const plainCases = cases.filter((c) => readdirSync(CASES).includes(`${c.name}.plain.enc.env`));

/**
 * Lines whose IV sops's stash cannot give back, so re-encryption (by sops too) draws a fresh one:
 * a NaN never equals itself, and of two equal (key, value) pairs the stash keeps the later IV.
 * Re-encryption is compared with these lines' values masked.
 */
const FRESH_IV_LINES: Record<string, (line: string, index: number) => boolean> = {
  typed_from_yaml: (line) => line.startsWith('f5='), // f5: .nan
  duplicates: (_line, index) => index === 0, // A=1 … A=1
};
function maskFreshIvs(name: string, out: string | Uint8Array): Buffer {
  const fresh = FRESH_IV_LINES[name];
  const b = typeof out === 'string' ? Buffer.from(out, 'utf8') : Buffer.from(out);
  if (!fresh) return b;
  const lines = b.toString('latin1').split('\n');
  return Buffer.from(lines.map((l, i) => (fresh(l, i) ? l.slice(0, l.indexOf('=') + 1) + '<fresh IV>' : l)).join('\n'), 'latin1');
}

const read = (dir: string, f: string): Buffer => readFileSync(join(dir, f));
/** Output as bytes, to compare byte for byte (strings are UTF-8). */
const bytes = (out: string | Uint8Array): Buffer => (typeof out === 'string' ? Buffer.from(out, 'utf8') : Buffer.from(out));
/** Compare exact bytes with a readable diff. */
function expectBytes(actual: string | Uint8Array, expected: Buffer): void {
  expect(bytes(actual).toString('latin1')).toBe(expected.toString('latin1'));
}


/** Decrypt with the sops-ts pipeline (key → walk → MAC check), keeping the cipher and its IV stash. */
async function decryptFile(enc: Uint8Array, identities: readonly string[]) {
  const parts = store.loadEncryptedFile(enc);
  const md = metadataFromTree(parts.metadata);
  const cipher = new ValueCipher(await getDataKey(md, [new AgeIdentity(identities)]));
  const { tree, mac } = await decryptTree(parts.branches, md.rules, cipher);
  const aad = macAad(md.lastModified);
  expect(String(await cipher.decrypt(md.mac, aad)), 'MAC').toBe(mac);
  return { tree, md, cipher, rawMetadata: parts.metadata };
}

/** Encrypt `branches` as sops-ts's encrypt does, with a cipher whose stash holds sops's IVs. */
async function encryptFile(branches: TreeBranches, doc: Awaited<ReturnType<typeof decryptFile>>): Promise<string | Uint8Array> {
  const { tree, mac } = await encryptTree(branches, doc.md.rules, doc.cipher);
  const encMac = await doc.cipher.encrypt(mac, macAad(doc.md.lastModified));
  return store.emitEncryptedFile(tree, metadataToTree({ ...doc.md, mac: encMac }));
}

/** The plaintext tree of a case's input, as sops encrypt read it. */
function loadInput(c: { input: string; yaml: boolean }): TreeBranches {
  const input = read(CASES, c.input);
  return c.yaml ? new YamlStore().loadPlainFile(input) : store.loadPlainFile(input);
}

// ---------------------------------------------------------------------------------- recorded

describe('dotenv store: recorded sops 3.13.3 vectors, values left in plaintext', () => {
  it('has the corpus', () => {
    expect(plainCases.length).toBeGreaterThanOrEqual(14);
  });
  for (const c of plainCases) {
    describe(c.name, () => {
      const input = read(CASES, c.input);
      const enc = read(CASES, `${c.name}.plain.enc.env`);
      const dec = read(CASES, `${c.name}.plain.dec.env`);
      it('loadEncryptedFile → emitEncryptedFile reproduces the sops file', () => {
        const { branches, metadata } = store.loadEncryptedFile(enc);
        expectBytes(store.emitEncryptedFile(branches, metadata), enc);
      });
      it('loadPlainFile(input) + the metadata → emitEncryptedFile equals the sops file', () => {
        const { metadata } = store.loadEncryptedFile(enc);
        expectBytes(store.emitEncryptedFile(store.loadPlainFile(input), metadata), enc);
      });
      it('loadPlainFile(input) → emitPlainFile equals sops decrypt', () => {
        expectBytes(store.emitPlainFile(store.loadPlainFile(input)), dec);
      });
      it('decrypting the sops file (MAC checked) gives sops decrypt', async () => {
        const { tree } = await decryptFile(enc, testIdentities);
        expectBytes(store.emitPlainFile(tree), dec);
      });
    });
  }
});

describe('dotenv store: recorded sops 3.13.3 vectors, encrypted', () => {
  it('has the corpus', () => {
    expect(cases.length).toBeGreaterThanOrEqual(18);
  });
  for (const c of cases) {
    describe(c.name, () => {
      const enc = read(CASES, `${c.name}.enc.env`);
      const dec = read(CASES, `${c.name}.dec.env`);
      it('loadEncryptedFile → emitEncryptedFile reproduces the sops file', () => {
        const { branches, metadata } = store.loadEncryptedFile(enc);
        expectBytes(store.emitEncryptedFile(branches, metadata), enc);
      });
      it('metadata reads and is written back in sops order', () => {
        const { metadata } = store.loadEncryptedFile(enc);
        const md = metadataFromTree(metadata);
        expect(md.version).toBe('3.13.3');
        // metadataToTree (typed values) flattens to the same lines as the strings read from the file.
        const { branches } = store.loadEncryptedFile(enc);
        expectBytes(store.emitEncryptedFile(branches, metadataToTree(md)), enc);
      });
      it('our decryption equals sops decrypt', async () => {
        const { tree } = await decryptFile(enc, testIdentities);
        expectBytes(store.emitPlainFile(tree), dec);
      });
      it('re-encrypting the decrypted tree (same IVs) gives the sops file back', async () => {
        const doc = await decryptFile(enc, testIdentities);
        expectBytes(maskFreshIvs(c.name, await encryptFile(doc.tree, doc)), maskFreshIvs(c.name, enc));
      });
      it('encrypting the parsed input with sops’s IVs gives the sops file', async () => {
        const doc = await decryptFile(enc, testIdentities);
        expectBytes(maskFreshIvs(c.name, await encryptFile(loadInput(c), doc)), maskFreshIvs(c.name, enc));
      });
    });
  }
  it('key_groups: three groups, threshold 2, read from the flattened keys', () => {
    const md = metadataFromTree(store.loadEncryptedFile(read(CASES, 'key_groups.enc.env')).metadata);
    expect(md.shamirThreshold).toBe(2);
    expect(md.keyGroups.map((g) => g.map((k) => k.type))).toEqual([['age'], ['age'], ['age']]);
  });
  it('comment_rules: mac_only_encrypted and the comment regex come back from sops_ items', () => {
    const md = metadataFromTree(store.loadEncryptedFile(read(CASES, 'comment_rules.enc.env')).metadata);
    expect(md.rules).toEqual({ encryptedCommentRegex: '^ ?enc:', macOnlyEncrypted: true });
  });
  it('invalid_utf8_value: raw value bytes survive load, encryption and decryption', async () => {
    const [branch] = store.loadPlainFile(read(CASES, 'invalid_utf8_value.input.env'));
    expect(branch!.get('A')).toEqual(new Uint8Array([...Buffer.from('latin1 caf'), 0xe9]));
    expect(branch!.get('B')).toEqual(new Uint8Array([0xff, 0xfe, 0x0a, 0xc3]));
    const { tree } = await decryptFile(read(CASES, 'invalid_utf8_value.enc.env'), testIdentities);
    expect(tree[0]!.get('B')).toEqual(new Uint8Array([0xff, 0xfe, 0x0a, 0xc3]));
    expect(store.emitPlainFile(tree)).toBeInstanceOf(Uint8Array);
  });
});

describe('dotenv store: recorded refusals of sops 3.13.3', () => {
  const errorInputs = readdirSync(ERRORS).filter((f) => f.endsWith('.input.env'));
  const rec = (name: string) => ({
    stderr: read(ERRORS, `${name}.stderr`).toString('utf8'),
    exit: Number(read(ERRORS, `${name}.exit`).toString('utf8').trim()),
  });

  for (const f of errorInputs) {
    const name = f.slice(0, -'.input.env'.length);
    const input = read(ERRORS, f);
    const r = rec(name);
    if (r.exit === 203) {
      it(`${name}: counts as already encrypted (sops exit 203)`, () => {
        const branches = store.loadPlainFile(input);
        expect(store.hasMetadata(branches)).toBe(true);
      });
      continue;
    }
    it(`${name}: ERR_PARSE, exit ${r.exit}, the line number instead of the line`, () => {
      const prefix = 'Error unmarshalling file: invalid dotenv input line: ';
      expect(r.stderr.startsWith(prefix)).toBe(true);
      // sops prints the offending line; find its number.
      const line = r.stderr.slice(prefix.length).replace(/\n$/, '');
      const lineNo = input.toString('utf8').split('\n').indexOf(line) + 1;
      expect(lineNo).toBeGreaterThan(0);
      for (const data of [input, input.toString('utf8')]) {
        const e = sopsError(() => store.loadPlainFile(data));
        expect(e.code).toBe('ERR_PARSE');
        expect(e.exitCode).toBe(r.exit);
        expect(e.message).toBe(`invalid dotenv input line: line ${lineNo} has no '='`);
        expect(e.position).toEqual({ line: lineNo, column: 1 });
        // Nothing from the file in the message.
        for (const l of input.toString('utf8').split(/\r?\n/)) if (l.trim().length > 2) expect(e.message).not.toContain(l.trim());
        expect(() => store.loadEncryptedFile(data)).toThrow(SopsError);
      }
    });
  }

  it('decrypt of a plaintext file: sops metadata not found (exit 1)', () => {
    const r = rec('decrypt_plaintext');
    for (const input of [read(CASES, 'basic.input.env'), '', '# only a comment\n']) {
      const e = sopsError(() => store.loadEncryptedFile(input));
      expect([e.code, e.message + '\n', e.exitCode]).toEqual(['ERR_METADATA_NOT_FOUND', r.stderr, r.exit]);
    }
  });

  it('a list or map value cannot be written (recorded: YAML → dotenv, exit 4)', () => {
    const r = rec('complex_value');
    const branches = new YamlStore().loadPlainFile(read(ERRORS, 'complex_value.input.yaml'));
    const e = sopsError(() => store.emitPlainFile(branches));
    expect(['Could not marshal tree: ' + e.message + '\n', e.exitCode, e.code]).toEqual([r.stderr, r.exit, 'ERR_EMIT']);
    const m = sopsError(() => store.emitPlainFile([new Branch([{ key: 'm', value: new Branch() }])]));
    expect(m.message).toBe('cannot use complex value in dotenv file; offending key m');
  });

  it('emitValue refuses non-strings with sops’s message (recorded --extract, exit 4)', () => {
    const values: Record<string, Value> = { i: 42n, f: 1.5, b: true, t: new SopsTime('2024-01-02T03:04:05Z'), n: null };
    for (const [k, v] of Object.entries(values)) {
      const r = rec(`extract_${k}`);
      const e = sopsError(() => store.emitValue(v));
      expect(['Error dumping tree: ' + e.message + '\n', e.exitCode, e.code]).toEqual([r.stderr, r.exit, 'ERR_EMIT']);
    }
  });

  it('YAML null → dotenv: sops writes n=<nil> and cannot decrypt it (exit 25); so do we', async () => {
    const r = rec('null_from_yaml');
    expect(r.exit).toBe(25);
    const enc = read(ERRORS, 'null_from_yaml.enc.env');
    expect(enc.toString('utf8')).toContain('\nn=<nil>\n');
    const { branches, metadata } = store.loadEncryptedFile(enc);
    expectBytes(store.emitEncryptedFile(branches, metadata), enc);
    const err = await decryptFile(enc, testIdentities).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SopsError);
    expect((err as SopsError).exitCode).toBe(25);
  });
});

// ---------------------------------------------------------------------------------- unit

describe('dotenv store: parsing', () => {
  const load = (s: string | Uint8Array) => store.loadPlainFile(s);

  it('keeps keys and values verbatim and unescapes only \\n', () => {
    const [b] = load('\uFEFFexport A = "x" \r\n#c\n# c\nB=a=b\nC=\\\\n|\\t\nD=\n');
    expect(b!.items).toEqual([
      { key: '\uFEFFexport A ', value: ' "x" \r' },
      { key: new Comment('c'), value: null },
      { key: new Comment(' c'), value: null },
      { key: 'B', value: 'a=b' },
      { key: 'C', value: '\\\n|\\t' },
      { key: 'D', value: '' },
    ]);
  });

  it('always gives one branch, empty for an empty file or only newlines', () => {
    expect(load('')).toEqual([new Branch()]);
    expect(load(new Uint8Array([0x0a, 0x0a]))).toEqual([new Branch()]);
  });

  it('accepts strings, Uint8Array, and any view (Buffer subarray)', () => {
    const expected = load('A=é\n');
    expect(load(Buffer.from('xxA=é\n').subarray(2))).toEqual(expected);
    expect(load(new TextEncoder().encode('A=é\n'))).toEqual(expected);
    expect(() => load(42 as unknown as string)).toThrow(TypeError);
  });

  it('a key or comment that is not UTF-8 is ERR_PARSE (the tree holds them as text); Go sops keeps the bytes', () => {
    for (const [input, what, line] of [
      [[0x41, 0x3d, 0x31, 0x0a, 0x42, 0xff, 0x3d, 0x78], 'key', 2],
      [[0x23, 0xe9, 0x0a], 'comment', 1],
    ] as const) {
      const e = sopsError(() => load(new Uint8Array(input)));
      expect(e.code).toBe('ERR_PARSE');
      expect(e.message).toBe(`invalid dotenv input line: the ${what} on line ${line} is not valid UTF-8`);
      expect(e.position?.line).toBe(line);
    }
  });

  it('line numbers count every \\n, blank lines included', () => {
    expect(sopsError(() => load('A=1\n\n\nsecret\n')).position).toEqual({ line: 4, column: 1 });
    expect(sopsError(() => load(new Uint8Array([0x41, 0x3d, 0xff, 0x0a, 0x0a, 0x78]))).position).toEqual({ line: 3, column: 1 });
  });

  it('extracts sops_ items wherever they stand, and only from branch 0', () => {
    const { branches, metadata } = store.loadEncryptedFile('sops_version=3.13.3\nA=1\nsops_mac=\n#sops_x=1\n');
    expect(branches[0]!.items).toEqual([
      { key: 'A', value: '1' },
      { key: new Comment('sops_x=1'), value: null },
    ]);
    expect(metadata.items).toEqual([
      { key: 'mac', value: '' },
      { key: 'version', value: '3.13.3' },
    ]);
  });

  it('unflattens lists and maps; a gap or a type clash is ERR_METADATA_INVALID', () => {
    const { metadata } = store.loadEncryptedFile('sops_k__list_1__map_b=y\nsops_k__list_0__map_a=x\\ny\n');
    expect(metadata).toEqual(
      new Branch([{ key: 'k', value: [new Branch([{ key: 'a', value: 'x\ny' }]), new Branch([{ key: 'b', value: 'y' }])] }]),
    );
    expect(sopsError(() => store.loadEncryptedFile('sops_k__list_1=x\n')).code).toBe('ERR_METADATA_INVALID');
    expect(sopsError(() => store.loadEncryptedFile('sops_k=1\nsops_k__map_a=2\n')).code).toBe('ERR_METADATA_INVALID');
  });

  it('hasMetadata: a string key of branch 0 starting with sops_ (not SOPS_, not " sops_", not a comment)', () => {
    expect(store.hasMetadata(load('A=1\nsops_=2\n'))).toBe(true);
    expect(store.hasMetadata(load('SOPS_A=1\n sops_b=2\n#sops_c=3\n'))).toBe(false);
    expect(store.hasMetadata([new Branch(), new Branch([{ key: 'sops_x', value: '1' }])])).toBe(false);
    expect(store.hasMetadata([])).toBe(false);
  });
});

describe('dotenv store: emission', () => {
  const tree = (items: [unknown, unknown][]): TreeBranches => [
    new Branch(items.map(([key, value]) => ({ key, value }) as Branch['items'][number])),
  ];

  it('writes non-strings as sops ValToString (values as recorded in typed_from_yaml.dec.env)', () => {
    const out = store.emitPlainFile(
      tree([
        ['i', 42n],
        ['f', 1000],
        ['g', 1e21],
        ['h', 1e-6],
        ['nan', NaN],
        ['inf', -Infinity],
        ['b', false],
        ['n', null],
        ['t', new SopsTime('2024-01-02T03:04:05.123+02:00')],
      ]),
    );
    expect(out).toBe('i=42\nf=1000.0\ng=1E+21\nh=1E-06\nnan=NaN\ninf=-Inf\nb=false\nn=<nil>\nt=2024-01-02T03:04:05+02:00\n');
  });

  it('escapes newlines of string values but not of comments; only branch 0 is written', () => {
    const out = store.emitPlainFile([
      new Branch([
        { key: new Comment(' a\nb', true), value: null },
        { key: 'S', value: 'x\ny\\n' },
      ]),
      new Branch([{ key: 'Z', value: '1' }]),
    ]);
    expect(out).toBe('# a\nb\nS=x\\ny\\n\n');
  });

  it('raw bytes: UTF-8 as text, anything else as the exact bytes', () => {
    expect(store.emitPlainFile(tree([['A', new TextEncoder().encode('é\n')]]))).toBe('A=é\\n\n');
    const out = store.emitPlainFile(tree([['A', new Uint8Array([0xff, 0x0a])], ['B', 'é']]));
    expect(out).toEqual(new Uint8Array([0x41, 0x3d, 0xff, 0x5c, 0x6e, 0x0a, 0x42, 0x3d, 0xc3, 0xa9, 0x0a]));
  });

  it('errors: no branch, non-string key', () => {
    expect(sopsError(() => store.emitPlainFile([])).code).toBe('ERR_EMIT');
    const e = sopsError(() => store.emitPlainFile(tree([[1n, 'x']])));
    expect([e.code, e.message]).toEqual(['ERR_EMIT', 'Tree contains a non-string key (type int). Only string keys are supported']);
  });

  it('emitEncryptedFile refuses a data key starting with sops_ (sops SerializeMetadata), quoting it as Go %q', () => {
    const md = new Branch([{ key: 'version', value: '3.13.3' }]);
    expect(store.emitEncryptedFile(tree([['A', '1']]), md)).toBe('A=1\nsops_version=3.13.3\n');
    const e = sopsError(() => store.emitEncryptedFile(tree([['sops_a\t\uFEFFé"', '1']]), md));
    expect(e.code).toBe('ERR_EMIT');
    expect(e.message).toBe(
      'Error marshaling metadata: Found key "sops_a\\t\\ufeffé\\"" in encrypted data, which starts with the reserved key prefix "sops_" for SOPS metadata',
    );
  });

  it('emitEncryptedFile flattens typed metadata with ValToString and escapes newlines', () => {
    const md = new Branch([
      { key: 'age', value: [new Branch([{ key: 'enc', value: 'a\nb\n' }, { key: 'recipient', value: 'age1x' }])] },
      { key: 'mac_only_encrypted', value: true },
      { key: 'shamir_threshold', value: 2n },
      { key: 'empty', value: [] },
    ]);
    expect(store.emitEncryptedFile([new Branch()], md)).toBe(
      'sops_age__list_0__map_enc=a\\nb\\n\nsops_age__list_0__map_recipient=age1x\nsops_mac_only_encrypted=true\nsops_shamir_threshold=2\n',
    );
  });

  it('emitValue: strings raw with no newline added', () => {
    expect(store.emitValue('a\nb')).toBe('a\nb');
    expect(store.emitValue(new Uint8Array([0xff]))).toEqual(new Uint8Array([0xff]));
    expect(sopsError(() => store.emitValue([])).message).toBe('the dotenv store only supports emitting strings, got []interface {}');
  });

  it('format is dotenv', () => {
    expect(new DotenvStore({ indent: 4 }).format).toBe('dotenv');
  });
});

describe('dotenv store: properties', () => {
  const runs = process.env.SLOW === '1' ? 2000 : 200;
  // Any line but an empty one: a comment, or key=value with a key that has no '=' and does not start with '#'.
  const text = fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '\\', 'n', '=', '#', '\r', '\t', 'é', '🔑', '"', 'sops_') });
  const line = fc.oneof(
    text.map((t) => '#' + t),
    fc.tuple(text, text).map(([k, v]) => {
      const key = k.replaceAll('=', '');
      return (key.startsWith('#') ? 'K' + key : key) + '=' + v;
    }),
  );
  it('emitPlainFile(loadPlainFile(x)) gives x back for any file of non-empty lines ending in \\n', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 8 }), (lines) => {
        const file = lines.map((l) => l + '\n').join('');
        expect(store.emitPlainFile(store.loadPlainFile(file))).toBe(file);
        expect(store.emitPlainFile(store.loadPlainFile(new TextEncoder().encode(file)))).toBe(file);
      }),
      { numRuns: runs },
    );
  });
  it('any bytes either load or fail with ERR_PARSE; values round trip as bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
        try {
          const branches = store.loadPlainFile(raw);
          // Re-emitting drops empty lines and adds a final \n; loading that again gives the same tree.
          expect(store.loadPlainFile(store.emitPlainFile(branches))).toEqual(branches);
        } catch (e) {
          expect(e).toBeInstanceOf(SopsError);
          expect((e as SopsError).code).toBe('ERR_PARSE');
        }
      }),
      { numRuns: runs },
    );
  });
});

// ---------------------------------------------------------------------------------- live

const sops = requireSops();

describe.skipIf(!sops)('live: Go sops 3.13.3 as the oracle', () => {
  let dir: string;
  let recipient: string;
  let identity: string;
  let config: string;
  let keyEnv: Record<string, string>;

  beforeAll(async () => {
    assertIsGoSops(sops!);
    dir = mkdtempSync(join(tmpdir(), 'sops-ts-dotenv-'));
    identity = await generateIdentity();
    recipient = await identityToRecipient(identity);
    const keyFile = join(dir, 'keys.txt');
    writeFileSync(keyFile, identity + '\n');
    keyEnv = { SOPS_AGE_KEY_FILE: keyFile };
    config = join(dir, 'no-rules.sops.yaml');
    writeFileSync(config, '# no creation rules\n');
  });

  const run = (args: string[]) => runSops(['--config', config, ...args], { env: keyEnv });
  const encrypt = (file: string, type: 'dotenv' | 'yaml', extra: string[] = []): Buffer => {
    const r = run(['encrypt', '--age', recipient, ...extra, '--input-type', type, '--output-type', 'dotenv', file]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  const decrypt = (enc: Uint8Array): Buffer => {
    const f = join(dir, 'in.enc.env');
    writeFileSync(f, enc);
    const r = run(['decrypt', '--input-type', 'dotenv', '--output-type', 'dotenv', f]);
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };

  for (const c of cases.filter((x) => !readdirSync(CASES).includes(`${x.name}.sops.yaml`))) {
    it(`${c.name}: byte-identical to sops encrypt and decrypt (fresh key)`, async () => {
      const file = join(CASES, c.input);
      for (const extra of c.yaml ? [[]] : [[], ['--encrypted-regex', '^NOMATCH$']]) {
        const enc = encrypt(file, c.yaml ? 'yaml' : 'dotenv', extra);
        const parts = store.loadEncryptedFile(enc);
        expectBytes(store.emitEncryptedFile(parts.branches, parts.metadata), enc);
        const dec = decrypt(enc);
        const doc = await decryptFile(enc, [identity]);
        expectBytes(store.emitPlainFile(doc.tree), dec);
        expectBytes(maskFreshIvs(c.name, await encryptFile(loadInput(c), doc)), maskFreshIvs(c.name, enc));
        if (!c.yaml) expectBytes(store.emitPlainFile(loadInput(c)), dec);
        // The recorded decryption is what this binary gives too.
        const recorded = read(CASES, extra.length === 0 ? `${c.name}.dec.env` : `${c.name}.plain.dec.env`);
        expectBytes(dec, recorded);
      }
    });
  }

  it('refusals: same exit codes as recorded', () => {
    for (const f of readdirSync(ERRORS).filter((x) => x.endsWith('.input.env'))) {
      const name = f.slice(0, -'.input.env'.length);
      const r = run(['encrypt', '--age', recipient, '--input-type', 'dotenv', '--output-type', 'dotenv', join(ERRORS, f)]);
      expect(r.code, name).toBe(Number(read(ERRORS, `${name}.exit`).toString('utf8').trim()));
      expect(r.stderr, name).toBe(read(ERRORS, `${name}.stderr`).toString('utf8'));
    }
  });

  it('--extract of a string equals emitValue; sops_ items at the top are still metadata', async () => {
    const enc = encrypt(join(CASES, 'basic.input.env'), 'dotenv');
    const f = join(dir, 'x.enc.env');
    writeFileSync(f, enc);
    const r = run(['decrypt', '--extract', '["G"]', f]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString('utf8')).toBe(store.emitValue('line1\nline2'));
    // Move the metadata lines to the top: sops still reads the file, and so do we.
    const lines = enc.toString('utf8').split('\n').filter((l) => l !== '');
    const moved = Buffer.from([...lines.filter((l) => l.startsWith('sops_')), ...lines.filter((l) => !l.startsWith('sops_'))].join('\n') + '\n');
    const dec = decrypt(moved);
    expectBytes(store.emitPlainFile((await decryptFile(moved, [identity])).tree), dec);
    expectBytes(dec, read(CASES, 'basic.dec.env'));
  });
});
