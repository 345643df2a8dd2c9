// Checks the reference vectors written by scripts/gen-vectors.mjs for every sops release listed in
// vectors/index.json (all five formats), and, for each release whose Go sops binary is installed,
// that the vectors really come from that binary.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import {
  DEFAULT_SOPS_VERSION,
  REPO_ROOT,
  VECTORS_DIR,
  assertIsGoSops,
  findSops,
  listReleases,
  loadIndex,
  loadManifest,
  readVector,
  requireSops,
  runSops,
  vectorPath,
  type Vector,
  type VectorFormat,
  type VectorManifest,
} from './helpers/sops.js';

const index = loadIndex();
const releases = listReleases();
const CROSS = index.crossDecryptWith;
const ALL_FORMATS: VectorFormat[] = ['yaml', 'json', 'dotenv', 'ini', 'binary'];
const EXT_FORMAT: Record<string, VectorFormat> = { yaml: 'yaml', yml: 'yaml', json: 'json', env: 'dotenv', ini: 'ini', bin: 'binary', txt: 'binary' };
const INPUT_RE = /^inputs\/(.+)\.(ya?ml|json|env|ini|bin|txt)$/;
const RULE_KEYS = [
  'unencrypted_suffix',
  'encrypted_suffix',
  'unencrypted_regex',
  'encrypted_regex',
  'unencrypted_comment_regex',
  'encrypted_comment_regex',
  'mac_only_encrypted',
] as const;

const minor = (version: string): [number, number] => {
  const [a, b] = version.split('.').map(Number);
  return [a!, b!];
};
const atLeast = (version: string, maj: number, min: number): boolean => {
  const [a, b] = minor(version);
  return a > maj || (a === maj && b >= min);
};
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const isOk = (v: Vector) => v.encrypted !== null && v.decrypted !== null;

/** The sops metadata of an encrypted file (one per YAML document), in a format-neutral view. */
interface MetaView {
  version: string | undefined;
  recipients: string[];
  ageEnc: string[];
  /** top-level scalar fields, as strings */
  fields: Record<string, string>;
}
function metaViews(v: Vector): MetaView[] {
  const text = readVector(v.encrypted!).toString('utf8');
  const fromTree = (sops: Record<string, unknown> | undefined): MetaView => {
    const fields: Record<string, string> = {};
    for (const [k, x] of Object.entries(sops ?? {})) if (x !== null && typeof x !== 'object') fields[k] = String(x);
    const age = (sops?.age ?? []) as { recipient?: string; enc?: string }[];
    return { version: fields.version, recipients: age.map((a) => a.recipient ?? ''), ageEnc: age.map((a) => a.enc ?? ''), fields };
  };
  const fromFlat = (pairs: [string, string][]): MetaView => {
    const fields: Record<string, string> = {};
    const rec: string[] = [];
    const enc: string[] = [];
    for (const [k, val] of pairs) {
      let m: RegExpExecArray | null;
      if ((m = /^age__list_(\d+)__map_recipient$/.exec(k))) rec[Number(m[1])] = val;
      else if ((m = /^age__list_(\d+)__map_enc$/.exec(k))) enc[Number(m[1])] = val.replace(/\\n/g, '\n');
      else if (!k.includes('__')) fields[k] = val;
    }
    return { version: fields.version, recipients: rec, ageEnc: enc, fields };
  };
  switch (v.format) {
    case 'json':
    case 'binary':
      return [fromTree((JSON.parse(text) as { sops?: Record<string, unknown> }).sops)];
    case 'yaml':
      return parseAllDocuments(text).map((d) => {
        if (d.errors.length) throw new Error(`${v.encrypted}: ${d.errors[0]!.message}`);
        return fromTree((d.toJS() as { sops?: Record<string, unknown> } | null)?.sops);
      });
    case 'dotenv':
      return [
        fromFlat(
          text
            .split('\n')
            .filter((l) => l.startsWith('sops_'))
            .map((l) => [l.slice('sops_'.length, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
        ),
      ];
    case 'ini': {
      const lines = text.split('\n');
      const at = lines.indexOf('[sops]');
      if (at < 0) return [fromFlat([])];
      // sops 3.13.0/3.13.1 wrote multi-line values as go-ini """…""" blocks
      // with real newlines; other releases escape them as \n on one line.
      const pairs: [string, string][] = [];
      const rest = lines.slice(at + 1);
      for (let i = 0; i < rest.length; i++) {
        const m = /^(\S+)\s*= ?(.*)$/.exec(rest[i]!);
        if (m === null) continue;
        let value = m[2]!;
        if (value.startsWith('"""')) {
          const block = [value.slice(3)];
          while (i + 1 < rest.length && !block[block.length - 1]!.endsWith('"""')) block.push(rest[++i]!);
          value = block.join('\n').slice(0, -3).replaceAll('\n', '\\n');
        }
        pairs.push([m[1]!, value]);
      }
      return [fromFlat(pairs)];
    }
  }
}

/** The crypt-rule metadata a vector's flags/config must produce (undefined = field absent). */
function expectedRules(v: Vector, version: string): Record<(typeof RULE_KEYS)[number], string | undefined> {
  const exp = Object.fromEntries(RULE_KEYS.map((k) => [k, undefined])) as Record<(typeof RULE_KEYS)[number], string | undefined>;
  // 3.11+ (#1927): the binary store ignores every rule and writes none, not even the default suffix
  if (v.format === 'binary' && atLeast(version, 3, 11)) return exp;
  const flagKey: Record<string, (typeof RULE_KEYS)[number]> = {
    '--encrypted-regex': 'encrypted_regex',
    '--unencrypted-regex': 'unencrypted_regex',
    '--unencrypted-suffix': 'unencrypted_suffix',
    '--encrypted-suffix': 'encrypted_suffix',
  };
  for (let i = 0; i < v.settingFlags.length; i++) {
    const k = flagKey[v.settingFlags[i]!];
    if (k) exp[k] = v.settingFlags[++i];
  }
  if (v.globalFlags.includes('--mac-only-encrypted')) exp.mac_only_encrypted = 'true';
  for (const m of (v.config ?? '').matchAll(/(\w+_comment_regex): "([^"]*)"/g)) exp[m[1] as 'encrypted_comment_regex'] = m[2];
  const anyCrypt = ['encrypted_regex', 'unencrypted_regex', 'unencrypted_suffix', 'encrypted_suffix', 'encrypted_comment_regex', 'unencrypted_comment_regex'].some(
    (k) => exp[k as (typeof RULE_KEYS)[number]] !== undefined,
  );
  if (!anyCrypt) exp.unencrypted_suffix = '_unencrypted';
  return exp;
}

function dirSize(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  return n;
}

// ------------------------------------------------------------------ index

describe('vector index (vectors/index.json)', () => {
  it('lists exactly the vectors/sops-*/ directories, oldest first, including the default release', () => {
    const dirs = readdirSync(VECTORS_DIR, { withFileTypes: true })
      .filter((e) => e.isDirectory() && e.name.startsWith('sops-'))
      .map((e) => e.name)
      .sort();
    expect(index.releases.map((r) => r.dir).sort()).toEqual(dirs);
    for (const r of index.releases) {
      expect(r.dir).toBe(`sops-${r.version}`);
      expect(r.manifest).toBe(`sops-${r.version}/manifest.json`);
    }
    const sorted = [...releases].sort((a, b) => {
      const [x, y] = [a.split('.').map(Number), b.split('.').map(Number)];
      return x[0]! - y[0]! || x[1]! - y[1]! || x[2]! - y[2]!;
    });
    expect(releases).toEqual(sorted);
    expect(releases).toContain(DEFAULT_SOPS_VERSION);
    expect(CROSS).toBe(DEFAULT_SOPS_VERSION);
  });

  it('covers the releases install-sops.sh installs by default: 3.13.x, 3.12.x, 3.9/3.10.x, 3.7/3.8.x', () => {
    const sh = readFileSync(join(REPO_ROOT, 'scripts', 'install-sops.sh'), 'utf8');
    const m = /^DEFAULT_VERSIONS="([^"]*)"/m.exec(sh);
    expect(m).not.toBeNull();
    expect(m![1]!.split(/\s+/).filter(Boolean).sort()).toEqual([...releases].sort());
    const has = (re: RegExp) => releases.some((r) => re.test(r));
    expect(has(/^3\.13\./)).toBe(true);
    expect(has(/^3\.12\./)).toBe(true);
    expect(has(/^3\.(9|10)\./)).toBe(true);
    expect(has(/^3\.(7|8)\./)).toBe(true);
  });

  it('has counts that match each manifest', () => {
    for (const r of index.releases) {
      const m = loadManifest(r.version);
      const ok = m.vectors.filter(isOk);
      expect(r.vectors, r.version).toBe(m.vectors.length);
      expect(r.encryptedAndDecrypted, r.version).toBe(ok.length);
      expect(r.expectErrors, r.version).toBe(m.vectors.filter((v) => v.expectError).length);
      expect(r.reencrypted, r.version).toBe(m.vectors.filter((v) => v.reencrypted).length);
      expect(r.crossDecrypted, r.version).toBe(m.vectors.filter((v) => v.crossDecrypt).length);
      expect(r.skippedSettings, r.version).toEqual(m.skippedSettings ?? []);
      for (const f of ALL_FORMATS) expect(r.byFormat[f] ?? 0, `${r.version} ${f}`).toBe(ok.filter((v) => v.format === f).length);
    }
    expect(index.totals.releases).toBe(index.releases.length);
    expect(index.totals.vectors).toBe(index.releases.reduce((n, r) => n + r.vectors, 0));
    expect(index.totals.encryptedAndDecrypted).toBe(index.releases.reduce((n, r) => n + r.encryptedAndDecrypted, 0));
  });

  it('has at least 300 encrypted+decrypted vectors across releases, in under 20 MB', () => {
    expect(index.totals.encryptedAndDecrypted).toBeGreaterThanOrEqual(300);
    expect(dirSize(VECTORS_DIR)).toBeLessThan(20 * 1024 * 1024);
  });

  it('has nothing at the top of vectors/ but README.md, index.json, inputs/, keys/, sops-*/', () => {
    const stray = readdirSync(VECTORS_DIR).filter((f) => !/^(README\.md|index\.json|inputs|keys|sops-\d+\.\d+\.\d+)$/.test(f));
    expect(stray).toEqual([]);
  });

  it('has inputs in all five formats', () => {
    const files = readdirSync(join(VECTORS_DIR, 'inputs'));
    for (const f of ALL_FORMATS) {
      expect(files.filter((x) => EXT_FORMAT[x.slice(x.lastIndexOf('.') + 1)] === f).length, f).toBeGreaterThan(0);
    }
  });
});

// ------------------------------------------------------------------ per release

for (const VERSION of releases) {
  const manifest: VectorManifest = loadManifest(VERSION);
  const ok = manifest.vectors.filter(isOk);
  const clean = ok.filter((v) => !v.expectError);
  const skipped = manifest.skippedSettings ?? [];
  const binPrefix = `.tools/sops-${VERSION}/sops`;

  describe(`vectors of sops ${VERSION} (static)`, () => {
    it('records the sops version and how the binary was built', () => {
      expect(manifest.sops.version).toBe(VERSION);
      const module = atLeast(VERSION, 3, 8) ? 'github.com/getsops/sops/v3' : 'go.mozilla.org/sops/v3';
      expect(manifest.sops.binary).toBe(`go install ${module}/cmd/sops@v${VERSION}`);
      expect(manifest.sops.versionOutput).toBe(`sops ${VERSION}`);
      expect(manifest.generatedBy).toBe('scripts/gen-vectors.mjs');
      expect(Number.isNaN(Date.parse(manifest.generatedAt))).toBe(false);
      if (VERSION === CROSS) expect(manifest.crossDecryptWith ?? null).toBeNull();
      else expect(manifest.crossDecryptWith).toEqual({ version: CROSS, binary: `.tools/sops-${CROSS}/sops` });
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

    it('has unique ids that follow <input>--<setting>--r<n>, and the format of the input extension', () => {
      const ids = manifest.vectors.map((v) => v.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const v of manifest.vectors) {
        const m = INPUT_RE.exec(v.input);
        expect(m, v.id).not.toBeNull();
        expect(v.id).toBe(`${m![1]}--${v.setting}--r${v.recipients.length}`);
        expect(v.format, v.id).toBe(EXT_FORMAT[m![2]!]);
      }
    });

    it('names only files that exist', () => {
      for (const v of manifest.vectors) {
        for (const rel of [v.input, v.configFile, v.encrypted, v.decrypted, v.reencrypted, v.crossDecrypt?.output ?? null]) {
          if (rel !== null) expect(existsSync(vectorPath(rel)), `${v.id}: ${rel}`).toBe(true);
        }
      }
    });

    it('has no files in the output directory that the manifest does not name', () => {
      const named = new Set<string>(['manifest.json']);
      for (const v of manifest.vectors) {
        for (const rel of [v.encrypted, v.decrypted, v.configFile, v.reencrypted, v.crossDecrypt?.output ?? null]) {
          if (rel) named.add(rel.replace(`sops-${VERSION}/`, ''));
        }
      }
      const dir = join(VECTORS_DIR, `sops-${VERSION}`);
      const actual = readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name).slice(dir.length + 1).split('\\').join('/'));
      expect(actual.filter((f) => !named.has(f))).toEqual([]);
    });

    it('gives every vector its provenance, run by this release', () => {
      for (const v of manifest.vectors) {
        expect(ALL_FORMATS).toContain(v.format);
        expect(Array.isArray(v.settingFlags)).toBe(true);
        expect(Array.isArray(v.globalFlags)).toBe(true);
        expect(v.encryptArgv, v.id).toContain(`vectors/${v.input}`);
        expect(v.encryptArgv).toContain('--config');
        const legacyForm = manifest.settings.find((x) => x.name === v.setting)?.encryptForm === 'legacy';
        expect(v.encryptArgv, v.id).toContain(atLeast(VERSION, 3, 9) && !legacyForm ? 'encrypt' : '--encrypt');
        expect(v.encryptCommand.startsWith(`${binPrefix} `), v.id).toBe(true);
        expect(v.encryptCommand).toContain(`vectors/${v.input}`);
        const age = v.recipients.map((r) => manifest.keys[r]!.recipient).join(',');
        expect(v.encryptCommand).toContain(age);
        for (const f of v.settingFlags) expect(v.encryptArgv).toContain(f);
        for (const f of v.globalFlags) expect(v.encryptArgv).toContain(f);
        const s = manifest.settings.find((x) => x.name === v.setting);
        expect(s, v.id).toBeDefined();
        expect(s!.formats, v.id).toContain(v.format);
        if (s!.flagsByFormat) expect(v.settingFlags, v.id).toEqual(s!.flagsByFormat[v.format]);
        if (v.config !== null) {
          expect(readFileSync(vectorPath(v.configFile), 'utf8'), v.id).toBe(v.config);
        }
        if (v.encrypted) expect(v.encryptCommand.endsWith(`> vectors/${v.encrypted}`), v.id).toBe(true);
        if (v.decrypted) {
          expect(v.decryptCommand!.startsWith(`SOPS_AGE_KEY_FILE=vectors/keys/age-1.txt ${binPrefix} `), v.id).toBe(true);
          expect(v.decryptCommand!.endsWith(`> vectors/${v.decrypted}`), v.id).toBe(true);
          expect(v.decryptArgv).toContain(`vectors/${v.encrypted}`);
          expect(v.decryptArgv, v.id).toContain(atLeast(VERSION, 3, 9) ? 'decrypt' : '--decrypt');
          expect(v.decryptEnv).toEqual({ SOPS_AGE_KEY_FILE: 'vectors/keys/age-1.txt' });
        }
        if (v.reencrypted) {
          const reRel = `vectors/${v.reencrypted}`;
          expect(v.reencryptCommand!.startsWith(`cp vectors/${v.encrypted} ${reRel} && SOPS_AGE_KEY_FILE=vectors/keys/age-1.txt ${binPrefix} `), v.id).toBe(true);
          expect(v.reencryptArgv, v.id).toContain(reRel);
          // the `set` subcommand came with 3.9 here; older releases only have the legacy `--set`
          expect(v.reencryptArgv, v.id).toContain(atLeast(VERSION, 3, 9) ? 'set' : '--set');
          expect(v.reencrypted.replace('.reenc.', '.enc.')).toBe(v.encrypted);
        }
        if (v.expectError) {
          expect(v.expectError.exitCode, v.id).not.toBe(0);
          expect(v.expectError.stderr.length, v.id).toBeGreaterThan(0);
          expect(v.reencrypted, v.id).toBeNull();
        } else {
          expect(v.encrypted, v.id).not.toBeNull();
          expect(v.decrypted, v.id).not.toBeNull();
          expect(v.decryptArgv, v.id).not.toContain('--ignore-mac');
        }
        if (v.expectError?.stage === 'encrypt') expect(v.encrypted, v.id).toBeNull();
        if (v.expectError?.stage === 'decrypt') expect(v.decryptArgv, v.id).toContain('--ignore-mac');
      }
    });

    it('records a 3.13.3 cross-decrypt of every older-release file', () => {
      for (const v of manifest.vectors) {
        if (VERSION === CROSS || v.encrypted === null) {
          expect(v.crossDecrypt, v.id).toBeNull();
          continue;
        }
        const x = v.crossDecrypt!;
        expect(x, v.id).not.toBeNull();
        expect(x.sops).toBe(CROSS);
        expect(x.command.startsWith(`SOPS_AGE_KEY_FILE=vectors/keys/age-1.txt .tools/sops-${CROSS}/sops `), v.id).toBe(true);
        expect(x.argv).toContain(`vectors/${v.encrypted}`);
        expect(x.argv).toContain('decrypt');
        if (x.exitCode === 0) {
          expect(x.stderr, v.id).toBeNull();
          if (v.decrypted) {
            const same = readVector(v.decrypted).equals(x.output ? readVector(x.output) : readVector(v.decrypted));
            expect(x.identical, v.id).toBe(x.output === null);
            expect(same, v.id).toBe(x.output === null);
          }
        } else {
          expect(x.identical, v.id).toBe(v.decrypted ? false : null);
          expect(x.output, v.id).toBeNull();
          expect(x.stderr!.length, v.id).toBeGreaterThan(0);
        }
      }
    });

    it('notes where a setting needs the legacy `--encrypt` form (3.9/3.10: `encrypt` drops global flags)', () => {
      for (const s of manifest.settings) {
        if (s.encryptForm === undefined) continue;
        expect(s.encryptForm, s.name).toBe('legacy');
        expect(s.note, s.name).toMatch(/silently ignores the global/);
        expect(atLeast(VERSION, 3, 9) && !atLeast(VERSION, 3, 11), `${VERSION} ${s.name}`).toBe(true);
      }
    });

    it('skips exactly the settings this release lacks, with a reason', () => {
      const expected = atLeast(VERSION, 3, 9) ? [] : ['mac_only_encrypted', 'encrypted_comment_regex', 'unencrypted_comment_regex'];
      expect(skipped.map((s) => s.setting).sort()).toEqual([...expected].sort());
      for (const s of skipped) {
        expect(s.reason, s.setting).toMatch(new RegExp(`^sops ${esc(VERSION)}: .*lists no --`));
        expect(manifest.vectors.some((v) => v.setting === s.setting), s.setting).toBe(false);
        expect(manifest.settings.some((x) => x.name === s.setting), s.setting).toBe(false);
      }
    });

    it('has vectors in all five formats and every supported setting', () => {
      for (const f of ALL_FORMATS) expect(clean.filter((v) => v.format === f).length, f).toBeGreaterThanOrEqual(f === 'binary' ? 8 : 20);
      for (const s of manifest.settings) {
        for (const f of s.formats) {
          expect(clean.filter((v) => v.setting === s.name && v.format === f).length, `${s.name}/${f}`).toBeGreaterThan(0);
        }
      }
      // binary: `none` for every input, and exactly one input with a rule flag (to show it is ignored)
      const bin = manifest.vectors.filter((v) => v.format === 'binary');
      expect(new Set(bin.map((v) => v.setting))).toEqual(new Set(['none', 'encrypted_regex']));
      expect(new Set(bin.filter((v) => v.setting !== 'none').map((v) => v.input)).size).toBe(1);
      if (VERSION === DEFAULT_SOPS_VERSION) {
        expect(ok.length).toBeGreaterThanOrEqual(60);
        expect(clean.filter((v) => v.format === 'yaml').length).toBeGreaterThanOrEqual(30);
        expect(clean.filter((v) => v.format === 'json').length).toBeGreaterThanOrEqual(30);
      }
    });

    it(`stores sops metadata with version ${VERSION} in every encrypted file`, () => {
      const line: Record<VectorFormat, RegExp> = {
        yaml: new RegExp(`^    version: ${esc(VERSION)}$`, 'm'),
        json: new RegExp(`"version": "${esc(VERSION)}"`),
        binary: new RegExp(`"version": "${esc(VERSION)}"`),
        dotenv: new RegExp(`^sops_version=${esc(VERSION)}$`, 'm'),
        ini: new RegExp(`^\\[sops\\]$[\\s\\S]*^version\\s*= ${esc(VERSION)}$`, 'm'),
      };
      for (const v of ok) {
        const text = readVector(v.encrypted!).toString('utf8');
        expect(text, v.id).toMatch(line[v.format]);
        const blocks = metaViews(v);
        expect(blocks.length, v.id).toBeGreaterThan(0);
        for (const b of blocks) expect(b.version, v.id).toBe(VERSION);
      }
    });

    it('encrypts to exactly the manifest recipients (1 or 3)', () => {
      for (const v of ok) {
        for (const b of metaViews(v)) {
          expect(b.recipients, v.id).toEqual(v.recipients.map((r) => manifest.keys[r]!.recipient));
          for (const e of b.ageEnc) expect(e, v.id).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
        }
      }
      const r1 = manifest.vectors.filter((v) => v.recipients.length === 1);
      const r3 = manifest.vectors.filter((v) => v.recipients.length === 3);
      expect(r1.length).toBe(r3.length);
      expect(r3.every((v) => v.recipients.join(',') === 'age-1,age-2,age-3')).toBe(true);
      expect(r1.every((v) => v.recipients.join(',') === 'age-1')).toBe(true);
      const pairs = (list: Vector[]) => list.map((v) => v.id.replace(/--r\d$/, '')).sort();
      expect(pairs(r1)).toEqual(pairs(r3));
      for (const v of r3.filter((x) => x.decrypted)) {
        expect(v.decryptChecks.map((c) => [c.key, c.exitCode, c.identical]), v.id).toEqual([
          ['age-2', 0, true],
          ['age-3', 0, true],
        ]);
      }
    });

    it('records the selection setting in the sops metadata (none for binary since 3.11)', () => {
      for (const v of ok) {
        const exp = expectedRules(v, VERSION);
        for (const b of metaViews(v)) {
          for (const k of RULE_KEYS) expect(b.fields[k], `${v.id}: sops.${k}`).toBe(exp[k]);
        }
      }
    });

    it('binary store: rules are honoured before 3.11 and ignored (with a warning) since', () => {
      const withRule = ok.filter((v) => v.format === 'binary' && v.setting !== 'none');
      expect(withRule.length).toBe(2);
      for (const v of withRule) {
        const data = (JSON.parse(readVector(v.encrypted!).toString('utf8')) as { data: string }).data;
        if (atLeast(VERSION, 3, 11)) {
          expect(data, v.id).toMatch(/^ENC\[AES256_GCM,/);
          expect(v.encryptStderr, v.id).toMatch(/does not make sense with the input store/);
        } else {
          // the regex does not match the only key `data`, so these releases leave the file in the clear
          expect(data, v.id).toBe(readVector(v.input).toString('utf8'));
        }
      }
      for (const v of ok.filter((x) => x.format === 'binary' && x.setting === 'none')) {
        const data = (JSON.parse(readVector(v.encrypted!).toString('utf8')) as { data: string }).data;
        if (readVector(v.input).length === 0) expect(data, v.id).toBe('');
        else expect(data, v.id).toMatch(/^ENC\[AES256_GCM,/);
        expect(readVector(v.decrypted!).equals(readVector(v.input)), v.id).toBe(true);
      }
    });
  });

  // ---------------------------------------------------------------- live
  const bin = requireSops(VERSION);
  const crossBin = VERSION === CROSS ? undefined : findSops(CROSS);

  describe.skipIf(!bin)(`live: Go sops ${VERSION}`, () => {
    it(`is Go sops ${VERSION}, not us`, () => {
      assertIsGoSops(bin!, VERSION);
      expect(REPO_ROOT).toBe(join(VECTORS_DIR, '..'));
    });

    // A fixed, spread-out sample: per format the first clean vector of a rotating setting (r1,
    // age-1) and one 3-recipient vector decrypted with age-3.
    const sample: { v: Vector; key: string }[] = [];
    ALL_FORMATS.forEach((f, i) => {
      const list = clean.filter((v) => v.format === f);
      const settings = [...new Set(list.map((v) => v.setting))];
      const s = settings[i % settings.length];
      const a = list.find((v) => v.setting === s && v.recipients.length === 1);
      const b = list.find((v) => v.recipients.length === 3 && v.setting !== s);
      if (a) sample.push({ v: a, key: 'age-1' });
      if (b) sample.push({ v: b, key: 'age-3' });
    });

    it.each(sample.map((s) => [s.v.id, s] as const))('re-decrypts %s to the stored bytes', (_id, s) => {
      const r = runSops(s.v.decryptArgv!, { bin, env: { SOPS_AGE_KEY_FILE: `vectors/${manifest.keys[s.key]!.file}` } });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout.equals(readVector(s.v.decrypted!))).toBe(true);
    });

    it('still fails the recorded expected errors the same way', () => {
      const samples = [
        manifest.vectors.find((v) => v.expectError?.stage === 'encrypt'),
        manifest.vectors.find((v) => v.expectError?.stage === 'decrypt'),
      ].filter((v): v is Vector => v !== undefined);
      expect(samples.length).toBeGreaterThan(0);
      for (const v of samples) {
        const e = v.expectError!;
        const argv = e.stage === 'encrypt' ? v.encryptArgv : v.decryptArgv!.filter((a) => a !== '--ignore-mac');
        const r = runSops(argv, { bin, env: e.stage === 'decrypt' ? v.decryptEnv! : {} });
        expect(r.code, v.id).toBe(e.exitCode);
        if (e.stage === 'encrypt') expect(r.stderr.trim(), v.id).toBe(e.stderr);
        else expect(r.stderr, v.id).toMatch(/MAC mismatch/);
      }
    });

    it.skipIf(!crossBin)(`cross-decrypt with ${CROSS} still gives the recorded result`, () => {
      const withCross = manifest.vectors.filter((v) => v.crossDecrypt);
      const differ = withCross.filter((v) => v.crossDecrypt!.identical !== true);
      const pick = [...differ.slice(0, 3), withCross.find((v) => v.crossDecrypt!.identical === true)].filter((v): v is Vector => v !== undefined);
      for (const v of pick) {
        const x = v.crossDecrypt!;
        const r = runSops(x.argv, { bin: crossBin, env: x.env });
        expect(r.code, v.id).toBe(x.exitCode);
        if (x.exitCode !== 0) continue;
        const expected = x.output ? readVector(x.output) : readVector(v.decrypted!);
        expect(r.stdout.equals(expected), v.id).toBe(true);
      }
    });
  });
}
