// rotate, updatekeys, groups, exec-env, exec-file, keyservice and publish,
// differential against the pinned Go sops: each scenario runs both CLIs in
// two temporary directories holding the same starting files (made by sops),
// then compares exit codes, the text sops's users see, and the resulting
// files with their random parts masked. Each side's result must decrypt
// with the other binary (and must not with a removed key).
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { cleanHomeDir, loadManifest, requireSops, runSops, vectorPath } from './helpers/sops.js';

const sops = requireSops();
const manifest = loadManifest();
const R1 = manifest.keys['age-1']!.recipient;
const R2 = manifest.keys['age-2']!.recipient;
const R3 = manifest.keys['age-3']!.recipient;
const keyText = (n: number) => readFileSync(vectorPath(manifest.keys[`age-${n}`]!.file), 'utf8');

const root = mkdtempSync(join(tmpdir(), 'sops-ts-rekey-'));
const keysDir = join(root, 'keys');
const baseDir = join(root, 'base');
/** A key file holding the identities of the given test keys. */
const keyFile = (...ns: number[]) => join(keysDir, `k${ns.join('')}.txt`);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function env(keys: number[] = [1]): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cleanHomeDir(), SOPS_AGE_KEY_FILE: keyFile(...keys) };
}

async function ours(args: string[], cwd: string, keys: number[] = [1], stdin?: string): Promise<Run> {
  const out: Buffer[] = [];
  let err = '';
  const code = await main(args, {
    stdout: (d) => out.push(Buffer.from(d)),
    stderr: (d) => (err += d),
    env: env(keys),
    cwd,
    ...(stdin !== undefined ? { stdin: async () => new Uint8Array(Buffer.from(stdin)) } : {}),
  });
  return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: err };
}

function theirs(args: string[], cwd: string, keys: number[] = [1], stdin?: string): Run {
  const { PATH: _p, HOME: _h, ...extra } = env(keys);
  const r = runSops(args, { cwd, env: extra, input: stdin ?? '' });
  return { code: r.code, stdout: r.stdout.toString('utf8'), stderr: r.stderr };
}

/** Two directories with the same starting files (and `.sops.yaml` if given). */
function dirs(files: string[], config?: string): { a: string; b: string } {
  const make = (tag: string) => {
    const d = mkdtempSync(join(root, `${tag}-`));
    for (const f of files) copyFileSync(join(baseDir, f), join(d, f));
    if (config !== undefined) writeFileSync(join(d, '.sops.yaml'), config);
    return d;
  };
  return { a: make('ours'), b: make('sops') };
}

/** Log timestamps and the directory out of a text. */
function norm(s: string, dir: string): string {
  return s
    .split(dir).join('<DIR>')
    .replace(/time="[^"]*"/g, 'time="<T>"')
    .replace(/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d /gm, '<T> ');
}

/** The random parts of an encrypted file masked: ciphertexts, tags, wrapped keys, MAC, lastmodified. IVs are kept. */
function mask(s: string): string {
  return s
    .replace(/-----BEGIN AGE ENCRYPTED FILE-----[\s\S]*?-----END AGE ENCRYPTED FILE-----(\\n|\n)?/g, '<AGE>')
    .replace(/data:[^,]*,/g, 'data:<D>,')
    .replace(/tag:[^,]*,/g, 'tag:<T>,')
    .replace(/(mac"?:\s*"?)ENC\[[^\]]*\]/g, '$1<MAC>')
    .replace(/(lastmodified"?:\s*)"[^"]*"/g, '$1<LM>');
}

const ivs = (s: string) => [...s.matchAll(/ENC\[AES256_GCM,data:[^,]*,iv:([^,]*),/g)].map((m) => m[1]);
const valueIvs = (s: string) => ivs(s.replace(/mac"?:\s*"?ENC\[[^\]]*\]/, ''));

/** Exit code and stdout/stderr (normalised) the same. */
function sameRun(a: Run, b: Run, da: string, db: string, what: { stdout?: boolean; stderr?: boolean } = { stdout: true, stderr: true }): void {
  expect(a.code, `exit code; ours stderr: ${a.stderr}; sops stderr: ${b.stderr}`).toBe(b.code);
  if (what.stderr !== false) expect(norm(a.stderr, da)).toBe(norm(b.stderr, db));
  if (what.stdout !== false) expect(norm(a.stdout, da)).toBe(norm(b.stdout, db));
}

/** Decrypt with sops and with sops-ts; both must agree on the result. */
async function decryptBoth(file: string, keys: number[]): Promise<{ code: number; text: string }> {
  const cwd = join(file, '..');
  const t = theirs(['decrypt', file], cwd, keys);
  const o = await ours(['decrypt', file], cwd, keys);
  expect(o.code).toBe(t.code);
  if (t.code === 0) expect(o.stdout).toBe(t.stdout);
  return { code: t.code, text: t.stdout };
}

const PLAIN_YAML = 'a: hello\nb: 2\nc:\n    - x\n    - true\nd:\n    e: 1.5\n';
const PLAIN_JSON = '{\n\t"a": "hello",\n\t"n": 3\n}\n';
const PLAIN_ENV_YAML = 'A: hello world\nB: 2\nC: 1.5\nD: true\n# a comment\nE: 2020-01-01T00:00:00Z\n';

beforeAll(() => {
  if (!sops) return;
  mkdirSync(keysDir);
  mkdirSync(baseDir);
  for (const ks of [[1], [2], [3], [1, 2], [1, 3], [2, 3], [1, 2, 3]]) writeFileSync(keyFile(...ks), ks.map(keyText).join('\n'));
  const mk = join(root, 'mk');
  mkdirSync(mk);
  writeFileSync(join(mk, 'p.yaml'), PLAIN_YAML);
  writeFileSync(join(mk, 'p.json'), PLAIN_JSON);
  writeFileSync(join(mk, 'env.yaml'), PLAIN_ENV_YAML);
  writeFileSync(join(mk, 'complex.yaml'), 'A: 1\nB:\n    c: 2\n');
  const enc = (args: string[], out: string) => {
    const r = theirs(['encrypt', ...args], mk);
    if (r.code !== 0) throw new Error(`sops encrypt ${args.join(' ')}: ${r.stderr}`);
    writeFileSync(join(baseDir, out), r.stdout);
  };
  enc(['--age', R1, 'p.yaml'], 'one.yaml');
  enc(['--age', `${R1},${R2}`, 'p.yaml'], 'two.yaml');
  enc(['--age', R1, 'p.json'], 'one.json');
  enc(['--age', R1, 'env.yaml'], 'env.yaml');
  enc(['--age', R1, 'complex.yaml'], 'complex.yaml');
  writeFileSync(join(mk, '.sops.yaml'), `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [${R1}]\n      - age: [${R2}]\n      - age: [${R3}]\n`);
  enc(['p.yaml'], 'shamir.yaml');
});

const d = sops ? describe : describe.skip;

d('rotate', () => {
  it('rotate FILE: new data key, same IVs, same version, stdout', async () => {
    const { a, b } = dirs(['one.yaml']);
    const orig = readFileSync(join(a, 'one.yaml'), 'utf8');
    const o = await ours(['rotate', 'one.yaml'], a);
    const t = theirs(['rotate', 'one.yaml'], b);
    sameRun(o, t, a, b, { stderr: true, stdout: false });
    expect(o.code).toBe(0);
    expect(mask(o.stdout)).toBe(mask(t.stdout));
    expect(mask(o.stdout)).toBe(mask(orig));
    expect(valueIvs(o.stdout)).toEqual(valueIvs(orig));
    expect(valueIvs(t.stdout)).toEqual(valueIvs(orig));
    // the data key changed: ciphertexts differ under the same IVs
    expect(o.stdout.match(/^a: .*$/m)![0]).not.toBe(orig.match(/^a: .*$/m)![0]);
    expect(o.stdout).toContain('version: 3.13.3');
    writeFileSync(join(a, 'r.yaml'), o.stdout);
    writeFileSync(join(b, 'r.yaml'), t.stdout);
    expect((await decryptBoth(join(a, 'r.yaml'), [1])).text).toBe(PLAIN_YAML);
    expect((await decryptBoth(join(b, 'r.yaml'), [1])).text).toBe(PLAIN_YAML);
  });

  it('rotate -i writes the file in place', async () => {
    const { a, b } = dirs(['one.yaml']);
    const orig = readFileSync(join(a, 'one.yaml'), 'utf8');
    sameRun(await ours(['rotate', '-i', 'one.yaml'], a), theirs(['rotate', '-i', 'one.yaml'], b), a, b);
    const ra = readFileSync(join(a, 'one.yaml'), 'utf8');
    expect(mask(ra)).toBe(mask(readFileSync(join(b, 'one.yaml'), 'utf8')));
    expect(ra).not.toBe(orig);
    expect(valueIvs(ra)).toEqual(valueIvs(orig));
    expect((await decryptBoth(join(a, 'one.yaml'), [1])).text).toBe(PLAIN_YAML);
  });

  it('legacy sops -r FILE', async () => {
    const { a, b } = dirs(['one.yaml']);
    const o = await ours(['-r', 'one.yaml'], a);
    const t = theirs(['-r', 'one.yaml'], b);
    sameRun(o, t, a, b, { stdout: false });
    expect(mask(o.stdout)).toBe(mask(t.stdout));
  });

  it('rotate --output FILE', async () => {
    const { a, b } = dirs(['one.yaml']);
    sameRun(await ours(['rotate', '--output', 'out.yaml', 'one.yaml'], a), theirs(['rotate', '--output', 'out.yaml', 'one.yaml'], b), a, b);
    expect(mask(readFileSync(join(a, 'out.yaml'), 'utf8'))).toBe(mask(readFileSync(join(b, 'out.yaml'), 'utf8')));
  });

  it('rotate a JSON file', async () => {
    const { a, b } = dirs(['one.json']);
    const orig = readFileSync(join(a, 'one.json'), 'utf8');
    const o = await ours(['rotate', 'one.json'], a);
    const t = theirs(['rotate', 'one.json'], b);
    sameRun(o, t, a, b, { stdout: false });
    expect(mask(o.stdout)).toBe(mask(t.stdout));
    expect(valueIvs(o.stdout)).toEqual(valueIvs(orig));
    writeFileSync(join(a, 'r.json'), o.stdout);
    expect((await decryptBoth(join(a, 'r.json'), [1])).text).toBe(PLAIN_JSON);
  });

  it('rotate --add-age: the new recipient can decrypt', async () => {
    const { a, b } = dirs(['one.yaml']);
    const o = await ours(['rotate', '-i', '--add-age', R2, 'one.yaml'], a);
    const t = theirs(['rotate', '-i', '--add-age', R2, 'one.yaml'], b);
    sameRun(o, t, a, b);
    const fa = readFileSync(join(a, 'one.yaml'), 'utf8');
    expect(mask(fa)).toBe(mask(readFileSync(join(b, 'one.yaml'), 'utf8')));
    expect(fa).toContain(`recipient: ${R2}`);
    expect((await decryptBoth(join(a, 'one.yaml'), [2])).text).toBe(PLAIN_YAML);
    expect((await decryptBoth(join(b, 'one.yaml'), [2])).text).toBe(PLAIN_YAML);
  });

  it('rotate --rm-age: the removed recipient can no longer decrypt', async () => {
    const { a, b } = dirs(['two.yaml']);
    const o = await ours(['rotate', '-i', '--rm-age', R2, 'two.yaml'], a);
    const t = theirs(['rotate', '-i', '--rm-age', R2, 'two.yaml'], b);
    sameRun(o, t, a, b);
    const fa = readFileSync(join(a, 'two.yaml'), 'utf8');
    expect(mask(fa)).toBe(mask(readFileSync(join(b, 'two.yaml'), 'utf8')));
    expect(fa).not.toContain(R2);
    expect((await decryptBoth(join(a, 'two.yaml'), [2])).code).toBe(128);
    expect((await decryptBoth(join(b, 'two.yaml'), [2])).code).toBe(128);
    expect((await decryptBoth(join(a, 'two.yaml'), [1])).text).toBe(PLAIN_YAML);
  });

  it('rotate a Shamir file: re-split over the groups, threshold kept', async () => {
    const { a, b } = dirs(['shamir.yaml']);
    const orig = readFileSync(join(a, 'shamir.yaml'), 'utf8');
    const o = await ours(['rotate', '-i', 'shamir.yaml'], a, [1, 2, 3]);
    const t = theirs(['rotate', '-i', 'shamir.yaml'], b, [1, 2, 3]);
    sameRun(o, t, a, b);
    const fa = readFileSync(join(a, 'shamir.yaml'), 'utf8');
    expect(mask(fa)).toBe(mask(readFileSync(join(b, 'shamir.yaml'), 'utf8')));
    expect(fa).toContain('shamir_threshold: 2');
    expect(valueIvs(fa)).toEqual(valueIvs(orig));
    expect((await decryptBoth(join(a, 'shamir.yaml'), [2, 3])).text).toBe(PLAIN_YAML);
    expect((await decryptBoth(join(b, 'shamir.yaml'), [1, 2])).text).toBe(PLAIN_YAML);
    expect((await decryptBoth(join(a, 'shamir.yaml'), [3])).code).toBe(128);
  });

  it('rotate with the wrong key fails as sops (128)', async () => {
    const { a, b } = dirs(['one.yaml']);
    const o = await ours(['rotate', 'one.yaml'], a, [2]);
    sameRun(o, theirs(['rotate', 'one.yaml'], b, [2]), a, b);
    expect(o.code).toBe(128);
  });

  it('rotate usage errors: no file, non-existent file, --add on a missing file, -i with --output', async () => {
    const { a, b } = dirs([]);
    for (const args of [['rotate'], ['rotate', 'nope.yaml'], ['rotate', '--add-age', R2, 'nope.yaml'], ['rotate', '-i', '--output', 'x', 'nope.yaml'], ['-r', 'nope.yaml'], ['-r', '--rm-age', R2, 'nope.yaml']]) {
      const o = await ours(args, a);
      expect(o.code).not.toBe(0);
      sameRun(o, theirs(args, b), a, b);
    }
  });
});

const configOf = (groups: string[][], extra = '') =>
  groups.length === 1
    ? `creation_rules:\n  - age: ${groups[0]!.join(',')}\n${extra}`
    : `creation_rules:\n  - key_groups:\n${groups.map((g) => `      - age: [${g.join(', ')}]\n`).join('')}${extra}`;

/** updatekeys leaves values, MAC and lastmodified exactly as they were. */
function untouched(before: string, after: string): void {
  const keep = (s: string) => s.split('\n').filter((l) => /ENC\[|lastmodified|^\S/.test(l) && !/^\s+-?\s*(enc|recipient):/.test(l)).join('\n');
  expect(keep(after)).toBe(keep(before));
  expect(after.match(/mac: .*/)![0]).toBe(before.match(/mac: .*/)![0]);
  expect(after.match(/lastmodified: .*/)![0]).toBe(before.match(/lastmodified: .*/)![0]);
}

d('updatekeys', () => {
  it('-y adds a recipient from .sops.yaml; values, MAC and lastmodified untouched', async () => {
    const { a, b } = dirs(['one.yaml'], configOf([[R1, R2]]));
    const before = readFileSync(join(a, 'one.yaml'), 'utf8');
    const o = await ours(['updatekeys', '-y', 'one.yaml'], a);
    const t = theirs(['updatekeys', '-y', 'one.yaml'], b);
    sameRun(o, t, a, b);
    expect(o.stdout).toBe(`The following changes will be made to the file's groups:\nGroup 1\n    ${R1}\n+++ ${R2}\n`);
    const fa = readFileSync(join(a, 'one.yaml'), 'utf8');
    const fb = readFileSync(join(b, 'one.yaml'), 'utf8');
    expect(mask(fa)).toBe(mask(fb));
    untouched(before, fa);
    untouched(before, fb);
    expect((await decryptBoth(join(a, 'one.yaml'), [2])).text).toBe(PLAIN_YAML);
  });

  it('--yes removes a recipient; it can no longer decrypt', async () => {
    const { a, b } = dirs(['two.yaml'], configOf([[R1]]));
    const before = readFileSync(join(a, 'two.yaml'), 'utf8');
    sameRun(await ours(['updatekeys', '--yes', 'two.yaml'], a), theirs(['updatekeys', '--yes', 'two.yaml'], b), a, b);
    const fa = readFileSync(join(a, 'two.yaml'), 'utf8');
    expect(mask(fa)).toBe(mask(readFileSync(join(b, 'two.yaml'), 'utf8')));
    untouched(before, fa);
    expect((await decryptBoth(join(a, 'two.yaml'), [2])).code).toBe(128);
    expect((await decryptBoth(join(a, 'two.yaml'), [1])).text).toBe(PLAIN_YAML);
  });

  it('-y changes one group to key groups (Shamir)', async () => {
    const { a, b } = dirs(['one.yaml'], configOf([[R1], [R2]]));
    const before = readFileSync(join(a, 'one.yaml'), 'utf8');
    sameRun(await ours(['updatekeys', '-y', 'one.yaml'], a), theirs(['updatekeys', '-y', 'one.yaml'], b), a, b);
    const fa = readFileSync(join(a, 'one.yaml'), 'utf8');
    expect(mask(fa)).toBe(mask(readFileSync(join(b, 'one.yaml'), 'utf8')));
    expect(fa).toContain('key_groups:');
    untouched(before, fa);
    expect((await decryptBoth(join(a, 'one.yaml'), [1, 2])).text).toBe(PLAIN_YAML);
    expect((await decryptBoth(join(a, 'one.yaml'), [1])).code).toBe(128);
  });

  it('key groups back to one group: the threshold is capped and shown', async () => {
    const { a, b } = dirs(['shamir.yaml'], configOf([[R1, R3]]));
    const o = await ours(['updatekeys', '-y', 'shamir.yaml'], a, [1, 2, 3]);
    const t = theirs(['updatekeys', '-y', 'shamir.yaml'], b, [1, 2, 3]);
    sameRun(o, t, a, b);
    expect(o.stdout).toContain('+++ shamir_threshold: 1\n--- shamir_threshold: 2\n');
    expect(mask(readFileSync(join(a, 'shamir.yaml'), 'utf8'))).toBe(mask(readFileSync(join(b, 'shamir.yaml'), 'utf8')));
    expect((await decryptBoth(join(a, 'shamir.yaml'), [3])).text).toBe(PLAIN_YAML);
  });

  it('no changes: already up to date, file not written', async () => {
    const { a, b } = dirs(['two.yaml'], configOf([[R2, R1]]));
    const before = readFileSync(join(a, 'two.yaml'), 'utf8');
    const o = await ours(['updatekeys', '-y', 'two.yaml'], a);
    sameRun(o, theirs(['updatekeys', '-y', 'two.yaml'], b), a, b);
    expect(o.stderr).toMatch(/already up to date\n$/);
    expect(readFileSync(join(a, 'two.yaml'), 'utf8')).toBe(before);
  });

  it('asks y/n: "y" on stdin writes', async () => {
    const { a, b } = dirs(['one.yaml'], configOf([[R1, R2]]));
    const o = await ours(['updatekeys', 'one.yaml'], a, [1], 'maybe\ny\n');
    sameRun(o, theirs(['updatekeys', 'one.yaml'], b, [1], 'maybe\ny\n'), a, b);
    expect(o.stdout).toMatch(/Is this okay\? \(y\/n\):Is this okay\? \(y\/n\):$/);
    expect(mask(readFileSync(join(a, 'one.yaml'), 'utf8'))).toBe(mask(readFileSync(join(b, 'one.yaml'), 'utf8')));
  });

  it('asks y/n: "n" leaves the file unchanged', async () => {
    const { a, b } = dirs(['one.yaml'], configOf([[R1, R2]]));
    const before = readFileSync(join(a, 'one.yaml'), 'utf8');
    const o = await ours(['updatekeys', 'one.yaml'], a, [1], 'n\n');
    sameRun(o, theirs(['updatekeys', 'one.yaml'], b, [1], 'n\n'), a, b);
    expect(o.stderr).toContain('left unchanged');
    expect(readFileSync(join(a, 'one.yaml'), 'utf8')).toBe(before);
  });

  it('no answer on stdin (EOF, empty line): fails as sops', async () => {
    for (const input of ['', '\n', 'y n\n']) {
      const { a, b } = dirs(['one.yaml'], configOf([[R1, R2]]));
      const o = await ours(['updatekeys', 'one.yaml'], a, [1], input);
      sameRun(o, theirs(['updatekeys', 'one.yaml'], b, [1], input), a, b);
      expect(o.code).toBe(1);
    }
  });

  it('no .sops.yaml, or one without creation rules', async () => {
    const { a, b } = dirs(['one.yaml']);
    sameRun(await ours(['updatekeys', '-y', 'one.yaml'], a), theirs(['updatekeys', '-y', 'one.yaml'], b), a, b);
    const c = dirs(['one.yaml'], 'stores:\n  yaml:\n    indent: 2\n');
    const o = await ours(['updatekeys', '-y', 'one.yaml'], c.a);
    sameRun(o, theirs(['updatekeys', '-y', 'one.yaml'], c.b), c.a, c.b);
    expect(o.code).toBe(1);
  });

  it('several files: failures are counted', async () => {
    const { a, b } = dirs(['one.yaml', 'two.yaml'], configOf([[R1, R2]]));
    const args = ['updatekeys', '-y', 'one.yaml', 'missing.yaml', 'two.yaml'];
    const o = await ours(args, a);
    sameRun(o, theirs(args, b), a, b);
    expect(o.stderr).toContain('failed updating 1 key(s)');
    expect(mask(readFileSync(join(a, 'one.yaml'), 'utf8'))).toBe(mask(readFileSync(join(b, 'one.yaml'), 'utf8')));
  });

  it('without the key to recover the data key: 128', async () => {
    const { a, b } = dirs(['one.yaml'], configOf([[R1, R2]]));
    const o = await ours(['updatekeys', '-y', 'one.yaml'], a, [3]);
    sameRun(o, theirs(['updatekeys', '-y', 'one.yaml'], b, [3]), a, b);
    expect(o.code).toBe(128);
  });
});

d('groups', () => {
  it('groups add --age (stdout): a second group, threshold 2', async () => {
    const { a, b } = dirs(['one.yaml']);
    const before = readFileSync(join(a, 'one.yaml'), 'utf8');
    const o = await ours(['groups', 'add', '--file', 'one.yaml', '--age', R2], a);
    const t = theirs(['groups', 'add', '--file', 'one.yaml', '--age', R2], b);
    sameRun(o, t, a, b, { stdout: false });
    expect(mask(o.stdout)).toBe(mask(t.stdout));
    expect(o.stdout).toContain('shamir_threshold: 2');
    untouched(before, o.stdout);
    writeFileSync(join(a, 'g.yaml'), o.stdout);
    writeFileSync(join(b, 'g.yaml'), t.stdout);
    expect((await decryptBoth(join(a, 'g.yaml'), [1, 2])).text).toBe(PLAIN_YAML);
    expect((await decryptBoth(join(b, 'g.yaml'), [1, 2])).text).toBe(PLAIN_YAML);
    expect((await decryptBoth(join(a, 'g.yaml'), [1])).code).toBe(128);
  });

  it('groups add -i with two recipients and --shamir-secret-sharing-threshold', async () => {
    const { a, b } = dirs(['shamir.yaml']);
    const args = ['groups', 'add', '-i', '--file', 'shamir.yaml', '--age', R1, '--age', R3, '--shamir-secret-sharing-threshold', '3'];
    sameRun(await ours(args, a, [1, 2, 3]), theirs(args, b, [1, 2, 3]), a, b);
    const fa = readFileSync(join(a, 'shamir.yaml'), 'utf8');
    expect(mask(fa)).toBe(mask(readFileSync(join(b, 'shamir.yaml'), 'utf8')));
    expect(fa).toContain('shamir_threshold: 3');
    expect((await decryptBoth(join(a, 'shamir.yaml'), [1, 3])).text).toBe(PLAIN_YAML);
  });

  it('groups delete -i INDEX', async () => {
    const { a, b } = dirs(['shamir.yaml']);
    const before = readFileSync(join(a, 'shamir.yaml'), 'utf8');
    const args = ['groups', 'delete', '-i', '--file', 'shamir.yaml', '1'];
    sameRun(await ours(args, a, [1, 2, 3]), theirs(args, b, [1, 2, 3]), a, b);
    const fa = readFileSync(join(a, 'shamir.yaml'), 'utf8');
    expect(mask(fa)).toBe(mask(readFileSync(join(b, 'shamir.yaml'), 'utf8')));
    expect(fa).not.toContain(R2);
    untouched(before, fa);
    expect((await decryptBoth(join(a, 'shamir.yaml'), [1, 3])).text).toBe(PLAIN_YAML);
    expect((await decryptBoth(join(b, 'shamir.yaml'), [1, 3])).text).toBe(PLAIN_YAML);
  });

  it('groups delete below the threshold, a bad index, missing keys: errors as sops', async () => {
    const { a, b } = dirs(['shamir.yaml', 'one.yaml']);
    for (const [args, keys] of [
      [['groups', 'delete', '--file', 'shamir.yaml', '--shamir-secret-sharing-threshold', '3', '0'], [1, 2, 3]],
      [['groups', 'delete', '--file', 'shamir.yaml', 'x'], [1, 2, 3]],
      [['groups', 'delete', '--file', 'shamir.yaml'], [1, 2, 3]],
      [['groups', 'delete', '--file', 'shamir.yaml', '0'], [1]],
      [['groups', 'add', '--file', 'missing.yaml', '--age', R2], [1]],
      [['groups', 'add', '--file', 'one.yaml', 'extra'], [1]],
    ] as [string[], number[]][]) {
      const o = await ours(args, a, keys);
      expect(o.code).not.toBe(0);
      sameRun(o, theirs(args, b, keys), a, b);
    }
  });
});

d('exec-env', () => {
  it('puts the values into the environment of sh -c', async () => {
    const { a, b } = dirs(['env.yaml']);
    const cmd = `printf '%s|%s|%s|%s|%s' "$A" "$B" "$C" "$D" "$E" > out.txt`;
    sameRun(await ours(['exec-env', 'env.yaml', cmd], a), theirs(['exec-env', 'env.yaml', cmd], b), a, b);
    const out = readFileSync(join(a, 'out.txt'), 'utf8');
    expect(out).toBe(readFileSync(join(b, 'out.txt'), 'utf8'));
    expect(out).toBe('hello world|2|1.5|true|2020-01-01T00:00:00Z');
  });

  it('passes the exit status through (exit status N on stderr)', async () => {
    const { a, b } = dirs(['env.yaml']);
    const o = await ours(['exec-env', 'env.yaml', 'exit 3'], a);
    sameRun(o, theirs(['exec-env', 'env.yaml', 'exit 3'], b), a, b);
    expect(o.code).toBe(3);
    const s = await ours(['exec-env', 'env.yaml', 'kill -TERM $$'], a);
    sameRun(s, theirs(['exec-env', 'env.yaml', 'kill -TERM $$'], b), a, b);
  });

  it('--pristine: only the decrypted values', async () => {
    const { a, b } = dirs(['env.yaml']);
    const cmd = 'env | sort > out.txt';
    sameRun(await ours(['exec-env', '--pristine', 'env.yaml', cmd], a), theirs(['exec-env', '--pristine', 'env.yaml', cmd], b), a, b);
    const out = readFileSync(join(a, 'out.txt'), 'utf8');
    expect(norm(out, a)).toBe(norm(readFileSync(join(b, 'out.txt'), 'utf8'), b));
    expect(out).not.toContain('SOPS_AGE_KEY_FILE');
  });

  it('complex values, a missing command, the wrong key: errors as sops', async () => {
    const { a, b } = dirs(['complex.yaml', 'env.yaml']);
    for (const [args, keys] of [
      [['exec-env', 'complex.yaml', 'true'], [1]],
      [['exec-env', 'env.yaml'], [1]],
      [['exec-env', 'env.yaml', 'true'], [2]],
      [['exec-env', 'missing.yaml', 'true'], [1]],
    ] as [string[], number[]][]) {
      const o = await ours(args, a, keys);
      expect(o.code).not.toBe(0);
      sameRun(o, theirs(args, b, keys), a, b);
    }
  });
});

d('exec-file', () => {
  it('FIFO (default): the command reads the plaintext from {}', async () => {
    const { a, b } = dirs(['env.yaml']);
    const cmd = 'cat {} > out.txt; echo {} > path.txt; ls -l {} | cut -c1-10 > mode.txt';
    sameRun(await ours(['exec-file', 'env.yaml', cmd], a), theirs(['exec-file', 'env.yaml', cmd], b), a, b);
    expect(readFileSync(join(a, 'out.txt'), 'utf8')).toBe(readFileSync(join(b, 'out.txt'), 'utf8'));
    expect(readFileSync(join(a, 'out.txt'), 'utf8')).toBe(PLAIN_ENV_YAML);
    expect(readFileSync(join(a, 'mode.txt'), 'utf8')).toBe('prw-------\n');
    const p = readFileSync(join(a, 'path.txt'), 'utf8').trim();
    expect(p).toMatch(/\/\.sops[^/]*\/tmp-file$/);
    expect(existsSync(join(p, '..'))).toBe(false);
  });

  it('a FIFO the command never reads does not hang', async () => {
    const { a, b } = dirs(['env.yaml']);
    sameRun(await ours(['exec-file', 'env.yaml', 'exit 4'], a), theirs(['exec-file', 'env.yaml', 'exit 4'], b), a, b);
  });

  it('--no-fifo --filename --output-type json: a 0600 file in a 0700 directory, removed after', async () => {
    const { a, b } = dirs(['env.yaml']);
    const cmd = 'cat {} > out.txt; echo {} > path.txt; ls -ld {} $(dirname {}) | cut -c1-10 > mode.txt';
    const args = ['exec-file', '--no-fifo', '--filename', 'x.json', '--output-type', 'json', 'env.yaml', cmd];
    sameRun(await ours(args, a), theirs(args, b), a, b);
    expect(readFileSync(join(a, 'out.txt'), 'utf8')).toBe(readFileSync(join(b, 'out.txt'), 'utf8'));
    expect(readFileSync(join(a, 'mode.txt'), 'utf8')).toBe(readFileSync(join(b, 'mode.txt'), 'utf8'));
    expect(readFileSync(join(a, 'mode.txt'), 'utf8').split('\n').sort()).toEqual(['', '-rw-------', 'drwx------']);
    const p = readFileSync(join(a, 'path.txt'), 'utf8').trim();
    expect(p.endsWith('/x.json')).toBe(true);
    expect(existsSync(p)).toBe(false);
  });

  it('--no-fifo without --filename: tmp-file with a random suffix', async () => {
    const { a, b } = dirs(['env.yaml']);
    const cmd = 'basename {} | sed "s/[0-9]*$//" > name.txt';
    sameRun(await ours(['exec-file', '--no-fifo', 'env.yaml', cmd], a), theirs(['exec-file', '--no-fifo', 'env.yaml', cmd], b), a, b);
    expect(readFileSync(join(a, 'name.txt'), 'utf8')).toBe('tmp-file\n');
    expect(readFileSync(join(b, 'name.txt'), 'utf8')).toBe('tmp-file\n');
  });

  it('a --filename that is not local is refused', async () => {
    const { a, b } = dirs(['env.yaml']);
    for (const name of ['../x', '/tmp/x']) {
      const o = await ours(['exec-file', '--filename', name, 'env.yaml', 'cat {}'], a);
      sameRun(o, theirs(['exec-file', '--filename', name, 'env.yaml', 'cat {}'], b), a, b);
      expect(o.code).toBe(1);
    }
  });
});

d('keyservice and publish', () => {
  it('keyservice is refused clearly, naming Go sops', async () => {
    const o = await ours(['keyservice'], root);
    expect(o.code).toBe(1);
    expect(o.stderr).toMatch(/sops-ts does not support "keyservice".*Go sops/);
  });

  it('publish is refused clearly, naming Go sops', async () => {
    const { a } = dirs(['one.yaml']);
    const o = await ours(['publish', '-y', 'one.yaml'], a);
    expect(o.code).toBe(1);
    expect(o.stderr).toMatch(/sops-ts does not support "publish".*Go sops/);
  });

});
