#!/usr/bin/env node
// Generate reference vectors with the REAL Go sops binaries.
//
//   node scripts/gen-vectors.mjs                      every release of install-sops.sh's default list
//   node scripts/gen-vectors.mjs --sops <path>        one binary (e.g. .tools/sops-3.10.2/sops)
//   options: --cross-sops <path>  the binary that cross-decrypts older releases' files
//                                 (default .tools/sops-3.13.3/sops)
//            --skip-missing       (all-releases mode) skip releases whose binary is not installed
//
// For every input in vectors/inputs/ (YAML, JSON, dotenv, INI, binary) × every selection setting
// that applies to its format and that the release supports × {1 recipient, 3 recipients} it runs
// the release's encrypt, then its decrypt with age-1 (and, for 3-recipient vectors, with age-2 and
// age-3 too, checking the bytes are identical), and writes
//   vectors/sops-<ver>/<id>.enc.<ext>    encrypt output
//   vectors/sops-<ver>/<id>.dec.<ext>    decrypt output of THAT release
//   vectors/sops-<ver>/<id>.reenc.<ext>  that release's decrypt → re-encrypt (`sops set` of a value to itself)
//   vectors/sops-<ver>/<id>.xdec.<ext>   3.13.3's decrypt of the file, only where it differs from .dec
//   vectors/sops-<ver>/manifest.json     provenance
// where <id> = <input stem>--<setting>--r<n>; then it rewrites vectors/index.json from all
// vectors/sops-*/manifest.json.
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

const SELF = fileURLToPath(import.meta.url);
const REPO_ROOT = resolve(dirname(SELF), '..');
const VECTORS = join(REPO_ROOT, 'vectors');
const INPUTS = join(VECTORS, 'inputs');
const KEYS = join(VECTORS, 'keys');
const CROSS_VERSION = '3.13.3';
const DEFAULT_CROSS_SOPS = `.tools/sops-${CROSS_VERSION}/sops`;

// ---------------------------------------------------------------- args
function parseArgs(argv) {
  const out = { sops: null, crossSops: DEFAULT_CROSS_SOPS, skipMissing: false, index: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sops') out.sops = argv[++i];
    else if (a.startsWith('--sops=')) out.sops = a.slice('--sops='.length);
    else if (a === '--cross-sops') out.crossSops = argv[++i];
    else if (a.startsWith('--cross-sops=')) out.crossSops = a.slice('--cross-sops='.length);
    else if (a === '--skip-missing') out.skipMissing = true;
    else if (a === '--no-index') out.index = false;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node scripts/gen-vectors.mjs [--sops <path-to-go-sops>] [--cross-sops <path>] [--skip-missing]');
      process.exit(0);
    } else {
      console.error(`gen-vectors: unknown argument ${a}`);
      process.exit(2);
    }
  }
  if (out.sops === '' || out.crossSops === '' || out.sops === undefined || out.crossSops === undefined) {
    console.error('gen-vectors: --sops / --cross-sops need a path');
    process.exit(2);
  }
  return out;
}
const args = parseArgs(process.argv.slice(2));
const rel = (p) => relative(REPO_ROOT, p).split('\\').join('/');

// ---------------------------------------------------------------- index.json
const semverKey = (v) => v.split(/[.-]/).map((x) => (/^\d+$/.test(x) ? Number(x) : x));
function cmpVersion(a, b) {
  const x = semverKey(a), y = semverKey(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] === y[i]) continue;
    if (x[i] === undefined) return -1;
    if (y[i] === undefined) return 1;
    return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}
const tally = (list, key) =>
  list.reduce((acc, v) => ((acc[key(v)] = (acc[key(v)] ?? 0) + 1), acc), /** @type {Record<string, number>} */ ({}));
function writeIndex() {
  const dirs = readdirSync(VECTORS, { withFileTypes: true })
    .filter((e) => e.isDirectory() && /^sops-\d+\.\d+\.\d+/.test(e.name) && existsSync(join(VECTORS, e.name, 'manifest.json')))
    .map((e) => e.name);
  const releases = dirs
    .map((dir) => {
      const m = JSON.parse(readFileSync(join(VECTORS, dir, 'manifest.json'), 'utf8'));
      const ok = m.vectors.filter((v) => v.encrypted && v.decrypted);
      const cross = m.vectors.filter((v) => v.crossDecrypt);
      return {
        version: m.sops.version,
        dir,
        manifest: `${dir}/manifest.json`,
        vectors: m.vectors.length,
        encryptedAndDecrypted: ok.length,
        expectErrors: m.vectors.filter((v) => v.expectError).length,
        reencrypted: m.vectors.filter((v) => v.reencrypted).length,
        crossDecrypted: cross.length,
        crossDecryptDiffers: cross.filter((v) => v.crossDecrypt.identical !== true).length,
        byFormat: tally(ok, (v) => v.format),
        bySetting: tally(ok, (v) => v.setting),
        skippedSettings: m.skippedSettings ?? [],
      };
    })
    .sort((a, b) => cmpVersion(a.version, b.version));
  const index = {
    generatedBy: 'scripts/gen-vectors.mjs',
    note: 'one entry per vectors/sops-<ver>/ directory, oldest first; counts are derived from each manifest.json',
    crossDecryptWith: CROSS_VERSION,
    releases,
    totals: {
      releases: releases.length,
      vectors: releases.reduce((n, r) => n + r.vectors, 0),
      encryptedAndDecrypted: releases.reduce((n, r) => n + r.encryptedAndDecrypted, 0),
    },
  };
  writeFileSync(join(VECTORS, 'index.json'), JSON.stringify(index, null, 2) + '\n');
  console.log(`gen-vectors: wrote vectors/index.json (${releases.map((r) => `${r.version}: ${r.vectors}`).join(', ')})`);
}

// ---------------------------------------------------------------- all-releases mode
if (args.sops === null) {
  const installer = readFileSync(join(REPO_ROOT, 'scripts', 'install-sops.sh'), 'utf8');
  const m = /^DEFAULT_VERSIONS="([^"]*)"/m.exec(installer);
  if (!m) throw new Error('scripts/install-sops.sh has no DEFAULT_VERSIONS="..." line');
  const versions = m[1].split(/[\s,]+/).filter(Boolean).sort(cmpVersion).reverse(); // newest first: the cross binary
  let status = 0;
  const missing = versions.filter((v) => !existsSync(join(REPO_ROOT, '.tools', `sops-${v}`, 'sops')));
  if (missing.length && !args.skipMissing) {
    console.error(`gen-vectors: not installed: ${missing.map((v) => `.tools/sops-${v}/sops`).join(', ')}\n` +
      '  install with: npm run sops:install   (or pass --skip-missing)');
    process.exit(1);
  }
  for (const v of versions) {
    if (missing.includes(v)) {
      console.warn(`gen-vectors: SKIPPING sops ${v} (not installed)`);
      continue;
    }
    const r = spawnSync(process.execPath, [SELF, '--sops', `.tools/sops-${v}/sops`, '--cross-sops', args.crossSops, '--no-index'], {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    });
    if (r.status !== 0) {
      console.error(`gen-vectors: sops ${v} finished with exit ${r.status}`);
      status = 1;
    }
  }
  writeIndex();
  process.exit(status);
}

// ---------------------------------------------------------------- single-release mode
const sopsAbs = resolve(REPO_ROOT, args.sops);
if (!existsSync(sopsAbs)) {
  console.error(`gen-vectors: sops binary not found at ${sopsAbs}\n  install it with: npm run sops:install`);
  process.exit(1);
}
const sopsCmd = rel(sopsAbs).startsWith('..') ? sopsAbs : rel(sopsAbs);
const crossAbs = resolve(REPO_ROOT, args.crossSops);
const crossCmd = rel(crossAbs).startsWith('..') ? crossAbs : rel(crossAbs);

// ---------------------------------------------------------------- clean environment
const HOME = mkdtempSync(join(tmpdir(), 'sops-ts-vectors-home-'));
function cleanEnv(extra = {}) {
  // Only PATH and an empty HOME: no SOPS_* variables, no ~/.config/sops/age/keys.txt,
  // no ~/.ssh keys, no XDG_CONFIG_HOME. TZ/LANG are not read by sops for these operations.
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME, ...extra };
}
function runWith(bin, argv, extraEnv = {}) {
  const r = spawnSync(bin, argv, {
    cwd: REPO_ROOT,
    env: cleanEnv(extraEnv),
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, signal: r.signal, stdout: r.stdout, stderr: r.stderr.toString('utf8') };
}
const run = (argv, extraEnv = {}) => runWith(sopsAbs, argv, extraEnv);

// ---------------------------------------------------------------- sops version and capabilities
function versionOf(bin) {
  const r = runWith(bin, ['--version'], { SOPS_DISABLE_VERSION_CHECK: '1' });
  // releases before 3.9 always ask GitHub for the latest release and may append " (latest)"
  const first = r.stdout.toString('utf8').split('\n')[0].trim().replace(/ \(latest\)$/, '');
  const m = /^sops (\d+\.\d+\.\d+\S*)/.exec(first);
  return m ? { version: m[1], first } : null;
}
const own = versionOf(sopsAbs);
if (!own) {
  console.error(`gen-vectors: ${sopsAbs} --version does not print "sops <version>"; is it Go sops?`);
  process.exit(1);
}
const VERSION = own.version;
const versionOutput = own.first;
const [vMaj, vMin] = VERSION.split('.').map(Number);
// `sops encrypt` / `sops decrypt` subcommands exist since 3.9.0; older releases only have -e/-d.
const HAS_SUBCOMMANDS = vMaj > 3 || (vMaj === 3 && vMin >= 9);
const helpMain = run(['--help']).stdout.toString('utf8');
const helpEncrypt = HAS_SUBCOMMANDS ? run(['encrypt', '--help']).stdout.toString('utf8') : helpMain;
/** how this release re-encrypts a file in place: `sops set file path value` or legacy `sops --set 'path value' file` */
const SET_MODE = /^\s+set\s+set a specific key/m.test(helpMain) ? 'subcommand' : /--set value/.test(helpMain) ? 'flag' : null;
const hasFlag = (help, flag) => new RegExp(`^\\s+${flag.replace(/[-]/g, '\\-')}[\\s,=]`, 'm').test(help);

let CROSS = null;
if (VERSION !== CROSS_VERSION) {
  const cv = existsSync(crossAbs) ? versionOf(crossAbs) : null;
  if (!cv || cv.version !== CROSS_VERSION) {
    console.error(`gen-vectors: cross-decrypt binary ${crossCmd} is not sops ${CROSS_VERSION} (${cv ? cv.first : 'missing'})`);
    process.exit(1);
  }
  CROSS = { bin: crossAbs, cmd: crossCmd, version: cv.version };
}

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
// flags(format): after the `encrypt` subcommand (or after `--encrypt` before 3.9);
// globalFlags: before it (sops only defines --mac-only-encrypted globally);
// config: creation rules written to a --config file; formats: where the setting is used;
// onlyInputs: per format, the input stems it is limited to.
const NO_RULES_PLACEHOLDER = '# no creation rules\n';
const ALL_FORMATS = ['yaml', 'json', 'dotenv', 'ini', 'binary'];
const TREE_REGEX = { enc: '^(data|stringData)$', unenc: '^(apiVersion|kind|metadata|description)$' };
// dotenv/INI keys are flat (INI: section names are keys too, so a section called `data` matters)
const FLAT_REGEX = { enc: '^(password|token|data)$', unenc: '^(host|port|description)$' };
// binary: a regex that does NOT match the store's only key `data`, so if a release honoured it,
// the file would stay in the clear. 3.11+ ignore it (with a warning); see the README.
const BINARY_ENC_REGEX = '^(password|token)$';
const regexFor = (format) => (format === 'yaml' || format === 'json' ? TREE_REGEX : FLAT_REGEX);
const SETTINGS = [
  { name: 'none', flags: () => [], globalFlags: [], config: null, formats: ALL_FORMATS },
  {
    name: 'encrypted_regex',
    flags: (f) => ['--encrypted-regex', f === 'binary' ? BINARY_ENC_REGEX : regexFor(f).enc],
    globalFlags: [],
    config: null,
    formats: ALL_FORMATS,
    onlyInputs: { binary: ['binary-text'] },
  },
  { name: 'unencrypted_suffix', flags: () => ['--unencrypted-suffix', '_public'], globalFlags: [], config: null, formats: ['yaml', 'json', 'dotenv', 'ini'] },
  { name: 'encrypted_suffix', flags: () => ['--encrypted-suffix', '_secret'], globalFlags: [], config: null, formats: ['yaml', 'json', 'dotenv', 'ini'] },
  {
    name: 'unencrypted_regex',
    flags: (f) => ['--unencrypted-regex', regexFor(f).unenc],
    globalFlags: [],
    config: null,
    formats: ['yaml', 'json', 'dotenv', 'ini'],
  },
  {
    name: 'mac_only_encrypted',
    flags: (f) => ['--encrypted-regex', regexFor(f).enc],
    globalFlags: ['--mac-only-encrypted'],
    config: null,
    formats: ['yaml', 'json', 'dotenv', 'ini'],
  },
  // `sops encrypt` has no comment-regex flags (only the legacy top-level `sops --encrypt` has
  // them, and the subcommand ignores them when given globally), so these go through .sops.yaml.
  {
    name: 'encrypted_comment_regex',
    flags: () => [],
    globalFlags: [],
    config: 'creation_rules:\n  - encrypted_comment_regex: "sops:enc"\n',
    requires: '--encrypted-comment-regex',
    formats: ['yaml', 'dotenv', 'ini'],
  },
  {
    name: 'unencrypted_comment_regex',
    flags: () => [],
    globalFlags: [],
    config: 'creation_rules:\n  - unencrypted_comment_regex: "sops:nocrypt"\n',
    requires: '--unencrypted-comment-regex',
    formats: ['yaml', 'dotenv', 'ini'],
  },
];
/** null when this release supports the setting, else the reason it is skipped */
function unsupported(setting) {
  const missing = [];
  const flagHelp = HAS_SUBCOMMANDS ? 'encrypt --help' : '--help';
  for (const f of new Set(setting.formats.flatMap((fmt) => setting.flags(fmt)).filter((a) => a.startsWith('--')))) {
    if (!hasFlag(helpEncrypt, f)) missing.push(`\`sops ${flagHelp}\` lists no ${f}`);
  }
  for (const f of setting.globalFlags) if (!hasFlag(helpMain, f)) missing.push(`\`sops --help\` lists no ${f}`);
  if (setting.requires && !hasFlag(helpMain, setting.requires)) {
    missing.push(`\`sops --help\` lists no ${setting.requires}: this release has no ${setting.name} (creation rule or flag)`);
  }
  return missing.length ? `sops ${VERSION}: ${missing.join('; ')}` : null;
}
const skippedSettings = [];
for (const s of SETTINGS) {
  const why = unsupported(s);
  if (why) skippedSettings.push({ setting: s.name, formats: s.formats, reason: why });
}
const activeSettings = SETTINGS.filter((s) => !skippedSettings.some((k) => k.setting === s.name));
// Probe: does the `encrypt` subcommand honour the global flags? (3.9/3.10 accept
// `sops --mac-only-encrypted encrypt …` but silently drop the flag: no mac_only_encrypted in the
// metadata, MAC over everything.) If not, that setting uses the legacy `sops <global> --encrypt`
// form, which does honour it, and the manifest says so.
for (const s of activeSettings) {
  if (!HAS_SUBCOMMANDS || !s.globalFlags.includes('--mac-only-encrypted')) continue;
  const probeConfig = join(HOME, 'probe.sops.yaml');
  writeFileSync(probeConfig, NO_RULES_PLACEHOLDER);
  const probeArgv = (legacy) => ['--config', probeConfig, ...s.globalFlags, legacy ? '--encrypt' : 'encrypt',
    '--age', keys['age-1'].recipient, ...s.flags('yaml'), 'vectors/inputs/k8s-secret-data.yaml'];
  const sub = run(probeArgv(false));
  if (sub.code === 0 && /^    mac_only_encrypted: true$/m.test(sub.stdout.toString('utf8'))) continue;
  const legacy = run(probeArgv(true));
  if (legacy.code !== 0 || !/^    mac_only_encrypted: true$/m.test(legacy.stdout.toString('utf8'))) {
    throw new Error(`sops ${VERSION}: neither \`--mac-only-encrypted encrypt\` nor \`--mac-only-encrypted --encrypt\` writes mac_only_encrypted`);
  }
  s.legacyEncrypt = true;
  s.note = `sops ${VERSION}: the \`encrypt\` subcommand silently ignores the global ${s.globalFlags.join(' ')} ` +
    '(probe: no mac_only_encrypted in the metadata, MAC over all values), so this setting uses the legacy ' +
    `\`sops ${s.globalFlags.join(' ')} --encrypt\` form, which honours it`;
}
const NO_RULES_CONFIG =
  '# Written by scripts/gen-vectors.mjs. No creation rules: passed with --config so that sops\n' +
  '# does not search for a .sops.yaml on the machine that generates the vectors.\n';

// ---------------------------------------------------------------- inputs
const FORMAT_OF_EXT = { yaml: 'yaml', yml: 'yaml', json: 'json', env: 'dotenv', ini: 'ini', bin: 'binary', txt: 'binary' };
const inputFiles = readdirSync(INPUTS)
  .filter((f) => /\.(ya?ml|json|env|ini|bin|txt)$/.test(f))
  .sort();
const inputs = inputFiles.map((f) => {
  const ext = f.slice(f.lastIndexOf('.') + 1);
  // binary inputs rely on sops's extension detection (anything that is not yaml/json/env/ini)
  return { file: f, stem: f.slice(0, f.lastIndexOf('.')), ext, format: FORMAT_OF_EXT[ext] };
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
function cmdLine(envVars, argv, redirect, cmd = sopsCmd) {
  const env = Object.entries(envVars).map(([k, v]) => `${k}=${shQuote(v)}`);
  return [...env, cmd, ...argv.map(shQuote)].join(' ') + (redirect ? ` > ${redirect}` : '');
}
function normStderr(s) {
  return s.split(REPO_ROOT + '/').join('').split(HOME).join('$HOME').trim();
}
function encryptArgv(configRel, flags, globalFlags, recipients, inputRel, legacy = false) {
  const age = recipients.map((k) => keys[k].recipient).join(',');
  if (HAS_SUBCOMMANDS && !legacy) {
    return ['--config', configRel, ...globalFlags, 'encrypt', '--age', age, ...flags, inputRel];
  }
  return ['--config', configRel, ...globalFlags, '--encrypt', '--age', age, ...flags, inputRel];
}
function decryptArgv(configRel, encRel, extra = [], subcommands = HAS_SUBCOMMANDS) {
  return subcommands
    ? ['--config', configRel, 'decrypt', ...extra, encRel]
    : ['--config', configRel, '--decrypt', ...extra, encRel];
}
function setArgv(configRel, file, path, value) {
  return SET_MODE === 'subcommand'
    ? ['--config', configRel, 'set', file, path, value]
    : ['--config', configRel, '--set', `${path} ${value}`, file];
}

// sops's own decrypt → re-encrypt with the same data key: `sops set` of one
// string to the value it already has (`sops --set '<path> <value>' file` before
// the `set` subcommand existed; both write the file in place). sops decrypts the
// whole tree (filling its IV stash), sets the value and re-encrypts everything;
// only lastmodified and the MAC's IV change. This is what "re-encrypt as sops
// would" means where sops cannot give back its original file (inline
// comments lose their Inline flag on decrypt, repeated values share an IV).
function reencrypt(v, configRel, input, id, encBytes, decBytes, keyEnv) {
  v.reencrypted = null;
  v.reencryptCommand = null;
  v.reencryptArgv = null;
  if (SET_MODE === null) return;
  const pick = pickSetTarget(input.format, decBytes);
  if (pick === null) return;
  const rel = `vectors/${OUT_REL}/${id}.reenc.${input.ext}`;
  writeFileSync(join(REPO_ROOT, rel), encBytes);
  const argv = setArgv(configRel, rel, pick.path, pick.value);
  const r = run(argv, keyEnv);
  if (r.code !== 0) {
    problems.push(`${id}: sops set failed (exit ${r.code}): ${normStderr(r.stderr)}`);
    rmSync(join(REPO_ROOT, rel), { force: true });
    return;
  }
  // (the file can come back byte-identical: within the same second as the encrypt, lastmodified
  // and so the MAC are unchanged, and the MAC's IV comes from the stash too)
  if (r.stdout.length > 0) {
    problems.push(`${id}: ${argv.join(' ')} printed to stdout instead of writing the file in place`);
    rmSync(join(REPO_ROOT, rel), { force: true });
    return;
  }
  v.reencrypted = `${OUT_REL}/${id}.reenc.${input.ext}`;
  v.reencryptCommand = `cp vectors/${v.encrypted} ${rel} && ${cmdLine(keyEnv, argv)}`;
  v.reencryptArgv = argv;
}

/**
 * A value `sops set` can set to itself without changing the plaintext: a sops tree path and the
 * JSON of its value; null when the file has none.
 */
function pickSetTarget(format, bytes) {
  const text = bytes.toString('utf8');
  const safeKey = (k) => typeof k === 'string' && /^[^"\\\n]*$/.test(k);
  const simpleValue = (s) => /^[A-Za-z0-9][A-Za-z0-9 ._@:/-]*$/.test(s) && !/ $/.test(s);
  const path = (keys) => keys.map((k) => (typeof k === 'number' ? `[${k}]` : `["${k}"]`)).join('');
  if (format === 'binary') {
    let s;
    try {
      s = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return null; // not UTF-8: no JSON string can carry it, so no `.reenc`
    }
    if (/["\\]/.test(s)) return null; // (an empty file works: `set ["data"] ""`)
    return { path: '["data"]', value: JSON.stringify(s) };
  }
  if (format === 'dotenv') {
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const eq = line.indexOf('=');
      const k = line.slice(0, eq), val = line.slice(eq + 1);
      if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) && simpleValue(val)) return { path: path([k]), value: JSON.stringify(val) };
    }
    return null;
  }
  if (format === 'ini') {
    let section = null;
    for (const line of text.split('\n')) {
      const sec = /^\[([A-Za-z0-9_]+)\]$/.exec(line);
      if (sec) { section = sec[1]; continue; }
      if (/^\[/.test(line)) { section = null; continue; } // a name we do not want to quote
      const kv = /^([A-Za-z_][A-Za-z0-9_]*) *= (.*)$/.exec(line);
      if (section && section !== 'DEFAULT' && kv && simpleValue(kv[2])) {
        return { path: path([section, kv[1]]), value: JSON.stringify(kv[2]) };
      }
    }
    return null;
  }
  if (format === 'json') {
    const find = (v, keys) => {
      if (typeof v === 'string') return keys.length > 0 && !/[\\"]/.test(v) ? keys : null;
      if (Array.isArray(v)) {
        for (let i = 0; i < v.length; i++) { const r = find(v[i], [...keys, i]); if (r) return r; }
      } else if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) { if (!safeKey(k)) continue; const r = find(x, [...keys, k]); if (r) return r; }
      }
      return null;
    };
    const doc = JSON.parse(text);
    const keys = find(doc, []);
    if (!keys) return null;
    const value = keys.reduce((v, k) => v[k], doc);
    return { path: path(keys), value: JSON.stringify(value) };
  }
  // yaml: the first string value (depth first) that is a string in every reading (go-yaml's and YAML 1.2's)
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
        if (!safeKey(k) || !isScalar(pair.key) || pair.key.type !== 'PLAIN') continue;
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

/** The `version` metadata line as each store writes it. */
function versionLine(format) {
  switch (format) {
    case 'yaml': return new RegExp(`^    version: ${VERSION.replace(/\./g, '\\.')}$`, 'm');
    case 'dotenv': return new RegExp(`^sops_version=${VERSION.replace(/\./g, '\\.')}$`, 'm');
    case 'ini': return new RegExp(`^version *= ${VERSION.replace(/\./g, '\\.')}$`, 'm');
    default: return new RegExp(`"version": "${VERSION.replace(/\./g, '\\.')}"`);
  }
}

// 3.13.3's decrypt of this release's file, compared with this release's own decrypt.
function crossDecrypt(v, configRel, input, id, encRel, ownDec, keyEnv, ignoreMac) {
  if (!CROSS) return null;
  const argv = decryptArgv(configRel, encRel, ignoreMac ? ['--ignore-mac'] : [], true);
  const r = runWith(CROSS.bin, argv, keyEnv);
  const out = {
    sops: CROSS.version,
    argv,
    env: keyEnv,
    command: cmdLine(keyEnv, argv, null, CROSS.cmd),
    exitCode: r.code,
    stderr: r.code === 0 ? null : normStderr(r.stderr),
    identical: ownDec === null ? null : r.code === 0 && Buffer.compare(r.stdout, ownDec) === 0,
    output: null,
  };
  if (r.code === 0 && out.identical !== true) {
    const xRel = `vectors/${OUT_REL}/${id}.xdec.${input.ext}`;
    writeFileSync(join(REPO_ROOT, xRel), r.stdout);
    out.output = `${OUT_REL}/${id}.xdec.${input.ext}`;
    out.command = cmdLine(keyEnv, argv, xRel, CROSS.cmd);
  }
  return out;
}

// ---------------------------------------------------------------- generate
rmSync(OUT_DIR, { recursive: true, force: true }); // stale outputs of this version
const CONFIG_DIR = join(OUT_DIR, 'configs');
mkdirSync(CONFIG_DIR, { recursive: true });
const noRulesPath = join(CONFIG_DIR, 'no-rules.sops.yaml');
writeFileSync(noRulesPath, NO_RULES_CONFIG);
for (const s of activeSettings) {
  if (s.config) writeFileSync(join(CONFIG_DIR, `${s.name}.sops.yaml`), s.config);
}

const RECIPIENT_SETS = [['age-1'], ['age-1', 'age-2', 'age-3']];
const vectors = [];
const problems = [];
const expectedDecryptFailures = [];
for (const input of inputs) {
  for (const setting of activeSettings) {
    if (!setting.formats.includes(input.format)) continue;
    const only = setting.onlyInputs?.[input.format];
    if (only && !only.includes(input.stem)) continue;
    const flags = setting.flags(input.format);
    for (const recipients of RECIPIENT_SETS) {
      const id = `${input.stem}--${setting.name}--r${recipients.length}`;
      const inputRel = `vectors/inputs/${input.file}`;
      const configPath = setting.config ? join(CONFIG_DIR, `${setting.name}.sops.yaml`) : noRulesPath;
      const configRel = rel(configPath);
      const encRel = `vectors/${OUT_REL}/${id}.enc.${input.ext}`;
      const decRel = `vectors/${OUT_REL}/${id}.dec.${input.ext}`;
      const encArgv = encryptArgv(configRel, flags, setting.globalFlags, recipients, inputRel, setting.legacyEncrypt === true);
      let decArgv = decryptArgv(configRel, encRel);
      const keyEnv = { SOPS_AGE_KEY_FILE: `vectors/${keys['age-1'].file}` };
      const v = {
        id,
        input: `inputs/${input.file}`,
        format: input.format,
        setting: setting.name,
        settingFlags: flags,
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
        reencryptArgv: null,
        encryptStderr: null,
        crossDecrypt: null,
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
      // warnings sops printed while encrypting (e.g. "rules ignored for the binary store")
      v.encryptStderr = normStderr(enc.stderr).replace(/time="[^"]*"/g, 'time="<time>"') || null;
      writeFileSync(join(REPO_ROOT, encRel), enc.stdout);
      v.encrypted = `${OUT_REL}/${id}.enc.${input.ext}`;
      let dec = run(decArgv, keyEnv);
      let ignoreMac = false;
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
        ignoreMac = true;
        v.decryptArgv = decArgv;
        v.decryptCommand = cmdLine(keyEnv, decArgv, decRel);
        dec = run(decArgv, keyEnv);
        if (dec.code !== 0) {
          v.decryptCommand = null;
          v.decryptArgv = null;
          v.decryptEnv = null;
          v.crossDecrypt = crossDecrypt(v, configRel, input, id, encRel, null, keyEnv, false);
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
      v.crossDecrypt = crossDecrypt(v, configRel, input, id, encRel, dec.stdout, keyEnv, ignoreMac);
      if (!versionLine(input.format).test(enc.stdout.toString('utf8'))) {
        problems.push(`${id}: encrypted output has no ${versionLine(input.format)}`);
      }
      vectors.push(v);
    }
  }
}

const manifest = {
  sops: {
    version: VERSION,
    // releases before 3.8.0 declare the module path go.mozilla.org/sops/v3 (see install-sops.sh)
    binary: `go install ${vMaj === 3 && vMin < 8 ? 'go.mozilla.org' : 'github.com/getsops'}/sops/v3/cmd/sops@v${VERSION}`,
    versionOutput,
    commands: {
      encrypt: HAS_SUBCOMMANDS ? 'sops [--config F] [global flags] encrypt --age R [flags] FILE' : 'sops [--config F] [global flags] --encrypt --age R [flags] FILE',
      decrypt: HAS_SUBCOMMANDS ? 'sops --config F decrypt FILE' : 'sops --config F --decrypt FILE',
      reencrypt:
        SET_MODE === 'subcommand' ? "sops --config F set FILE '<path>' '<json>' (in place)"
          : SET_MODE === 'flag' ? "sops --config F --set '<path> <json>' FILE (in place)"
            : null,
    },
  },
  generatedBy: 'scripts/gen-vectors.mjs',
  generatedAt: new Date().toISOString(),
  environment: {
    cwd: '<repo root>',
    env: { PATH: '<inherited>', HOME: '<fresh empty temp dir>' },
    note: 'no SOPS_* variables except SOPS_AGE_KEY_FILE for decrypt; --config is always explicit',
  },
  crossDecryptWith: CROSS ? { version: CROSS.version, binary: CROSS.cmd } : null,
  keys,
  settings: activeSettings.map((s) => ({
    name: s.name,
    // flags for YAML/JSON (kept for older readers); per-format flags in `flagsByFormat`
    settingFlags: s.flags('yaml'),
    globalFlags: s.globalFlags,
    config: s.config,
    formats: s.formats,
    flagsByFormat: Object.fromEntries(s.formats.map((f) => [f, s.flags(f)])),
    ...(s.onlyInputs ? { onlyInputs: s.onlyInputs } : {}),
    ...(s.legacyEncrypt ? { encryptForm: 'legacy', note: s.note } : {}),
  })),
  skippedSettings,
  vectors,
};
writeFileSync(join(OUT_DIR, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
rmSync(HOME, { recursive: true, force: true });

// ---------------------------------------------------------------- summary
const ok = vectors.filter((v) => v.encrypted && v.decrypted);
console.log(`gen-vectors: sops ${VERSION}: ${vectors.length} runs, ${ok.length} encrypted+decrypted vectors, ` +
  `${vectors.length - ok.length} without both files; ${vectors.filter((v) => v.reencrypted).length} re-encrypted`);
console.log('  by format:   ', JSON.stringify(tally(ok, (v) => v.format)));
console.log('  by setting:  ', JSON.stringify(tally(ok, (v) => v.setting)));
console.log('  by recipients:', JSON.stringify(tally(ok, (v) => `r${v.recipients.length}`)));
for (const s of skippedSettings) console.log(`  skipped setting ${s.setting}: ${s.reason}`);
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
if (CROSS) {
  const differ = vectors.filter((v) => v.crossDecrypt && v.crossDecrypt.identical !== true);
  console.log(`  cross-decrypt with ${CROSS.version}: ${vectors.filter((v) => v.crossDecrypt).length} checked, ${differ.length} differ`);
  for (const v of differ) {
    console.log(`    ${v.id}: exit ${v.crossDecrypt.exitCode}${v.crossDecrypt.stderr ? ' ' + v.crossDecrypt.stderr.split('\n')[0].slice(0, 100) : ''}`);
  }
}
if (args.index) writeIndex();
if (problems.length) {
  console.error(`gen-vectors: ${problems.length} problem(s):`);
  for (const p of problems) console.error('  ' + p);
  process.exit(1);
}
