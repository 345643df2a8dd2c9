// Key groups and Shamir secret sharing: split/combine in GF(2^8), and files
// with several key groups through both directions with the real sops.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { main } from '../src/cli/main.js';
import { SopsError } from '../src/errors.js';
import { parseAgeIdentities } from '../src/keysources/age.js';
import { combine, split } from '../src/shamir.js';
import { decrypt, encrypt } from '../src/sops.js';
import { cleanHomeDir, requireSops, loadManifest, runSops, vectorPath } from './helpers/sops.js';

const manifest = loadManifest();
const keys = ['age-1', 'age-2', 'age-3'].map((k) => ({
  file: vectorPath(manifest.keys[k]!.file),
  recipient: manifest.keys[k]!.recipient,
  identity: parseAgeIdentities(readFileSync(vectorPath(manifest.keys[k]!.file), 'utf8'))[0]!,
}));
// Live comparisons need the pinned Go sops: skipped with a visible message without it, a failure under SOPS_TS_REQUIRE_SOPS=1.
const sops = requireSops();

describe('shamir split / combine', () => {
  it('any threshold-sized subset recovers the secret; fewer do not', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.integer({ min: 2, max: 6 }), fc.integer({ min: 0, max: 4 }), (secret, threshold, extra) => {
        const parts = split(secret, threshold + extra, threshold);
        expect(parts.every((p) => p.length === secret.length + 1)).toBe(true);
        expect(parts.map((p) => p[secret.length])).toEqual(parts.map((_, i) => i + 1)); // x = index + 1 (sops ≥ 3.10)
        expect(combine(parts.slice(extra))).toEqual(secret);
        expect(combine(parts.slice(0, threshold))).toEqual(secret);
        // With fewer parts each byte is a random guess: only a long secret makes a chance match negligible.
        if (threshold > 2 && secret.length >= 16) expect(combine(parts.slice(0, threshold - 1))).not.toEqual(secret);
      }),
      { numRuns: 200 },
    );
  });

  it('rejects what sops rejects', () => {
    expect(() => split(new Uint8Array(32), 3, 1)).toThrow('threshold must be at least 2');
    expect(() => split(new Uint8Array(32), 2, 3)).toThrow('parts cannot be less than threshold');
    const parts = split(new Uint8Array(32).fill(7), 3, 2);
    expect(() => combine([parts[0]!])).toThrow(/less than two parts/);
    expect(() => combine([parts[0]!, parts[0]!])).toThrow(/duplicate part detected/);
    expect(() => combine([parts[0]!, parts[1]!.slice(1)])).toThrow(/same length/);
  });
});

describe('key groups with the library', () => {
  it('2-of-3 groups: any two keys decrypt, one does not (sops\'s report)', async () => {
    const enc = await encrypt('a: 1\nb: secret\n', { format: 'yaml', keyGroups: keys.map((k) => [k.recipient]), shamirThreshold: 2 });
    expect(enc).toContain('shamir_threshold: 2');
    expect(enc).toContain('key_groups:');
    for (const pair of [[0, 1], [0, 2], [1, 2]]) {
      expect(await decrypt(enc, { format: 'yaml', ageIdentities: pair.map((i) => keys[i]!.identity) })).toBe('a: 1\nb: secret\n');
    }
    const e = await decrypt(enc, { format: 'yaml', ageIdentities: [keys[0]!.identity] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SopsError);
    expect((e as SopsError).exitCode).toBe(128);
    expect((e as SopsError).message.replace(/\s+/g, ' ')).toContain('Recovery failed because the file was encrypted with a Shamir threshold of 2, but only 1 part(s) were successfully recovered');
  });
});

describe.skipIf(sops === undefined)('key groups against sops', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sops-ts-shamir-'));
  const config = `creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n${keys.map((k) => `      - age:\n          - ${k.recipient}\n`).join('')}`;
  writeFileSync(join(dir, '.sops.yaml'), config);
  writeFileSync(join(dir, 'secret.yaml'), 'user: app\npassword: hunter2\n');
  const identitiesFile = (idx: number[]) => {
    const p = join(dir, `keys-${idx.join('')}.txt`);
    writeFileSync(p, idx.map((i) => keys[i]!.identity).join('\n') + '\n');
    return p;
  };

  it('sops encrypts with three groups; we decrypt with any two keys, and fail like sops with one', async () => {
    const r = runSops(['encrypt', 'secret.yaml'], { cwd: dir });
    expect(r.code).toBe(0);
    const enc = r.stdout.toString('utf8');
    expect(await decrypt(enc, { format: 'yaml', ageIdentities: [keys[1]!.identity, keys[2]!.identity] })).toBe('user: app\npassword: hunter2\n');
    const encPath = join(dir, 'sops.enc.yaml');
    writeFileSync(encPath, enc);
    const one = identitiesFile([0]);
    const theirs = runSops(['decrypt', encPath], { cwd: dir, env: { SOPS_AGE_KEY_FILE: one } });
    let err = '';
    const code = await main(['decrypt', encPath], { stdout: () => undefined, stderr: (d) => (err += d), env: { PATH: process.env.PATH, HOME: cleanHomeDir(), SOPS_AGE_KEY_FILE: one }, cwd: dir });
    expect(code).toBe(theirs.code);
    expect(err).toBe(theirs.stderr);
  });

  it('we encrypt from the same .sops.yaml; sops decrypts with any two keys', async () => {
    let out = '';
    const code = await main(['encrypt', 'secret.yaml'], { stdout: (d) => (out += typeof d === 'string' ? d : Buffer.from(d).toString()), stderr: () => undefined, env: { PATH: process.env.PATH, HOME: cleanHomeDir() }, cwd: dir });
    expect(code).toBe(0);
    const p = join(dir, 'ours.enc.yaml');
    writeFileSync(p, out);
    const r = runSops(['decrypt', p], { cwd: dir, env: { SOPS_AGE_KEY_FILE: identitiesFile([0, 2]) } });
    expect(r.stderr).toBe('');
    expect(r.stdout.toString()).toBe('user: app\npassword: hunter2\n');
    // Same layout as sops's own file, random parts aside.
    const theirs = runSops(['encrypt', 'secret.yaml'], { cwd: dir }).stdout.toString();
    const mask = (t: string) => t.replace(/ENC\[AES256_GCM,[^\]]*\]/g, 'ENC').replace(/-----BEGIN AGE[\s\S]*?-----END AGE ENCRYPTED FILE-----/g, 'AGE').replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'T');
    expect(mask(out)).toBe(mask(theirs));
  });
});
