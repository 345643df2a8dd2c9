// `set`, `unset`, `decrypt --extract` and `filestatus`, differential against
// the pinned Go sops. Each scenario runs twice in the same fresh directory
// (so absolute paths in messages agree): first Go sops, then our CLI, each
// on a fresh copy of the same encrypted file. Compared: exit code, stdout,
// stderr, and the file afterwards. In the file, every ciphertext sops kept
// must be kept byte for byte by us too; only values sops re-encrypted with a
// new IV (changed or new values, the MAC) may differ, and then in the same
// places with the same type; `lastmodified` is masked. Both results must
// then decrypt (with Go sops) to the same plaintext.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { parseTreePath, setValue, truncate, unsetValue, TreePathError, KeyNotFoundError } from '../src/treepath.js';
import { Branch } from '../src/tree.js';
import { cleanHomeDir, loadManifest, requireSops, runSops, vectorPath } from './helpers/sops.js';

const manifest = loadManifest();
const keyFile = vectorPath(manifest.keys['age-1']!.file);
const recipient = manifest.keys['age-1']!.recipient;
const sops = requireSops();
const env = { SOPS_AGE_KEY_FILE: keyFile };

const VECTOR_FIXTURES: Record<string, string> = {
  'old.yaml': 'sops-3.8.1/comment-markers--none--r1.enc.yaml',
  'old.json': 'sops-3.8.1/json-k8s-secret--encrypted_regex--r1.enc.json',
  'regex.yaml': 'sops-3.13.3/comment-markers--encrypted_regex--r1.enc.yaml',
  'maconly.json': 'sops-3.13.3/json-k8s-secret--mac_only_encrypted--r1.enc.json',
};

const PLAIN: Record<string, string> = {
  'f.yaml': '# top comment\na: hello\nb:\n  c: 1\n  d: [x, y]\n  e:\n    f: deep\nn: 3.5\nflag: true\nlist:\n  - one\n  - k: v\nstamp: 2024-01-02T03:04:05Z\n',
  'f.json': '{"a": "hello", "b": {"c": 1, "d": ["x", "y"]}, "n": 3.5, "flag": true, "list": ["one", {"k": "v"}]}\n',
  'f.env': 'A=hello\nB=world\nNUM=42\n',
  'f.ini': '[sec]\na = hello\nb = 2\n\n[other]\nx = y\n',
  'multi.yaml': 'a: 1\nb:\n  c: d\n---\nz: 2\n',
  'b.bin': 'hello binary\n',
};

/** Encrypted fixtures, made by Go sops itself. */
const fixtures = mkdtempSync(join(tmpdir(), 'sops-ts-set-fixtures-'));
if (sops !== undefined) {
  for (const [name, text] of Object.entries(PLAIN)) {
    writeFileSync(join(fixtures, name), text);
    const r = runSops(['encrypt', '--age', recipient, '-i', name], { cwd: fixtures });
    if (r.code !== 0) throw new Error(`could not make fixture ${name}: ${r.stderr}`);
  }
  // Plain and broken files, and one whose metadata has an empty MAC.
  writeFileSync(join(fixtures, 'plain.yaml'), 'a: 1\n');
  writeFileSync(join(fixtures, 'plain.json'), '{"a": 1}\n');
  writeFileSync(join(fixtures, 'broken.yaml'), 'a: [\n');
  writeFileSync(join(fixtures, 'broken.json'), '# not json\n');
  writeFileSync(join(fixtures, 'nomac.yaml'), readFileSync(join(fixtures, 'f.yaml'), 'utf8').replace(/mac: ENC\[[^\]]*\]/, 'mac: ""'));
  writeFileSync(join(fixtures, 'value.json'), '{"from": "file", "n": 7}\n');
  writeFileSync(join(fixtures, 'value.txt'), '"secret from a file"\n');
  // Files from the reference vectors: an older sops, selection rules, MAC over encrypted values only.
  for (const [name, rel] of Object.entries(VECTOR_FIXTURES)) copyFileSync(vectorPath(rel), join(fixtures, name));
  // A file whose MAC does not match its values: a value changed by sops, the old lastmodified and MAC put back.
  const f = readFileSync(join(fixtures, 'f.yaml'), 'utf8');
  copyFileSync(join(fixtures, 'f.yaml'), join(fixtures, 'tampered.yaml'));
  runSops(['set', 'tampered.yaml', '["a"]', '"tampered"'], { cwd: fixtures, env });
  const keep = (t: string) => t.split('\n').filter((l) => !/^    (lastmodified|mac):/.test(l));
  const meta = f.split('\n').filter((l) => /^    (lastmodified|mac):/.test(l));
  const lines = keep(readFileSync(join(fixtures, 'tampered.yaml'), 'utf8'));
  const at = lines.findIndex((l) => l.startsWith('    unencrypted_suffix:'));
  lines.splice(at, 0, ...meta);
  writeFileSync(join(fixtures, 'tampered.yaml'), lines.join('\n'));
}

afterAll(() => rmSync(fixtures, { recursive: true, force: true }));

interface Result {
  code: number;
  stdout: Buffer;
  stderr: string;
  /** every file of the directory after the run */
  files: Record<string, Buffer>;
}

function freshDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sops-ts-set-run-'));
  for (const name of Object.keys(PLAIN).concat(Object.keys(VECTOR_FIXTURES), ['plain.yaml', 'plain.json', 'broken.yaml', 'broken.json', 'nomac.yaml', 'tampered.yaml', 'value.json', 'value.txt'])) {
    copyFileSync(join(fixtures, name), join(d, name));
  }
  return d;
}

function snapshot(dir: string, names: readonly string[]): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const n of names) if (existsSync(join(dir, n))) out[n] = readFileSync(join(dir, n));
  return out;
}

const WATCHED = ['f.yaml', 'f.json', 'f.env', 'f.ini', 'multi.yaml', 'b.bin', 'plain.yaml', 'nomac.yaml', 'tampered.yaml', ...Object.keys(VECTOR_FIXTURES)];

async function runOurs(args: string[], cwd: string, input?: string, runEnv: Record<string, string> = env): Promise<Result> {
  const out: Buffer[] = [];
  let err = '';
  const code = await main(args, {
    stdout: (d) => out.push(Buffer.from(d)),
    stderr: (d) => (err += d),
    env: { PATH: process.env.PATH, HOME: cleanHomeDir(), ...runEnv },
    cwd,
    ...(input !== undefined ? { stdin: async () => new TextEncoder().encode(input) } : {}),
  });
  return { code, stdout: Buffer.concat(out), stderr: err, files: snapshot(cwd, WATCHED) };
}

function runTheirs(args: string[], cwd: string, input?: string, runEnv: Record<string, string> = env): Result {
  const r = runSops(args, { cwd, env: runEnv, ...(input !== undefined ? { input } : {}) });
  return { code: r.code, stdout: r.stdout, stderr: r.stderr, files: snapshot(cwd, WATCHED) };
}

const ENC = /ENC\[AES256_GCM,data:[^,]*,iv:[^,]*,tag:[^,]*,type:\w+\]/g;
const maskTime = (s: string) => s.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'TIME');

/**
 * Compare a file as sops wrote it with ours: same text outside the
 * ciphertexts (times masked); each ciphertext either identical, or new in
 * both (not in the original file) with the same type.
 */
/**
 * The MAC's ciphertext: the stashed one when `lastmodified` did not change
 * (a run in the same second as the original) and new otherwise, so which one
 * depends on the clock; it is masked (both files are decrypted by sops, MAC
 * verified, elsewhere).
 */
const maskMac = (s: string) => s.replace(/^(\s*"?(?:sops_)?mac"?\s*[:=]\s*"?)ENC\[AES256_GCM,[^\]]*\]/gm, '$1MAC');

function compareEncrypted(name: string, originalIn: string, theirsIn: string, mineIn: string): void {
  const [original, theirs, mine] = [maskMac(originalIn), maskMac(theirsIn), maskMac(mineIn)];
  const split = (s: string) => ({ text: maskTime(s.replace(ENC, 'ENC')), tokens: s.match(ENC) ?? [] });
  const t = split(theirs);
  const o = split(mine);
  expect(o.text, `${name}: text outside ciphertexts`).toBe(t.text);
  expect(o.tokens.length, `${name}: number of ciphertexts`).toBe(t.tokens.length);
  // `lastmodified` is masked above, but it must be new (we ran after sops).
  const times = (s: string) => s.match(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g) ?? [];
  const [to, tt, tm] = [times(original), times(theirs), times(mine)];
  tt.forEach((x, i) => {
    if (x !== to[i]) expect(tm[i]! >= x, `${name}: lastmodified ${tm[i]} older than sops's ${x}`).toBe(true);
  });
  for (let i = 0; i < t.tokens.length; i++) {
    const a = t.tokens[i]!;
    const b = o.tokens[i]!;
    if (a === b) continue;
    expect(original.includes(a), `${name}: sops kept ciphertext #${i} (${a.slice(0, 40)}…), we changed it`).toBe(false);
    expect(original.includes(b), `${name}: we kept ciphertext #${i}, sops re-encrypted it`).toBe(false);
    expect(b.replace(/.*type:/, ''), `${name}: type of ciphertext #${i}`).toBe(a.replace(/.*type:/, ''));
  }
}

interface Scenario {
  name: string;
  args: string[];
  input?: string;
  /** the environment besides PATH and HOME; default: the age-1 key file */
  env?: Record<string, string>;
  /** stderr has a time stamp (logrus fatal) */
  maskStderr?: boolean;
}

async function same(s: Scenario): Promise<{ ours: Result; theirs: Result }> {
  const dir = freshDir();
  const original = snapshot(dir, WATCHED);
  const theirs = runTheirs(s.args, dir, s.input, s.env);
  // Fresh copies of the same files, in the same directory, for our run.
  for (const [n, b] of Object.entries(original)) writeFileSync(join(dir, n), b);
  const ours = await runOurs(s.args, dir, s.input, s.env);
  const m = (x: string) => (s.maskStderr ? x.replace(/time="[^"]*"/g, 'time=T') : x);
  expect(m(ours.stderr)).toBe(m(theirs.stderr));
  expect(ours.code).toBe(theirs.code);
  expect(ours.stdout.toString('latin1')).toBe(theirs.stdout.toString('latin1'));
  for (const n of WATCHED) {
    const orig = original[n]!;
    const a = theirs.files[n]!;
    const b = ours.files[n]!;
    if (a.equals(orig)) {
      expect(b.equals(orig), `${n}: sops left it as it was, we did not`).toBe(true);
      continue;
    }
    expect(b.equals(orig), `${n}: sops rewrote it, we did not`).toBe(false);
    compareEncrypted(n, orig.toString('utf8'), a.toString('utf8'), b.toString('utf8'));
    // Both decrypt, with Go sops, to the same plaintext (our MAC is right).
    const decA = join(dir, 'dec-a-' + n);
    const decB = join(dir, 'dec-b-' + n);
    writeFileSync(decA, a);
    writeFileSync(decB, b);
    const type = n.endsWith('.yaml') ? 'yaml' : n.endsWith('.json') ? 'json' : n.endsWith('.env') ? 'dotenv' : n.endsWith('.ini') ? 'ini' : 'binary';
    const da = runSops(['decrypt', '--input-type', type, '--output-type', type, decA], { cwd: dir, env });
    const db = runSops(['decrypt', '--input-type', type, '--output-type', type, decB], { cwd: dir, env });
    expect(db.stderr).toBe(da.stderr);
    expect(db.code).toBe(da.code);
    expect(db.stdout.toString('utf8')).toBe(da.stdout.toString('utf8'));
  }
  rmSync(dir, { recursive: true, force: true });
  return { ours, theirs };
}

const SET: Scenario[] = [
  // YAML
  { name: 'yaml: replace a string', args: ['set', 'f.yaml', '["a"]', '"bye"'] },
  { name: 'yaml: new top-level key (appended)', args: ['set', 'f.yaml', '["zz"]', '"new"'] },
  { name: 'yaml: new nested key', args: ['set', 'f.yaml', '["b"]["new"]', '"v"'] },
  { name: 'yaml: new deep path', args: ['set', 'f.yaml', '["x"]["y"]["z"]', '1'] },
  { name: 'yaml: int becomes a JSON number (float64)', args: ['set', 'f.yaml', '["b"]["c"]', '2'] },
  { name: 'yaml: float', args: ['set', 'f.yaml', '["n"]', '4.25'] },
  { name: 'yaml: big number', args: ['set', 'f.yaml', '["n"]', '12345678901234567890'] },
  { name: 'yaml: bool', args: ['set', 'f.yaml', '["flag"]', 'false'] },
  { name: 'yaml: null', args: ['set', 'f.yaml', '["a"]', 'null'] },
  { name: 'yaml: unicode string with escapes', args: ['set', 'f.yaml', '["a"]', '"caf\\u00e9 \\"q\\"\\n2nd"'] },
  { name: 'yaml: object (ints stay ints)', args: ['set', 'f.yaml', '["obj"]', '{"k": 1, "l": [1, "two", 3.5, true, null], "m": {"n": "o"}}'] },
  { name: 'yaml: empty object', args: ['set', 'f.yaml', '["b"]', '{}'] },
  { name: 'yaml: list item', args: ['set', 'f.yaml', '["b"]["d"][1]', '"Y"'] },
  { name: 'yaml: list index past the end appends', args: ['set', 'f.yaml', '["b"]["d"][10]', '"z"'] },
  { name: 'yaml: path through a list past the end', args: ['set', 'f.yaml', '["list"][5]["k"]', '"v2"'] },
  { name: 'yaml: key in a list item map', args: ['set', 'f.yaml', '["list"][1]["k"]', '"w"'] },
  { name: 'yaml: through a scalar replaces it', args: ['set', 'f.yaml', '["a"]["sub"]', '"x"'] },
  { name: 'yaml: new list', args: ['set', 'f.yaml', '["newlist"][0]', '"first"'] },
  { name: 'yaml: integer into a map is a no-op but rewritten', args: ['set', 'f.yaml', '[3]', '"x"'] },
  { name: 'yaml: replace a time', args: ['set', 'f.yaml', '["stamp"]', '"now"'] },
  { name: 'yaml: single quotes in the path', args: ['set', 'f.yaml', "['a']", '"single"'] },
  { name: 'yaml: same value, rewritten anyway', args: ['set', 'f.yaml', '["a"]', '"hello"'] },
  { name: 'yaml: multi-document file', args: ['set', 'multi.yaml', '["b"]["c"]', '"e"'] },
  { name: 'yaml: --output-type json', args: ['set', '--output-type', 'json', 'f.yaml', '["a"]', '"j"'] },
  { name: 'yaml: --indent 2', args: ['--indent', '2', 'set', 'f.yaml', '["a"]', '"j"'] },
  // idempotent
  { name: '--idempotent, unchanged: not written', args: ['set', '--idempotent', 'f.yaml', '["a"]', '"hello"'] },
  { name: '--idempotent, changed: written', args: ['set', '--idempotent', 'f.yaml', '["a"]', '"other"'] },
  { name: '--idempotent, unchanged int vs float is a change', args: ['set', '--idempotent', 'f.yaml', '["b"]["c"]', '1'] },
  { name: '--idempotent, unchanged object', args: ['set', '--idempotent', 'f.yaml', '["b"]["e"]', '{"f": "deep"}'] },
  // values from files and stdin
  { name: '--value-file', args: ['set', '--value-file', 'f.yaml', '["a"]', 'value.txt'] },
  { name: '--value-file with an object', args: ['set', '--value-file', 'f.yaml', '["o"]', 'value.json'] },
  { name: '--value-file, missing file', args: ['set', '--value-file', 'f.yaml', '["a"]', 'nope.txt'] },
  { name: '--value-stdin', args: ['set', '--value-stdin', 'f.yaml', '["a"]'], input: '"from stdin"\n' },
  { name: '--value-stdin, object', args: ['set', '--value-stdin', 'f.json', '["s"]'], input: '{"x": [1, 2]}' },
  { name: '--value-stdin with three arguments', args: ['set', '--value-stdin', 'f.yaml', '["a"]', '"x"'], input: '"y"' },
  { name: '--value-file and --value-stdin', args: ['set', '--value-file', '--value-stdin', 'f.yaml', '["a"]'] },
  // errors
  { name: 'bad path', args: ['set', 'f.yaml', 'x', '1'] },
  { name: 'bad path: unterminated', args: ['set', 'f.yaml', '["a"', '1'] },
  { name: 'bad path: not an int', args: ['set', 'f.yaml', '[abc]', '1'] },
  { name: 'bad JSON', args: ['set', 'f.yaml', '["a"]', 'nope'] },
  { name: 'JSON number out of range', args: ['set', 'f.yaml', '["a"]', '1e400'] },
  { name: 'top-level array refused', args: ['set', 'f.yaml', '["a"]', '[1, 2]'] },
  { name: 'empty value', args: ['set', 'f.yaml', '["a"]', ''] },
  { name: 'top-level sops key', args: ['set', 'f.yaml', '["sops"]', '1'] },
  { name: 'too few arguments', args: ['set', 'f.yaml', '["a"]'] },
  { name: 'too many arguments', args: ['set', 'f.yaml', '["a"]', '"x"', 'extra'] },
  { name: 'missing file', args: ['set', 'nope.yaml', '["a"]', '1'] },
  { name: 'plaintext file', args: ['set', 'plain.yaml', '["a"]', '2'] },
  { name: 'broken file', args: ['set', 'broken.yaml', '["a"]', '2'] },
  // JSON, dotenv, INI
  { name: 'json: replace a string', args: ['set', 'f.json', '["a"]', '"bye"'] },
  { name: 'json: new nested key', args: ['set', 'f.json', '["b"]["n"]', '{"deep": [true]}'] },
  { name: 'json: list append', args: ['set', 'f.json', '["list"][2]', '3'] },
  { name: 'dotenv: replace a value', args: ['set', 'f.env', '["B"]', '"there"'] },
  { name: 'dotenv: new key', args: ['set', 'f.env', '["C"]', '"new"'] },
  { name: 'dotenv: a number', args: ['set', 'f.env', '["NUM"]', '43'] },
  { name: 'dotenv: a map cannot be written', args: ['set', 'f.env', '["M"]', '{"a": "b"}'] },
  { name: 'dotenv: sops_ prefix', args: ['set', 'f.env', '["sops_x"]', '"y"'] },
  { name: 'ini: replace a value', args: ['set', 'f.ini', '["sec"]["a"]', '"bye"'] },
  { name: 'ini: new section', args: ['set', 'f.ini', '["new"]', '{"k": "v"}'] },
  { name: 'ini: new key in a section', args: ['set', 'f.ini', '["other"]["y"]', '"z"'] },
  // older files, selection rules, keys
  { name: 'a 3.8.1 file keeps its version', args: ['set', 'old.yaml', '["creds"]["user"]', '"alice"'] },
  { name: 'a 3.8.1 JSON file with encrypted_regex', args: ['set', 'old.json', '["stringData"]["port"]', '"6543"'] },
  { name: 'encrypted_regex: a key left in the clear', args: ['set', 'regex.yaml', '["kind"]', '"Other"'] },
  { name: 'encrypted_regex: comments and lists kept', args: ['set', 'regex.yaml', '["list"][0]', '"changed"'] },
  { name: 'mac_only_encrypted', args: ['set', 'maconly.json', '["metadata"]["name"]', '"renamed"'] },
  { name: 'mac_only_encrypted: unencrypted key added', args: ['set', 'maconly.json', '["new_unencrypted"]', '"x"'] },
  { name: 'MAC mismatch', args: ['set', 'tampered.yaml', '["a"]', '"x"'] },
  { name: 'MAC mismatch, --ignore-mac', args: ['set', '--ignore-mac', 'tampered.yaml', '["a"]', '"x"'] },
  { name: 'no key', args: ['set', 'f.yaml', '["a"]', '"x"'], env: {} },
  { name: 'duplicate decryption order', args: ['set', '--decryption-order', 'age,age', 'f.yaml', '["a"]', '"x"'] },
  { name: 'binary: the data', args: ['set', 'b.bin', '["data"]', '"new content"'] },
  { name: 'binary: another key (kept, never printed)', args: ['set', 'b.bin', '["other"]', '"x"'] },
  // legacy --set
  { name: 'legacy --set', args: ['--set', '["a"] "legacy"', 'f.yaml'] },
  { name: 'legacy --set, object, JSON file', args: ['--set', '["b"]["n"] {"k": 1}', 'f.json'] },
  { name: 'legacy --set, spaces before the value', args: ['--set', '["a"]   "x"', 'f.yaml'] },
  { name: 'legacy --set without a space', args: ['--set', '["a"]"x"', 'f.yaml'] },
  { name: 'legacy --set, bad JSON', args: ['--set', '["a"] nope', 'f.yaml'] },
  { name: 'legacy --set, bad path', args: ['--set', 'x] 1', 'f.yaml'] },
  { name: 'legacy --set, missing file', args: ['--set', '["a"] 1', 'nope.yaml'] },
  { name: 'legacy --set, no file', args: ['--set', '["a"] 1'] },
];

const UNSET: Scenario[] = [
  { name: 'yaml: top-level key', args: ['unset', 'f.yaml', '["a"]'] },
  { name: 'yaml: nested key', args: ['unset', 'f.yaml', '["b"]["c"]'] },
  { name: 'yaml: whole map', args: ['unset', 'f.yaml', '["b"]'] },
  { name: 'yaml: list item', args: ['unset', 'f.yaml', '["b"]["d"][0]'] },
  { name: 'yaml: key in a list item', args: ['unset', 'f.yaml', '["list"][1]["k"]'] },
  { name: 'yaml: missing key', args: ['unset', 'f.yaml', '["zz"]'] },
  { name: 'yaml: missing key, --idempotent', args: ['unset', '--idempotent', 'f.yaml', '["zz"]'] },
  { name: 'yaml: present key, --idempotent', args: ['unset', '--idempotent', 'f.yaml', '["a"]'] },
  { name: 'yaml: index out of bounds', args: ['unset', 'f.yaml', '["b"]["d"][5]'] },
  { name: 'yaml: index out of bounds, --idempotent', args: ['unset', '--idempotent', 'f.yaml', '["b"]["d"][5]'] },
  { name: 'yaml: through a scalar', args: ['unset', 'f.yaml', '["a"]["x"]'] },
  { name: 'yaml: through an int', args: ['unset', 'f.yaml', '["b"]["c"]["x"]'] },
  { name: 'yaml: integer key into a map', args: ['unset', 'f.yaml', '[0]'] },
  { name: 'bad path', args: ['unset', 'f.yaml', 'x'] },
  { name: 'no path', args: ['unset', 'f.yaml'] },
  { name: 'missing file', args: ['unset', 'nope.yaml', '["a"]'] },
  { name: 'plaintext file', args: ['unset', 'plain.yaml', '["a"]'] },
  { name: 'json: nested key', args: ['unset', 'f.json', '["b"]["d"]'] },
  { name: 'dotenv: a key', args: ['unset', 'f.env', '["A"]'] },
  { name: 'ini: a key', args: ['unset', 'f.ini', '["sec"]["b"]'] },
  { name: 'ini: a section', args: ['unset', 'f.ini', '["other"]'] },
  { name: 'a 3.8.1 file', args: ['unset', 'old.yaml', '["creds"]["token"]'] },
  { name: 'a commented key under encrypted_regex', args: ['unset', 'regex.yaml', '["password"]'] },
  { name: 'mac_only_encrypted', args: ['unset', 'maconly.json', '["metadata"]["labels"]'] },
  { name: 'MAC mismatch', args: ['unset', 'tampered.yaml', '["a"]'] },
  { name: 'no key', args: ['unset', 'f.yaml', '["a"]'], env: {} },
];

const EXTRACT: Scenario[] = [
  { name: 'yaml: a map', args: ['decrypt', '--extract', '["b"]', 'f.yaml'] },
  { name: 'yaml: a string (raw, no newline)', args: ['decrypt', '--extract', '["a"]', 'f.yaml'] },
  { name: 'yaml: an int', args: ['decrypt', '--extract', '["b"]["c"]', 'f.yaml'] },
  { name: 'yaml: a float', args: ['decrypt', '--extract', '["n"]', 'f.yaml'] },
  { name: 'yaml: a bool', args: ['decrypt', '--extract', '["flag"]', 'f.yaml'] },
  { name: 'yaml: a time', args: ['decrypt', '--extract', '["stamp"]', 'f.yaml'] },
  { name: 'yaml: a list', args: ['decrypt', '--extract', '["b"]["d"]', 'f.yaml'] },
  { name: 'yaml: a list of maps', args: ['decrypt', '--extract', '["list"]', 'f.yaml'] },
  { name: 'yaml: a list item', args: ['decrypt', '--extract', '["list"][1]', 'f.yaml'] },
  { name: 'yaml: a map item by index', args: ['decrypt', '--extract', '["b"][0]', 'f.yaml'] },
  { name: 'yaml: a map item by index, JSON output', args: ['decrypt', '--extract', '["b"][0]', '--output-type', 'json', 'f.yaml'] },
  { name: 'yaml: a map, JSON output', args: ['decrypt', '--extract', '["b"]', '--output-type', 'json', 'f.yaml'] },
  { name: 'yaml: a list, JSON output', args: ['decrypt', '--extract', '["b"]["d"]', '--output-type', 'json', 'f.yaml'] },
  { name: 'yaml: multi-document, a map of the first', args: ['decrypt', '--extract', '["b"]', 'multi.yaml'] },
  { name: 'yaml: missing key', args: ['decrypt', '--extract', '["q"]', 'f.yaml'] },
  { name: 'yaml: index out of bounds', args: ['decrypt', '--extract', '["b"]["d"][9]', 'f.yaml'] },
  { name: 'yaml: index into a scalar', args: ['decrypt', '--extract', '["a"][0]', 'f.yaml'] },
  { name: 'yaml: bad path (91)', args: ['decrypt', '--extract', 'x', 'f.yaml'] },
  { name: 'yaml: bad index (91)', args: ['decrypt', '--extract', '[x]', 'f.yaml'] },
  { name: 'empty path: the whole file', args: ['decrypt', '--extract', '', 'f.yaml'] },
  { name: 'legacy -d --extract', args: ['-d', '--extract', '["a"]', 'f.yaml'] },
  { name: 'plaintext file', args: ['decrypt', '--extract', '["a"]', 'plain.yaml'] },
  { name: 'a 3.8.1 file, commented section', args: ['decrypt', '--extract', '["section"]', 'old.yaml'] },
  { name: 'bad path checked before the key', args: ['decrypt', '--extract', '[a', 'f.yaml'], env: {} },
  { name: 'no key', args: ['decrypt', '--extract', '["a"]', 'f.yaml'], env: {} },
  { name: 'json: a map', args: ['decrypt', '--extract', '["b"]', 'f.json'] },
  { name: 'json: a string', args: ['decrypt', '--extract', '["a"]', 'f.json'] },
  { name: 'json: a number', args: ['decrypt', '--extract', '["n"]', 'f.json'] },
  { name: 'json: a list', args: ['decrypt', '--extract', '["list"]', 'f.json'] },
  { name: 'json: a map item by index', args: ['decrypt', '--extract', '["b"][1]', 'f.json'] },
  { name: 'dotenv: a value', args: ['decrypt', '--extract', '["B"]', 'f.env'] },
  { name: 'dotenv: missing', args: ['decrypt', '--extract', '["Q"]', 'f.env'] },
  { name: 'dotenv: an int cannot be emitted', args: ['decrypt', '--extract', '["b"]["c"]', '--input-type', 'yaml', '--output-type', 'dotenv', 'f.yaml'] },
  { name: 'ini: a section', args: ['decrypt', '--extract', '["sec"]', 'f.ini'] },
  { name: 'binary: the data', args: ['decrypt', '--extract', '["data"]', 'b.bin'] },
  { name: 'binary: a missing key', args: ['decrypt', '--extract', '["x"]', 'b.bin'] },
  { name: 'ini: a value', args: ['decrypt', '--extract', '["sec"]["a"]', 'f.ini'] },
  { name: 'ini: a list from YAML', args: ['decrypt', '--extract', '["b"]["d"]', '--output-type', 'ini', 'f.yaml'] },
];

const FILESTATUS: Scenario[] = [
  { name: 'encrypted YAML', args: ['filestatus', 'f.yaml'] },
  { name: 'encrypted JSON', args: ['filestatus', 'f.json'] },
  { name: 'encrypted dotenv', args: ['filestatus', 'f.env'] },
  { name: 'encrypted INI', args: ['filestatus', 'f.ini'] },
  { name: 'plain YAML', args: ['filestatus', 'plain.yaml'] },
  { name: 'plain JSON', args: ['filestatus', 'plain.json'] },
  { name: 'empty MAC', args: ['filestatus', 'nomac.yaml'] },
  { name: 'broken YAML', args: ['filestatus', 'broken.yaml'], maskStderr: true },
  { name: 'broken JSON', args: ['filestatus', 'broken.json'], maskStderr: true },
  { name: 'missing file', args: ['filestatus', 'nope.yaml'], maskStderr: true },
  { name: 'no file', args: ['filestatus'] },
  { name: 'JSON read as YAML', args: ['filestatus', '--input-type', 'yaml', 'f.json'] },
];

describe.skipIf(sops === undefined)('set / unset / extract / filestatus: same as Go sops', () => {
  describe('set', () => {
    it.each(SET.map((s) => [s.name, s] as const))('%s', async (_n, s) => {
      await same(s);
    });
  });
  describe('unset', () => {
    it.each(UNSET.map((s) => [s.name, s] as const))('%s', async (_n, s) => {
      await same(s);
    });
  });
  describe('decrypt --extract', () => {
    it.each(EXTRACT.map((s) => [s.name, s] as const))('%s', async (_n, s) => {
      await same(s);
    });
  });
  describe('filestatus', () => {
    it.each(FILESTATUS.map((s) => [s.name, s] as const))('%s', async (_n, s) => {
      await same(s);
    });
  });
  it('set keeps every unchanged ciphertext and the version', async () => {
    const { ours } = await same({ name: 'x', args: ['set', 'f.yaml', '["a"]', '"changed"'] });
    const orig = readFileSync(join(fixtures, 'f.yaml'), 'utf8');
    const mine = ours.files['f.yaml']!.toString('utf8');
    const tokens = (s: string) => s.match(ENC) ?? [];
    const changed = tokens(mine).filter((t) => !orig.includes(t));
    expect(changed.length).toBe(2); // the new value and the MAC
    expect(mine).toMatch(/version: 3\.13\.3/);
  });
});

describe('treepath (no binary needed)', () => {
  it('parses paths as sops does', () => {
    expect(parseTreePath('["a"][0][\'b\']')).toEqual(['a', 0, 'b']);
    expect(parseTreePath('')).toEqual([]);
    expect(parseTreePath('["a]b"]')).toEqual(['a]b']);
    expect(() => parseTreePath('x')).toThrow(new TreePathError("component x doesn't end with ]"));
    expect(() => parseTreePath('[x]')).toThrow('strconv.Atoi: parsing "x": invalid syntax');
    expect(() => parseTreePath('[99999999999999999999]')).toThrow('value out of range');
  });
  it('sets, appends, unsets and truncates', () => {
    const b = new Branch([{ key: 'a', value: 'x' }, { key: 'l', value: ['p'] }]);
    expect(setValue(b, ['a'], 'x')).toBe(false);
    expect(setValue(b, ['l', 4], 'q')).toBe(true);
    expect(setValue(b, ['n', 'm'], 1)).toBe(true);
    expect(truncate(b, ['l'])).toEqual(['p', 'q']);
    expect(truncate(b, ['n', 'm'])).toBe(1);
    expect(b.items.map((i) => i.key)).toEqual(['a', 'l', 'n']);
    unsetValue(b, ['l', 0]);
    expect(truncate(b, ['l'])).toEqual(['q']);
    expect(() => unsetValue(b, ['zz'])).toThrow(new KeyNotFoundError('Key not found: zz', 'zz'));
    expect(() => unsetValue(b, [7])).toThrow('Key not found: %!s(int=7)');
    expect(() => truncate(b, ['q'])).toThrow("component ['q'] not found");
  });
});
