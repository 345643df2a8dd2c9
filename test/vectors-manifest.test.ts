// Checks the reference-vector manifest written by scripts/gen-vectors.mjs, and (when the pinned Go
// sops is installed) that the vectors really come from it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  DEFAULT_SOPS_VERSION,
  REPO_ROOT,
  VECTORS_DIR,
  assertIsGoSops,
  loadManifest,
  readVector,
  requireSops,
  runSops,
  vectorPath,
  type Vector,
} from './helpers/sops.js';

const VERSION = DEFAULT_SOPS_VERSION;
const manifest = loadManifest(VERSION);
const ok = manifest.vectors.filter((v) => v.encrypted !== null && v.decrypted !== null);

interface SopsMeta {
  version?: unknown;
  age?: { recipient?: string; enc?: string }[];
  [k: string]: unknown;
}

/** The `sops` metadata block(s) of an encrypted file (one per YAML document). */
function sopsBlocks(v: Vector): SopsMeta[] {
  const text = readVector(v.encrypted!).toString('utf8');
  if (v.format === 'json') {
    const doc = JSON.parse(text) as { sops?: SopsMeta };
    return [doc.sops ?? {}];
  }
  return parseAllDocuments(text).map((d) => {
    if (d.errors.length) throw new Error(`${v.encrypted}: ${d.errors[0]!.message}`);
    return ((d.toJS() as { sops?: SopsMeta } | null)?.sops ?? {}) as SopsMeta;
  });
}

describe('vector manifest (static)', () => {
  it('records the sops version and how the binary was built', () => {
    expect(manifest.sops.version).toBe(VERSION);
    expect(manifest.sops.binary).toBe(`go install github.com/getsops/sops/v3/cmd/sops@v${VERSION}`);
    expect(manifest.sops.versionOutput).toBe(`sops ${VERSION}`);
    expect(manifest.generatedBy).toBe('scripts/gen-vectors.mjs');
    expect(Number.isNaN(Date.parse(manifest.generatedAt))).toBe(false);
  });

  it('names key files that exist and match their recipients', () => {
    expect(Object.keys(manifest.keys).sort()).toEqual(['age-1', 'age-2', 'age-3']);
    for (const [name, k] of Object.entries(manifest.keys)) {
      const text = readFileSync(vectorPath(k.file), 'utf8');
      expect(text, name).toContain(`# public key: ${k.recipient}`);
      expect(text, name).toMatch(/^AGE-SECRET-KEY-1[0-9A-Z]+$/m);
      expect(k.recipient).toMatch(/^age1[0-9a-z]{58}$/);
    }
    expect(readFileSync(join(VECTORS_DIR, 'keys', 'README.md'), 'utf8')).toMatch(/NEVER USE FOR REAL SECRETS/);
  });

  it('has unique ids that follow <input>--<setting>--r<n>', () => {
    const ids = manifest.vectors.map((v) => v.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const v of manifest.vectors) {
      const stem = v.input.replace(/^inputs\//, '').replace(/\.(ya?ml|json)$/, '');
      expect(v.id).toBe(`${stem}--${v.setting}--r${v.recipients.length}`);
    }
  });

  it('names only files that exist', () => {
    for (const v of manifest.vectors) {
      for (const rel of [v.input, v.configFile, v.encrypted, v.decrypted]) {
        if (rel !== null) expect(existsSync(vectorPath(rel)), `${v.id}: ${rel}`).toBe(true);
      }
    }
  });

  it('has no files in the output directory that the manifest does not name', () => {
    const named = new Set<string>(['manifest.json']);
    for (const v of manifest.vectors) {
      for (const rel of [v.encrypted, v.decrypted, v.configFile, v.reencrypted]) {
        if (rel) named.add(rel.replace(`sops-${VERSION}/`, ''));
      }
    }
    const dir = join(VECTORS_DIR, `sops-${VERSION}`);
    const actual = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => join(e.parentPath, e.name).slice(dir.length + 1).split('\\').join('/'));
    expect(actual.filter((f) => !named.has(f))).toEqual([]);
  });

  it('gives every vector its provenance', () => {
    for (const v of manifest.vectors) {
      expect(v.input, v.id).toMatch(/^inputs\/.+\.(ya?ml|json)$/);
      expect(['yaml', 'json']).toContain(v.format);
      expect(Array.isArray(v.settingFlags)).toBe(true);
      expect(Array.isArray(v.globalFlags)).toBe(true);
      expect(v.encryptArgv, v.id).toContain(`vectors/${v.input}`);
      expect(v.encryptArgv).toContain('--config');
      expect(v.encryptCommand, v.id).toMatch(/^\.tools\/sops-\d+\.\d+\.\d+\/sops .*encrypt/);
      expect(v.encryptCommand).toContain(`vectors/${v.input}`);
      const age = v.recipients.map((r) => manifest.keys[r]!.recipient).join(',');
      expect(v.encryptCommand).toContain(age);
      for (const f of v.settingFlags) expect(v.encryptArgv).toContain(f);
      for (const f of v.globalFlags) expect(v.encryptArgv).toContain(f);
      if (v.config !== null) {
        expect(readFileSync(vectorPath(v.configFile), 'utf8'), v.id).toBe(v.config);
      }
      if (v.encrypted) expect(v.encryptCommand.endsWith(`> vectors/${v.encrypted}`), v.id).toBe(true);
      if (v.decrypted) {
        expect(v.decryptCommand, v.id).toMatch(/^SOPS_AGE_KEY_FILE=vectors\/keys\/age-1\.txt .*decrypt/);
        expect(v.decryptCommand!.endsWith(`> vectors/${v.decrypted}`), v.id).toBe(true);
        expect(v.decryptArgv).toContain(`vectors/${v.encrypted}`);
        expect(v.decryptEnv).toEqual({ SOPS_AGE_KEY_FILE: 'vectors/keys/age-1.txt' });
      }
      if (v.expectError) {
        expect(v.expectError.exitCode, v.id).not.toBe(0);
        expect(v.expectError.stderr.length, v.id).toBeGreaterThan(0);
      } else {
        expect(v.encrypted, v.id).not.toBeNull();
        expect(v.decrypted, v.id).not.toBeNull();
        expect(v.decryptArgv, v.id).not.toContain('--ignore-mac');
      }
      if (v.expectError?.stage === 'encrypt') expect(v.encrypted, v.id).toBeNull();
      if (v.expectError?.stage === 'decrypt') expect(v.decryptArgv, v.id).toContain('--ignore-mac');
    }
  });

  it('has at least 60 encrypted YAML/JSON vectors, in both formats and every setting', () => {
    expect(ok.length).toBeGreaterThanOrEqual(60);
    const clean = ok.filter((v) => !v.expectError);
    expect(clean.filter((v) => v.format === 'yaml').length).toBeGreaterThanOrEqual(30);
    expect(clean.filter((v) => v.format === 'json').length).toBeGreaterThanOrEqual(30);
    for (const s of manifest.settings) {
      expect(clean.filter((v) => v.setting === s.name).length, s.name).toBeGreaterThan(0);
    }
  });

  it('stores sops metadata with version 3.13.3 in every encrypted file', () => {
    for (const v of ok) {
      const text = readVector(v.encrypted!).toString('utf8');
      if (v.format === 'json') {
        expect(text, v.id).toContain('"sops": {');
        expect(text, v.id).toContain(`"version": "${VERSION}"`);
      } else {
        expect(text, v.id).toMatch(/^sops:$/m);
        expect(text, v.id).toContain(`    version: ${VERSION}`);
      }
      const blocks = sopsBlocks(v);
      expect(blocks.length, v.id).toBeGreaterThan(0);
      for (const b of blocks) expect(b.version, v.id).toBe(VERSION);
    }
  });

  it('encrypts to exactly the manifest recipients (1 or 3)', () => {
    for (const v of ok) {
      for (const b of sopsBlocks(v)) {
        const got = (b.age ?? []).map((a) => a.recipient);
        expect(got, v.id).toEqual(v.recipients.map((r) => manifest.keys[r]!.recipient));
        for (const a of b.age ?? []) expect(a.enc, v.id).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
      }
    }
    const r1 = manifest.vectors.filter((v) => v.recipients.length === 1);
    const r3 = manifest.vectors.filter((v) => v.recipients.length === 3);
    expect(r1.length).toBe(r3.length);
    expect(r3.every((v) => v.recipients.join(',') === 'age-1,age-2,age-3')).toBe(true);
    expect(r1.every((v) => v.recipients.join(',') === 'age-1')).toBe(true);
    const pairs = (list: Vector[]) => list.map((v) => v.id.replace(/--r\d$/, '')).sort();
    expect(pairs(r1)).toEqual(pairs(r3));
    // every 3-recipient vector was checked to decrypt identically with age-2 and age-3
    for (const v of r3.filter((x) => x.decrypted)) {
      expect(v.decryptChecks.map((c) => [c.key, c.exitCode, c.identical]), v.id).toEqual([
        ['age-2', 0, true],
        ['age-3', 0, true],
      ]);
    }
  });

  it('records the selection setting in the sops metadata', () => {
    const metaKey: Record<string, [string, unknown] | null> = {
      none: ['unencrypted_suffix', '_unencrypted'],
      encrypted_regex: ['encrypted_regex', '^(data|stringData)$'],
      unencrypted_suffix: ['unencrypted_suffix', '_public'],
      encrypted_suffix: ['encrypted_suffix', '_secret'],
      unencrypted_regex: ['unencrypted_regex', '^(apiVersion|kind|metadata|description)$'],
      mac_only_encrypted: ['mac_only_encrypted', true],
      encrypted_comment_regex: ['encrypted_comment_regex', 'sops:enc'],
      unencrypted_comment_regex: ['unencrypted_comment_regex', 'sops:nocrypt'],
    };
    for (const v of ok) {
      const [k, val] = metaKey[v.setting]!;
      for (const b of sopsBlocks(v)) expect(b[k], `${v.id}: sops.${k}`).toEqual(val);
    }
  });
});

const bin = requireSops(VERSION);

describe.skipIf(!bin)(`live: Go sops ${VERSION}`, () => {
  it('is Go sops, not us', () => {
    assertIsGoSops(bin!, VERSION);
    expect(REPO_ROOT).toBe(join(VECTORS_DIR, '..'));
  });

  // A fixed, spread-out sample: one YAML and one JSON from different settings, a multi-doc and a
  // comment-heavy file, and a 3-recipient vector decrypted with age-3.
  const clean = ok.filter((v) => !v.expectError);
  const pick = (pred: (v: Vector) => boolean): Vector => {
    const v = clean.find(pred);
    if (!v) throw new Error('sample vector not found');
    return v;
  };
  const sample: { v: Vector; key: string }[] = [
    { v: pick((v) => v.id === 'k8s-secret-data--encrypted_regex--r1'), key: 'age-1' },
    { v: pick((v) => v.id === 'json-scalars--none--r1'), key: 'age-1' },
    { v: pick((v) => v.id === 'multi-doc--mac_only_encrypted--r3'), key: 'age-2' },
    { v: pick((v) => v.id === 'comments--unencrypted_regex--r1'), key: 'age-1' },
    { v: pick((v) => v.id === 'json-strings--encrypted_suffix--r3'), key: 'age-3' },
  ];

  it.each(sample.map((s) => [s.v.id, s] as const))('re-decrypts %s to the stored bytes', (_id, s) => {
    const r = runSops(s.v.decryptArgv!, {
      bin,
      env: { SOPS_AGE_KEY_FILE: `vectors/${manifest.keys[s.key]!.file}` },
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.equals(readVector(s.v.decrypted!))).toBe(true);
  });

  it('still fails the recorded expected errors the same way', () => {
    const samples = [
      manifest.vectors.find((v) => v.expectError?.stage === 'encrypt'),
      manifest.vectors.find((v) => v.expectError?.stage === 'decrypt'),
    ].filter((v): v is Vector => v !== undefined);
    for (const v of samples) {
      const e = v.expectError!;
      const argv = e.stage === 'encrypt' ? v.encryptArgv : v.decryptArgv!.filter((a) => a !== '--ignore-mac');
      const r = runSops(argv, { bin, env: e.stage === 'decrypt' ? v.decryptEnv! : {} });
      expect(r.code, v.id).toBe(e.exitCode);
      if (e.stage === 'encrypt') expect(r.stderr.trim(), v.id).toBe(e.stderr);
      else expect(r.stderr, v.id).toMatch(/MAC mismatch/);
    }
  });
});
