/**
 * YAML store tests.
 *
 * The expected bytes come from the real Go sops binary (the oracle), never
 * from this file: each input is encrypted by sops with
 * `--encrypted-regex '^NOMATCH$'` (so every value and comment stays in
 * plaintext and the encrypted file shows go-yaml's emission of the data plus
 * the metadata), then decrypted by sops (go-yaml's plain emission after a
 * load). We check:
 *  (a) loadEncryptedFile → emitEncryptedFile reproduces sops's encrypted file;
 *  (b) loadPlainFile(input) → emitPlainFile equals sops's decrypt output;
 *  (c) the decrypt output is a fixed point of load → emit.
 *
 * The binary is the pinned `.tools/sops-3.13.3/sops` (test/helpers/sops.ts). Without it these tests
 * are skipped with a message, unless `SOPS_TS_REQUIRE_SOPS=1`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SopsError } from '../src/errors.js';
import { YamlStore } from '../src/stores/yaml.js';
import { Branch, Comment, SopsTime } from '../src/tree.js';
import { findSops } from './helpers/sops.js';

const FIXTURES = join(import.meta.dirname, 'fixtures', 'yaml');

// The pinned reference (3.13.3), not whichever release sorts last in .tools/.
const SOPS = findSops();
if (!SOPS) {
  if (process.env['SOPS_TS_REQUIRE_SOPS'] === '1') {
    throw new Error('SOPS_TS_REQUIRE_SOPS=1 but no sops binary under .tools/sops-*/sops');
  }
  console.warn('[yaml-store.test] sops binary not found under .tools/sops-*/sops: oracle tests SKIPPED');
}

/** Inputs written inline (the larger ones live in test/fixtures/yaml/). */
const INLINE: Record<string, string> = {
  'list-comments': 'l:\n  # head of list\n  - a # inline a\n  # between\n  - b\n  # end\nm: 1\n',
  'dash-comment': 'l:\n  - # on dash\n    - nested\n  -   # lone\n    k: v\n',
  'key-line-comment': 'a: # after key\n  b: 1\nc: # after c\n  - x\n',
  'blank-comment-lines': '#\n# a\n\n#\nk: v\n#\n',
  'nested-foot': 'a:\n  b:\n    c: 1\n    # foot c\n\n  # foot b?\n# top\nd: 2\n',
  'comment-only-map': 'a:\n  # only a comment\nb: 1\n',
  'doc-head-foot': '# head\n\n# head 2\n---\na: 1\n# foot\n',
  'flow': 'a: {x: 1, y: [1, 2, {z: 3}]}\nb: [a, "b", c: d]\n',
  'folded': 'f: >\n  one\n  two\n\n  three\nk: >-\n  kept\n',
  'empty-doc': 'a: 1\n---\n---\nb: 2\n',
  'explicit-doc': '---\na: 1\n...\n---\nb: 2\n',
  'emoji-keys': '"😀": "😀 value"\nk: "\\U0001F600"\n',
  'control': 'a: "\\x01\\x1f\\x7f"\nb: "\\t"\nc: "x\\r\\ny"\n',
  'numbers': 'a: 9007199254740993\nb: 18446744073709551616\nc: 1e21\nd: 1e-7\nf: 3.0\ng: .5\nh: 1_000\ni: 0x1F\nj: 0o17\nk: 017\nl: 123456789012345678901234567890\n',
  'times': 'a: 2024-01-02\nb: 2024-01-02T03:04:05Z\nc: 2024-01-02T03:04:05.123000+02:00\nd: 2024-01-02 03:04:05\ne: 2024-1-2\n',
  'bools-nulls': 'a: yes\nb: No\nc: on\nd: TRUE\ne: False\nf: ~\ng: Null\nh:\n',
  'merge': 'base: &b\n  x: 1\nd:\n  <<: *b\n  y: 2\n',
  'literal-indicators': 'a: "  lead\\nx"\nb: "\\nlead nl"\nc: "a\\n\\n\\n"\nd: "\\n"\n',
  'deep-lists': 'a:\n  - - - x\n      - y\n  - - {}\n    - []\n',
  'long-value': `k: ${'word '.repeat(60).trim()}\n`,
  'negative-zero': 'a: -0.0\nb: -0\n',
};

/**
 * Inputs whose encrypted file is not a fixed point of load → emit, in Go as
 * here: go-yaml writes the float -0 as `-0`, which reads back as the int 0.
 */
const NOT_IDEMPOTENT = new Set(['negative-zero']);

interface Case {
  name: string;
  input: string;
  indent?: number;
  viaConfig?: boolean;
}

const CASES: Case[] = [
  ...readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ name: f, input: readFileSync(join(FIXTURES, f), 'utf8') })),
  ...Object.entries(INLINE).map(([name, input]) => ({ name, input })),
  ...[2, 3, 4, 8].map((indent) => ({ name: `structure.yaml --indent ${indent}`, input: readFileSync(join(FIXTURES, 'structure.yaml'), 'utf8'), indent })),
  { name: 'comments.yaml --indent 2', input: readFileSync(join(FIXTURES, 'comments.yaml'), 'utf8'), indent: 2 },
  { name: 'literals.yaml --indent 3', input: readFileSync(join(FIXTURES, 'literals.yaml'), 'utf8'), indent: 3 },
  { name: 'structure.yaml via .sops.yaml indent 2', input: readFileSync(join(FIXTURES, 'structure.yaml'), 'utf8'), indent: 2, viaConfig: true },
];

let dir = '';
let recipient = '';
let keyFile = '';

function sops(args: string[], opts: { cwd: string; input?: string } = { cwd: dir }): { code: number; out: string; err: string } {
  const r = spawnSync(SOPS!, args, {
    cwd: opts.cwd,
    env: { ...process.env, SOPS_AGE_KEY_FILE: keyFile, SOPS_AGE_RECIPIENTS: '' },
    encoding: 'utf8',
  });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

describe.skipIf(!SOPS)('YAML store against the sops binary', () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sops-ts-yaml-'));
    const identity = await generateIdentity();
    recipient = await identityToRecipient(identity);
    keyFile = join(dir, 'keys.txt');
    writeFileSync(keyFile, identity + '\n');
    // The oracle must be Go sops, not us.
    const v = execFileSync(SOPS!, ['--version', '--disable-version-check'], { encoding: 'utf8' });
    expect(v).toMatch(/^sops 3\.\d+\.\d+/);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  let identical = 0;
  afterAll(() => {
    console.log(`[yaml-store.test] byte-identical with sops: ${identical} checks over ${CASES.length} inputs`);
  });

  for (const [i, c] of CASES.entries()) {
    it(`round-trips like sops: ${c.name}`, () => {
      const caseDir = join(dir, `case${i}`);
      execFileSync('mkdir', ['-p', caseDir]);
      const file = join(caseDir, 'in.yaml');
      writeFileSync(file, c.input);
      const global: string[] = [];
      if (c.viaConfig) {
        writeFileSync(join(caseDir, '.sops.yaml'), `stores:\n  yaml:\n    indent: ${c.indent}\n`);
      } else if (c.indent !== undefined) {
        global.push('--indent', String(c.indent));
      }
      const enc = sops([...global, 'encrypt', '--encrypted-regex', '^NOMATCH$', '--age', recipient, 'in.yaml'], { cwd: caseDir });
      expect(enc.code, enc.err).toBe(0);
      writeFileSync(join(caseDir, 'enc.yaml'), enc.out);
      const dec = sops([...global, 'decrypt', '--ignore-mac', 'enc.yaml'], { cwd: caseDir });
      expect(dec.code, dec.err).toBe(0);

      const store = new YamlStore({ indent: c.indent });
      // (a) encrypted file: load + emit is the identity.
      const parts = store.loadEncryptedFile(enc.out);
      if (!NOT_IDEMPOTENT.has(c.name)) {
        expect(store.emitEncryptedFile(parts.branches, parts.metadata)).toBe(enc.out);
        identical++;
      }
      // (b) plain input → plain output as sops decrypt writes it (for the
      // non-idempotent inputs: as the data part of sops's encrypted file).
      const plain = store.emitPlainFile(store.loadPlainFile(c.input));
      if (NOT_IDEMPOTENT.has(c.name)) expect(plain).toBe(enc.out.slice(0, enc.out.indexOf('sops:\n')));
      else expect(plain).toBe(dec.out);
      identical++;
      // (c) the decrypted output is a fixed point.
      expect(store.emitPlainFile(store.loadPlainFile(dec.out))).toBe(dec.out);
      identical++;
    });
  }

  it('emits extracted values like sops --extract (EmitValue)', () => {
    const caseDir = mkdtempSync(join(dir, 'extract-'));
    writeFileSync(join(caseDir, 'in.yaml'), 'n: 5\nf: 1.5e-7\nb: true\nl:\n  - a\n  - b: 1\n    c: [x]\n  - |\n    multi\n');
    const enc = sops(['encrypt', '--encrypted-regex', '^NOMATCH$', '--age', recipient, 'in.yaml'], { cwd: caseDir });
    expect(enc.code, enc.err).toBe(0);
    writeFileSync(join(caseDir, 'enc.yaml'), enc.out);
    const store = new YamlStore();
    const [branch] = store.loadEncryptedFile(enc.out).branches;
    for (const key of ['n', 'f', 'b', 'l']) {
      const r = sops(['decrypt', '--extract', `["${key}"]`, 'enc.yaml'], { cwd: caseDir });
      expect(r.code, r.err).toBe(0);
      expect(store.emitValue(branch!.get(key)!)).toBe(r.out);
    }
  });

  const BAD: Record<string, string> = {
    'duplicate key': 'a: secretvalue1\na: secretvalue2\n',
    'nested duplicate key': 'x:\n  b: secretvalue1\n  b: secretvalue2\n',
    'top-level list': '- secretvalue1\n- secretvalue2\n',
    'top-level scalar': 'secretvalue1\n',
    'later sequence document': 'a: secretvalue1\n---\n- secretvalue2\n',
    'later scalar document': 'a: secretvalue1\n---\nsecretvalue2\n',
    'syntax error': 'a: "secretvalue1\n',
    'comment only': '# secretvalue1\n',
  };
  for (const [name, input] of Object.entries(BAD)) {
    it(`rejects like sops: ${name}`, () => {
      const caseDir = mkdtempSync(join(dir, 'bad-'));
      writeFileSync(join(caseDir, 'in.yaml'), input);
      const enc = sops(['encrypt', '--age', recipient, 'in.yaml'], { cwd: caseDir });
      expect(enc.code).not.toBe(0);
      const store = new YamlStore();
      let err: unknown;
      try {
        store.loadPlainFile(input);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SopsError);
      expect((err as SopsError).code).toBe('ERR_PARSE');
      expect((err as SopsError).message).not.toMatch(/secretvalue/);
    });
  }
});

describe('YAML store without the binary', () => {
  const store = new YamlStore();

  it('gives zero branches for empty input and emits nothing for them', () => {
    expect(store.loadPlainFile('')).toEqual([]);
    expect(store.emitPlainFile([])).toBe('');
  });

  it('reports parse errors with code, position and no value', () => {
    const cases = ['a: secretvalue1\na: secretvalue2\n', '- secretvalue1\n', 'a: 1\n---\n- secretvalue1\n', 'secretvalue1\n', 'k: [secretvalue1\n'];
    for (const input of cases) {
      let err: unknown;
      try {
        store.loadPlainFile(input);
      } catch (e) {
        err = e;
      }
      expect(err, input).toBeInstanceOf(SopsError);
      expect((err as SopsError).code).toBe('ERR_PARSE');
      expect((err as SopsError).message).not.toContain('secretvalue');
    }
    try {
      store.loadPlainFile('a: 1\na: 2\n');
    } catch (e) {
      expect((e as SopsError).message).toBe('yaml: unmarshal errors:\n  line 2: mapping key "a" already defined at line 1');
    }
    // Every pair, earlier key first (go-yaml's order; text as sops 3.13.3 printed it for this input).
    expect(() => store.loadPlainFile('a: 1\nb: 2\na: 3\nb: 4\na: 5\n')).toThrow(
      'yaml: unmarshal errors:\n  line 3: mapping key "a" already defined at line 1\n  line 5: mapping key "a" already defined at line 1\n' +
        '  line 4: mapping key "b" already defined at line 2\n  line 5: mapping key "a" already defined at line 3',
    );
  });

  it('reports missing and malformed metadata', () => {
    expect(() => store.loadEncryptedFile('a: 1\n')).toThrow(expect.objectContaining({ code: 'ERR_METADATA_NOT_FOUND' }));
    expect(() => store.loadEncryptedFile('a: 1\nsops: x\n')).toThrow(expect.objectContaining({ code: 'ERR_METADATA_INVALID' }));
    expect(() => store.loadEncryptedFile('sops: {}\nx:\n  a: 1\n---\nsops: {a: 1}\n')).not.toThrow();
  });

  it('rejects an alias bomb and deep nesting cleanly', () => {
    let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++) bomb += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
    expect(() => store.loadPlainFile(bomb)).toThrow(expect.objectContaining({ code: 'ERR_LIMIT' }));
    const deep = 'a: ' + '['.repeat(1000) + '1' + ']'.repeat(1000) + '\n';
    expect(() => store.loadPlainFile(deep)).toThrow(expect.objectContaining({ code: 'ERR_PARSE' }));
    expect(() => store.loadPlainFile(deep)).toThrow(expect.objectContaining({ code: 'ERR_PARSE' }));
  });

  it('types scalars as go-yaml v3 does', () => {
    const [b] = store.loadPlainFile('i: 0x1F\nu: 18446744073709551615\nf: 1e3\nt: 2001-12-14t21:59:43.10-05:00\ns: "1"\nn: ~\nb: !!binary aGVsbG8=\n');
    expect(b!.get('i')).toBe(31n);
    expect(b!.get('u')).toBe(18446744073709551615n);
    expect(b!.get('f')).toBe(1000);
    expect(b!.get('t')).toEqual(new SopsTime('2001-12-14T21:59:43.1-05:00'));
    expect(b!.get('s')).toBe('1');
    expect(b!.get('n')).toBe(null);
    expect(b!.get('b')).toBe('hello');
  });

  // Expected bytes checked against go-yaml v3.0.4 running sops's store code
  // on 'l:\n  # head\n  - a\n  - b # inline\n  - ENC[…]\nbin: !!binary //4=\n'.
  it('emits comments in lists (encrypted comments are plain strings) and raw bytes', () => {
    const tree = new Branch([
      { key: 'l', value: [new Comment(' head'), 'a', new Comment(' inline', true), 'b', 'ENC[AES256_GCM,data:x,type:comment]'] },
      { key: 'bin', value: new Uint8Array([0xff, 0xfe]) },
    ]);
    expect(store.emitPlainFile([tree])).toBe('l:\n    # head\n    - a\n    - b # inline\n    - ENC[AES256_GCM,data:x,type:comment]\nbin: !!binary //4=\n');
  });
});
