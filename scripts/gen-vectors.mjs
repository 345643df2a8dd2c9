#!/usr/bin/env node
// Generate reference vectors with the REAL Go sops binary.
//
//   node scripts/gen-vectors.mjs [--sops <path>]      (default: .tools/sops-3.13.3/sops)
//
// For every input in vectors/inputs/ × every selection setting × {1 recipient, 3 recipients}
// it runs `sops encrypt`, then `sops decrypt` with age-1 (and, for 3-recipient vectors, with
// age-2 and age-3 too, checking the bytes are identical), and writes
//   vectors/sops-<ver>/<id>.enc.<ext>, vectors/sops-<ver>/<id>.dec.<ext>, vectors/sops-<ver>/manifest.json
// where <id> = <input stem>--<setting>--r<n>.
//
// sops runs with cwd = repo root (so the recorded commands use repo-relative paths), with a clean
// environment (PATH plus HOME = an empty temp dir, no SOPS_* variables) and always with an explicit
// `--config` file written by this script, so no `.sops.yaml` on the machine is picked up.
//
// Plain Node ESM on purpose: runs without a build. Never hand-edit the outputs; rerun this script.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, isSeq, parseAllDocuments } from 'yaml';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VECTORS = join(REPO_ROOT, 'vectors');
const INPUTS = join(VECTORS, 'inputs');
const KEYS = join(VECTORS, 'keys');
const DEFAULT_SOPS = '.tools/sops-3.13.3/sops';

// ---------------------------------------------------------------- args
function parseArgs(argv) {
  const out = { sops: DEFAULT_SOPS };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sops') out.sops = argv[++i];
    else if (a.startsWith('--sops=')) out.sops = a.slice('--sops='.length);
    else if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/gen-vectors.mjs [--sops <path-to-go-sops>]');
      process.exit(0);
    } else {
      console.error(`gen-vectors: unknown argument ${a}`);
      process.exit(2);
    }
  }
  if (!out.sops) {
    console.error('gen-vectors: --sops needs a path');
    process.exit(2);
  }
  return out;
}
const args = parseArgs(process.argv.slice(2));
const sopsAbs = resolve(REPO_ROOT, args.sops);
if (!existsSync(sopsAbs)) {
  console.error(`gen-vectors: sops binary not found at ${sopsAbs}\n  install it with: npm run sops:install`);
  process.exit(1);
}
const rel = (p) => relative(REPO_ROOT, p).split('\\').join('/');
const sopsCmd = rel(sopsAbs).startsWith('..') ? sopsAbs : rel(sopsAbs);

// ---------------------------------------------------------------- clean environment
const HOME = mkdtempSync(join(tmpdir(), 'sops-ts-vectors-home-'));
function cleanEnv(extra = {}) {
  // Only PATH and an empty HOME: no SOPS_* variables, no ~/.config/sops/age/keys.txt,
  // no ~/.ssh keys, no XDG_CONFIG_HOME. TZ/LANG are not read by sops for these operations.
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME, ...extra };
}
function run(argv, extraEnv = {}) {
  const r = spawnSync(sopsAbs, argv, {
    cwd: REPO_ROOT,
    env: cleanEnv(extraEnv),
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, signal: r.signal, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}

// ---------------------------------------------------------------- sops version
const versionRun = run(['--version'], { SOPS_DISABLE_VERSION_CHECK: '1' });
const versionOutput = versionRun.stdout.toString('utf8').split('\n')[0].trim();
const vm = /^sops (\d+\.\d+\.\d+\S*)/.exec(versionOutput);
if (!vm) {
  console.error(`gen-vectors: ${sopsAbs} --version printed ${JSON.stringify(versionOutput)}; is it Go sops?`);
  process.exit(1);
}
const VERSION = vm[1];
const [vMaj, vMin] = VERSION.split('.').map(Number);
// `sops encrypt` / `sops decrypt` subcommands exist since 3.9.0; older releases only have -e/-d.
const HAS_SUBCOMMANDS = vMaj > 3 || (vMaj === 3 && vMin >= 9);
const OUT_DIR = join(VECTORS, `sops-${VERSION}`);
const OUT_REL = `sops-${VERSION}`; // relative to vectors/
console.log(`gen-vectors: using ${sopsCmd} (${versionOutput}); writing vectors/${OUT_REL}/`);

// ---------------------------------------------------------------- keys (generated once, then reused)
const KEY_NAMES = ['age-1', 'age-2', 'age-3'];
async function ensureKeys() {
  mkdirSync(KEYS, { recursive: true });
  const keys = {};
  for (const name of KEY_NAMES) {
    const file = join(KEYS, `${name}.txt`);
    if (!existsSync(file)) {
      const { generateIdentity, identityToRecipient } = await import('age-encryption');
      const identity = await generateIdentity();
      const recipient = await identityToRecipient(identity);
      const created = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      writeFileSync(
        file,
        `# created: ${created}\n# public key: ${recipient}\n# PUBLIC TEST KEY of the sops-ts test vectors. NEVER use it for real secrets.\n${identity}\n`,
      );
      console.log(`gen-vectors: generated new key ${rel(file)}`);
    }
    const text = readFileSync(file, 'utf8');
    const pub = /^# public key: (age1[0-9a-z]+)$/m.exec(text);
    const sec = /^(AGE-SECRET-KEY-1[0-9A-Z]+)$/m.exec(text);
    if (!pub || !sec) throw new Error(`${rel(file)} is not an age keys.txt file`);
    keys[name] = { file: `keys/${name}.txt`, recipient: pub[1] };
  }
  return keys;
}
const keys = await ensureKeys();

// ---------------------------------------------------------------- settings
// flags: after the `encrypt` subcommand; globalFlags: before it (sops only defines
// --mac-only-encrypted globally); config: creation rules written to a --config file.
const ENC_REGEX = '^(data|stringData)$';
const SETTINGS = [
  { name: 'none', flags: [], globalFlags: [], config: null },
  { name: 'encrypted_regex', flags: ['--encrypted-regex', ENC_REGEX], globalFlags: [], config: null },
  { name: 'unencrypted_suffix', flags: ['--unencrypted-suffix', '_public'], globalFlags: [], config: null },
  { name: 'encrypted_suffix', flags: ['--encrypted-suffix', '_secret'], globalFlags: [], config: null },
  {
    name: 'unencrypted_regex',
    flags: ['--unencrypted-regex', '^(apiVersion|kind|metadata|description)$'],
    globalFlags: [],
    config: null,
  },
  {
    name: 'mac_only_encrypted',
    flags: ['--encrypted-regex', ENC_REGEX],
    globalFlags: ['--mac-only-encrypted'],
    config: null,
  },
  // `sops encrypt` has no comment-regex flags (only the legacy top-level `sops --encrypt` has
  // them, and the subcommand ignores them when given globally), so these go through .sops.yaml.
  {
    name: 'encrypted_comment_regex',
    flags: [],
    globalFlags: [],
    config: 'creation_rules:\n  - encrypted_comment_regex: "sops:enc"\n',
    formats: ['yaml'],
  },
  {
    name: 'unencrypted_comment_regex',
    flags: [],
    globalFlags: [],
    config: 'creation_rules:\n  - unencrypted_comment_regex: "sops:nocrypt"\n',
    formats: ['yaml'],
  },
];
const NO_RULES_CONFIG =
  '# Written by scripts/gen-vectors.mjs. No creation rules: passed with --config so that sops\n' +
  '# does not search for a .sops.yaml on the machine that generates the vectors.\n';

// ---------------------------------------------------------------- inputs
const inputFiles = readdirSync(INPUTS)
  .filter((f) => /\.(ya?ml|json)$/.test(f))
  .sort();
const inputs = inputFiles.map((f) => {
  const ext = f.slice(f.lastIndexOf('.') + 1);
  return { file: f, stem: f.slice(0, f.lastIndexOf('.')), ext, format: ext === 'json' ? 'json' : 'yaml' };
});
const stems = new Set();
for (const i of inputs) {
  if (stems.has(i.stem)) throw new Error(`duplicate input stem ${i.stem}: ids would collide`);
  stems.add(i.stem);
}

// ---------------------------------------------------------------- helpers
function shQuote(s) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
function cmdLine(envVars, argv, redirect) {
  const env = Object.entries(envVars).map(([k, v]) => `${k}=${shQuote(v)}`);
  return [...env, sopsCmd, ...argv.map(shQuote)].join(' ') + (redirect ? ` > ${redirect}` : '');
}
function normStderr(s) {
  return s.split(REPO_ROOT + '/').join('').split(HOME).join('$HOME').trim();
}
function encryptArgv(configRel, setting, recipients, inputRel) {
  const age = recipients.map((k) => keys[k].recipient).join(',');
  if (HAS_SUBCOMMANDS) {
    return ['--config', configRel, ...setting.globalFlags, 'encrypt', '--age', age, ...setting.flags, inputRel];
  }
  return ['--config', configRel, ...setting.globalFlags, '--encrypt', '--age', age, ...setting.flags, inputRel];
}
function decryptArgv(configRel, encRel, extra = []) {
  return HAS_SUBCOMMANDS
    ? ['--config', configRel, 'decrypt', ...extra, encRel]
    : ['--config', configRel, '--decrypt', ...extra, encRel];
}


// sops's own decrypt → re-encrypt with the same data key: `sops set` of one
// top-level string to the value it already has. sops decrypts the whole tree
// (filling its IV stash), sets the value and re-encrypts everything; only
// lastmodified and the MAC's IV change. This is what "re-encrypt as sops
// would" means where sops cannot give back its original file (inline
// comments lose their Inline flag on decrypt, repeated values share an IV).
function reencrypt(v, configRel, input, id, encBytes, decBytes, keyEnv) {
  v.reencrypted = null;
  v.reencryptCommand = null;
  const pick = pickSetTarget(input.format, decBytes.toString('utf8'));
  if (pick === null) return;
  const rel = `vectors/${OUT_REL}/${id}.reenc.${input.ext}`;
  writeFileSync(join(REPO_ROOT, rel), encBytes);
  const argv = ['--config', configRel, 'set', rel, pick.path, pick.value];
  const r = run(argv, keyEnv);
  if (r.code !== 0) {
    problems.push(`${id}: sops set failed (exit ${r.code}): ${normStderr(r.stderr)}`);
    return;
  }
  v.reencrypted = `${OUT_REL}/${id}.reenc.${input.ext}`;
  v.reencryptCommand = `cp vectors/${v.encrypted} ${rel} && ${cmdLine(keyEnv, argv)}`;
  v.reencryptArgv = argv;
}

/**
 * The first string value (depth first, through maps and lists) that is a
 * string in every reading (go-yaml's and YAML 1.2's), as a sops tree path
 * and the JSON of its value; null when the file has none.
 */
function pickSetTarget(format, text) {
  const safe = (k) => typeof k === 'string' && /^[^"\\\n]*$/.test(k);
  const path = (keys) => keys.map((k) => (typeof k === 'number' ? `[${k}]` : `["${k}"]`)).join('');
  if (format === 'json') {
    const find = (v, keys) => {
      if (typeof v === 'string') return keys.length > 0 && !/[\\"]/.test(v) ? keys : null;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) { const r = find(v[i], [...keys, i]); if (r) return r; }
      } else if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) { if (!safe(k)) continue; const r = find(x, [...keys, k]); if (r) return r; }
      }
      return null;
    };
    const doc = JSON.parse(text);
    const keys = find(doc, []);
    if (!keys) return null;
    const value = keys.reduce((v, k) => v[k], doc);
    return { path: path(keys), value: JSON.stringify(value) };
  }
  const doc = parseAllDocuments(text)[0];
  if (!doc) return null;
  const find = (node, keys) => {
    if (isScalar(node)) {
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
      const plainString = node.type === 'PLAIN' && /^[A-Za-z][A-Za-z0-9 _./-]*$/.test(String(node.source)) && !/^(true|false|null|yes|no|on|off|y|n)$/i.test(String(node.source));
      return keys.length > 0 && typeof node.value === 'string' && (quoted || plainString) && !/[\\"\n]/.test(node.value) ? keys : null;
    }
    if (isSeq(node)) {
      for (let i = 0; i < node.items.length; i++) { const r = find(node.items[i], [...keys, i]); if (r) return r; }
    } else if (isMap(node)) {
      for (const pair of node.items) {
        const k = isScalar(pair.key) ? pair.key.value : undefined;
        if (!safe(k) || !isScalar(pair.key) || pair.key.type !== 'PLAIN') continue;
        const r = find(pair.value, [...keys, k]);
        if (r) return r;
      }
    }
    return null;
  };
  const keys = find(doc.contents, []);
  if (!keys) return null;
  let node = doc.contents;
  for (const k of keys) node = typeof k === 'number' ? node.items[k] : node.items.find((p) => p.key.value === k).value;
  return { path: path(keys), value: JSON.stringify(node.value) };
}

// ---------------------------------------------------------------- generate
rmSync(OUT_DIR, { recursive: true, force: true }); // stale outputs of this version
const CONFIG_DIR = join(OUT_DIR, 'configs');
mkdirSync(CONFIG_DIR, { recursive: true });
const noRulesPath = join(CONFIG_DIR, 'no-rules.sops.yaml');
writeFileSync(noRulesPath, NO_RULES_CONFIG);
for (const s of SETTINGS) {
  if (s.config) writeFileSync(join(CONFIG_DIR, `${s.name}.sops.yaml`), s.config);
}

const RECIPIENT_SETS = [['age-1'], ['age-1', 'age-2', 'age-3']];
const vectors = [];
const problems = [];
const expectedDecryptFailures = [];
for (const input of inputs) {
  for (const setting of SETTINGS) {
    if (setting.formats && !setting.formats.includes(input.format)) continue;
    for (const recipients of RECIPIENT_SETS) {
      const id = `${input.stem}--${setting.name}--r${recipients.length}`;
      const inputRel = `vectors/inputs/${input.file}`;
      const configPath = setting.config ? join(CONFIG_DIR, `${setting.name}.sops.yaml`) : noRulesPath;
      const configRel = rel(configPath);
      const encRel = `vectors/${OUT_REL}/${id}.enc.${input.ext}`;
      const decRel = `vectors/${OUT_REL}/${id}.dec.${input.ext}`;
      const encArgv = encryptArgv(configRel, setting, recipients, inputRel);
      let decArgv = decryptArgv(configRel, encRel);
      const keyEnv = { SOPS_AGE_KEY_FILE: `vectors/${keys['age-1'].file}` };
      const v = {
        id,
        input: `inputs/${input.file}`,
        format: input.format,
        setting: setting.name,
        settingFlags: setting.flags,
        globalFlags: setting.globalFlags,
        config: setting.config,
        configFile: `${OUT_REL}/configs/${configPath === noRulesPath ? 'no-rules' : setting.name}.sops.yaml`,
        recipients,
        encrypted: null,
        decrypted: null,
        encryptCommand: cmdLine({}, encArgv, encRel),
        decryptCommand: cmdLine(keyEnv, decArgv, decRel),
        // argv/env exactly as run (cwd = repo root; env = PATH + empty HOME + decryptEnv)
        encryptArgv: encArgv,
        decryptArgv: decArgv,
        decryptEnv: keyEnv,
        decryptChecks: [],
        roundTripIdentical: null,
        reencrypted: null,
        reencryptCommand: null,
        expectError: null,
      };
      const enc = run(encArgv);
      if (enc.code !== 0) {
        v.expectError = {
          stage: 'encrypt',
          exitCode: enc.code,
          stderr: normStderr(enc.stderr),
          command: cmdLine({}, encArgv),
        };
        v.decryptCommand = null;
        v.decryptArgv = null;
        v.decryptEnv = null;
        vectors.push(v);
        continue;
      }
      writeFileSync(join(REPO_ROOT, encRel), enc.stdout);
      v.encrypted = `${OUT_REL}/${id}.enc.${input.ext}`;
      let dec = run(decArgv, keyEnv);
      if (dec.code !== 0) {
        // sops cannot decrypt its own output. Record that, then keep a `.dec` made with
        // --ignore-mac (if that works) so the plaintext side is still available.
        v.expectError = {
          stage: 'decrypt',
          exitCode: dec.code,
          stderr: normStderr(dec.stderr),
          command: cmdLine(keyEnv, decArgv),
        };
        expectedDecryptFailures.push(`${id}: exit ${dec.code}: ${normStderr(dec.stderr).split('\n')[0].slice(0, 120)}`);
        decArgv = decryptArgv(configRel, encRel, ['--ignore-mac']);
        v.decryptArgv = decArgv;
        v.decryptCommand = cmdLine(keyEnv, decArgv, decRel);
        dec = run(decArgv, keyEnv);
        if (dec.code !== 0) {
          v.decryptCommand = null;
          v.decryptArgv = null;
          v.decryptEnv = null;
          vectors.push(v);
          continue;
        }
      }
      writeFileSync(join(REPO_ROOT, decRel), dec.stdout);
      v.decrypted = `${OUT_REL}/${id}.dec.${input.ext}`;
      v.roundTripIdentical = Buffer.compare(dec.stdout, readFileSync(join(INPUTS, input.file))) === 0;
      for (const other of recipients.slice(1)) {
        const otherEnv = { SOPS_AGE_KEY_FILE: `vectors/${keys[other].file}` };
        const d2 = run(decArgv, otherEnv);
        const identical = d2.code === 0 && Buffer.compare(d2.stdout, dec.stdout) === 0;
        v.decryptChecks.push({ key: other, command: cmdLine(otherEnv, decArgv), exitCode: d2.code, identical });
        if (!identical) problems.push(`${id}: decrypt with ${other} differs (exit ${d2.code}): ${normStderr(d2.stderr)}`);
      }
      if (v.expectError === null) reencrypt(v, configRel, input, id, enc.stdout, dec.stdout, keyEnv);
      const encText = enc.stdout.toString('utf8');
      const versionRe = input.format === 'json' ? `"version": "${VERSION}"` : `version: ${VERSION}`;
      if (!encText.includes(versionRe)) problems.push(`${id}: encrypted output has no ${versionRe}`);
      vectors.push(v);
    }
  }
}

const manifest = {
  sops: {
    version: VERSION,
    binary: `go install github.com/getsops/sops/v3/cmd/sops@v${VERSION}`,
    versionOutput,
  },
  generatedBy: 'scripts/gen-vectors.mjs',
  generatedAt: new Date().toISOString(),
  environment: {
    cwd: '<repo root>',
    env: { PATH: '<inherited>', HOME: '<fresh empty temp dir>' },
    note: 'no SOPS_* variables except SOPS_AGE_KEY_FILE for decrypt; --config is always explicit',
  },
  keys,
  settings: SETTINGS.map((s) => ({
    name: s.name,
    settingFlags: s.flags,
    globalFlags: s.globalFlags,
    config: s.config,
    formats: s.formats ?? ['yaml', 'json'],
  })),
  vectors,
};
writeFileSync(join(OUT_DIR, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
rmSync(HOME, { recursive: true, force: true });

// ---------------------------------------------------------------- summary
const ok = vectors.filter((v) => v.encrypted && v.decrypted);
const count = (list, key) =>
  list.reduce((acc, v) => ((acc[key(v)] = (acc[key(v)] ?? 0) + 1), acc), /** @type {Record<string, number>} */ ({}));
console.log(`gen-vectors: ${vectors.length} runs, ${ok.length} encrypted+decrypted vectors, ` +
  `${vectors.length - ok.length} expected errors`);
console.log('  by format:   ', JSON.stringify(count(ok, (v) => v.format)));
console.log('  by setting:  ', JSON.stringify(count(ok, (v) => v.setting)));
console.log('  by recipients:', JSON.stringify(count(ok, (v) => `r${v.recipients.length}`)));
const errorGroups = new Map();
for (const v of vectors.filter((x) => x.expectError)) {
  const key = `${v.input} [${v.expectError.stage}, exit ${v.expectError.exitCode}] ${v.expectError.stderr.split('\n')[0].replace(/[0-9A-F]{128}/g, '<mac>').slice(0, 110)}`;
  if (!errorGroups.has(key)) errorGroups.set(key, []);
  errorGroups.get(key).push(`${v.setting}/r${v.recipients.length}`);
}
for (const [key, ids] of errorGroups) console.log(`  expected error: ${key}\n      in: ${ids.join(' ')}`);
if (expectedDecryptFailures.length) {
  console.log(`  ${expectedDecryptFailures.length} vector(s) sops could not decrypt itself; their .dec was made with --ignore-mac`);
}
if (problems.length) {
  console.error(`gen-vectors: ${problems.length} problem(s):`);
  for (const p of problems) console.error('  ' + p);
  process.exit(1);
}
