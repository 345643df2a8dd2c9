#!/usr/bin/env node
// The sops-ts benchmark (`npm run bench`): every tool on the same files in
// the same run, one Markdown table per scenario, medians over repeated runs,
// ratios to sops-ts. See docs/performance.md for what is measured and why.
//
//   node bench/run.mjs [--quick] [--write-docs] [--keep] [--no-sops]
//
//   --quick       smaller run: 100 files in (d), no sops-ts CLI loop in (d), no 100k scaling step
//   --write-docs  put the tables into docs/performance.md (between the bench markers)
//   --keep        keep the temporary directory with the generated files
//   --no-sops     leave out Go sops even if it is installed
//
// Runs against the built package (dist/, bin/sops-ts.cjs): `npm run build` first.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, createCipheriv, createDecipheriv, randomBytes, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { K8S_ENCRYPTED_REGEX, kubernetesSecret, nestedTree, toJson, toYaml } from './lib/inputs.mjs';
import { summarize, timeAsync, timeProcess } from './lib/measure.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BENCH = join(ROOT, 'bench');
const SOPS_VERSION = '3.13.3';
const SOPS_BIN = join(ROOT, `.tools/sops-${SOPS_VERSION}/sops`);
const KEY_FILE = join(ROOT, 'vectors/keys/age-1.txt');
const CLI = join(ROOT, 'bin/sops-ts.cjs');

const argv = new Set(process.argv.slice(2));
for (const a of argv) if (!['--quick', '--write-docs', '--keep', '--no-sops'].includes(a)) die(`unknown option ${a}`);
const QUICK = argv.has('--quick');
const SIZES = QUICK ? [1000, 10000] : [1000, 10000, 100000];
const MANY = QUICK ? 100 : 1000;
const t0Run = performance.now();
const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

function die(msg) {
  process.stderr.write(`bench: ${msg}\n`);
  process.exit(2);
}

// ---------------------------------------------------------------- setup

if (!existsSync(join(ROOT, 'dist/index.js')) || !existsSync(join(ROOT, 'dist/cli.cjs'))) {
  die('dist/ is missing: run `npm run build` first (or `npm run bench`, which does).');
}
const sopsTs = await import('../dist/node/auto.js') /* what Node resolves `sops-ts` to (the "node" export condition) */;

/** The JavaScript peers live in bench/node_modules, so the package itself does not depend on them. */
async function loadPeers() {
  if (!existsSync(join(BENCH, 'node_modules/sops-age')) || !existsSync(join(BENCH, 'node_modules/sops-decoder'))) {
    log('installing the JavaScript peers (npm ci --prefix bench) …');
    // npm's output goes to stderr: stdout is the tables.
    const r = spawnSync('npm', ['ci', '--prefix', BENCH, '--no-audit', '--no-fund'], { stdio: ['ignore', 2, 2] });
    if (r.status !== 0) log('could not install bench/ dependencies; the sops-age and sops-decoder rows are left out');
  }
  const peers = {};
  try {
    peers.sopsAge = await import('sops-age');
    peers.sopsAgeVersion = JSON.parse(readFileSync(join(BENCH, 'node_modules/sops-age/package.json'), 'utf8')).version;
  } catch (e) {
    peers.sopsAgeError = String(e.message ?? e);
  }
  try {
    peers.sopsDecoderVersion = JSON.parse(readFileSync(join(BENCH, 'node_modules/sops-decoder/package.json'), 'utf8')).version;
  } catch (e) {
    peers.sopsDecoderError = String(e.message ?? e);
  }
  return peers;
}

function sopsVersionOf(bin) {
  const r = spawnSync(bin, ['--version', '--disable-version-check'], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: os.tmpdir() } });
  return r.status === 0 ? /sops (\S+)/.exec(r.stdout)?.[1] : undefined;
}

/** Go sops, pinned: installed with scripts/install-sops.sh when Go is there, else its rows are skipped with a note. */
function findSops() {
  if (argv.has('--no-sops')) return { note: 'Go sops left out (--no-sops).' };
  if (existsSync(SOPS_BIN) && sopsVersionOf(SOPS_BIN) === SOPS_VERSION) return { bin: SOPS_BIN };
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  if (go.status !== 0) return { note: `Go sops ${SOPS_VERSION} is not installed and Go is not on PATH, so its rows are skipped (install Go ≥ 1.22 and run \`npm run sops:install\`).` };
  log(`building Go sops ${SOPS_VERSION} with scripts/install-sops.sh (a few minutes, once) …`);
  const r = spawnSync('bash', [join(ROOT, 'scripts/install-sops.sh'), SOPS_VERSION], { stdio: ['ignore', 2, 2] });
  if (r.status === 0 && sopsVersionOf(SOPS_BIN) === SOPS_VERSION) return { bin: SOPS_BIN };
  return { note: `Go sops ${SOPS_VERSION} could not be built (scripts/install-sops.sh failed), so its rows are skipped.` };
}

const peers = await loadPeers();
const sops = findSops();
if (sops.note) log(sops.note);

const keyText = readFileSync(KEY_FILE, 'utf8');
const IDENTITY = keyText.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-')).trim();
const RECIPIENT = /public key: (age1\w+)/.exec(keyText)[1];

const TMP = mkdtempSync(join(os.tmpdir(), 'sops-ts-bench-'));
const HOME = join(TMP, 'home');
mkdirSync(HOME);
// A clean environment for both CLIs: no user keys, no .sops.yaml (TMP has none above it).
const ENV = { PATH: process.env.PATH, HOME, SOPS_AGE_KEY_FILE: KEY_FILE };
const NODE = process.execPath;
const path = (name) => join(TMP, name);
const MB = (n) => `${(n / 1e6).toFixed(2)} MB`;

// ---------------------------------------------------------------- inputs

/** Encrypt with Go sops (so every tool reads sops's bytes), or with sops-ts when sops is absent. */
function encryptArgs(plainFile, regex) {
  return ['encrypt', '--age', RECIPIENT, ...(regex ? ['--encrypted-regex', regex] : []), plainFile];
}

async function encryptInput(plainFile, encFile, format, regex) {
  if (sops.bin) {
    const r = spawnSync(sops.bin, encryptArgs(plainFile, regex), { env: ENV, cwd: TMP, maxBuffer: 1 << 30 });
    if (r.status !== 0) die(`sops encrypt ${plainFile} failed: ${r.stderr}`);
    writeFileSync(encFile, r.stdout);
  } else {
    writeFileSync(encFile, await sopsTs.encrypt(readFileSync(plainFile, 'utf8'), { format, age: [RECIPIENT], ...(regex ? { encryptedRegex: regex } : {}) }));
  }
}

/** Many files at once: two sops processes at a time (one per core). */
async function encryptMany(jobs) {
  if (!sops.bin) {
    for (const j of jobs) await encryptInput(j.plain, j.enc, 'yaml', j.regex);
    return;
  }
  let next = 0;
  const lane = async () => {
    while (next < jobs.length) {
      const j = jobs[next++];
      await new Promise((resolve, reject) => {
        const chunks = [];
        const p = spawn(sops.bin, encryptArgs(j.plain, j.regex), { env: ENV, cwd: TMP, stdio: ['ignore', 'pipe', 'inherit'] });
        p.stdout.on('data', (c) => chunks.push(c));
        p.on('close', (code) => (code === 0 ? (writeFileSync(j.enc, Buffer.concat(chunks)), resolve()) : reject(new Error(`sops encrypt ${j.plain}: exit ${code}`))));
      });
    }
  };
  await Promise.all([lane(), lane()]);
}

log(`generating inputs in ${TMP} (encrypted by ${sops.bin ? `Go sops ${SOPS_VERSION}` : 'sops-ts, as Go sops is absent'}) …`);
const inputs = {};
writeFileSync(path('k8s.yaml'), kubernetesSecret());
await encryptInput(path('k8s.yaml'), path('k8s.enc.yaml'), 'yaml', K8S_ENCRYPTED_REGEX);
inputs.k8s = { plain: path('k8s.yaml'), enc: path('k8s.enc.yaml'), format: 'yaml', regex: K8S_ENCRYPTED_REGEX, values: 5 };
for (const n of SIZES) {
  const tree = nestedTree(n);
  for (const format of n === 10000 ? ['yaml', 'json'] : ['yaml']) {
    const base = `values-${n}`;
    writeFileSync(path(`${base}.${format}`), format === 'yaml' ? toYaml(tree) : toJson(tree));
    await encryptInput(path(`${base}.${format}`), path(`${base}.enc.${format}`), format);
    inputs[`${format}-${n}`] = { plain: path(`${base}.${format}`), enc: path(`${base}.enc.${format}`), format, values: n, tree };
  }
}
mkdirSync(path('many'));
const manyJobs = Array.from({ length: MANY }, (_, i) => {
  const name = `many/secret-${String(i).padStart(4, '0')}`;
  writeFileSync(path(`${name}.yaml`), kubernetesSecret(1000 + i));
  return { plain: path(`${name}.yaml`), enc: path(`${name}.enc.yaml`), regex: K8S_ENCRYPTED_REGEX };
});
await encryptMany(manyJobs);
for (const inp of Object.values(inputs)) {
  inp.encText = readFileSync(inp.enc, 'utf8');
  inp.plainText = readFileSync(inp.plain, 'utf8');
  inp.encBytes = Buffer.byteLength(inp.encText);
}
log(`inputs ready (${((performance.now() - t0Run) / 1000).toFixed(1)} s)`);

// ---------------------------------------------------------------- tools

const FOOTNOTES = {
  decryptOnly: 'decrypt-only library: it has no encrypt function.',
  sopsDecoderKms: 'sops-decoder gets the data key from AWS KMS master keys only (`sops.kms`); it has no age support, so it cannot open files encrypted for an age recipient. It also reads JSON only.',
  sopsAgeNoMac: 'sops-age does not verify the MAC (it reads `sops.mac` and ignores it), so a value deleted from the file goes unnoticed; it returns a JavaScript object, not the file text. Compare with the "sops-ts → object" row.',
  toObject: 'sops-ts `decryptToObject`: MAC verified, returns the first document as a JavaScript object (what sops-age returns).',
  whole: 'whole process: spawn to exit, wall clock, output to /dev/null; includes start-up (Node ~40 ms, Go ~5 ms) and the age unwrap.',
  noSops: sops.note,
};

/** What sops prints for a file: the reference every decrypt output is compared with (from sops-ts when sops is absent). */
async function referencePlaintext(inp) {
  if (inp.reference !== undefined) return inp.reference;
  if (sops.bin) {
    const r = spawnSync(sops.bin, ['decrypt', inp.enc], { env: ENV, cwd: TMP, maxBuffer: 1 << 30 });
    inp.reference = r.stdout.toString('utf8');
  } else {
    inp.reference = await sopsTs.decrypt(inp.encText, { format: inp.format, ageIdentities: [IDENTITY] });
  }
  inp.referenceObject = await sopsTs.decryptToObject(inp.encText, { format: inp.format, ageIdentities: [IDENTITY] });
  return inp.reference;
}

const same = (a, b, what) => (a === b ? undefined : `output differs from ${what}`);

/** An encrypted output is checked by decrypting it (MAC verified) with sops, or sops-ts without sops. */
async function checkEncrypted(text, inp) {
  const ref = await referencePlaintext(inp);
  let out;
  if (sops.bin) {
    const f = path(`check.enc.${inp.format}`);
    writeFileSync(f, text);
    const r = spawnSync(sops.bin, ['decrypt', f], { env: ENV, cwd: TMP, maxBuffer: 1 << 30 });
    if (r.status !== 0) return `sops cannot decrypt it: ${r.stderr.toString().split('\n')[0]}`;
    out = r.stdout.toString('utf8');
  } else {
    out = await sopsTs.decrypt(text, { format: inp.format, ageIdentities: [IDENTITY] });
  }
  return same(out, ref, 'the input after a round trip');
}

/**
 * The rows of one operation on one input. Each row: tool, how it runs
 * (library in process / whole process), result or `unsupported`.
 */
async function measureOp(op, inp, budget, only) {
  const ref = await referencePlaintext(inp);
  const rows = [];
  const lib = (tool, fn, check, notes = []) => ({ tool, kind: 'library', fn, check, notes });
  const specs = [];
  const regexOpt = inp.regex ? { encryptedRegex: inp.regex } : {};
  if (op === 'decrypt') {
    specs.push(lib('sops-ts', () => sopsTs.decrypt(inp.encText, { format: inp.format, ageIdentities: [IDENTITY] }), (out) => same(out, ref, 'sops')));
    specs.push(lib('sops-ts → object', () => sopsTs.decryptToObject(inp.encText, { format: inp.format, ageIdentities: [IDENTITY] }), undefined, ['toObject']));
    if (peers.sopsAge) {
      specs.push(
        lib('sops-age', () => peers.sopsAge.decryptSops(inp.encText, { secretKey: IDENTITY, fileType: inp.format }), (obj) => (isDeepStrictEqual(obj, inp.referenceObject) ? undefined : 'object differs from the file'), ['sopsAgeNoMac']),
      );
    } else specs.push({ tool: 'sops-age', kind: 'library', error: `not installed: ${peers.sopsAgeError}` });
  } else {
    specs.push(lib('sops-ts', () => sopsTs.encrypt(inp.plainText, { format: inp.format, age: [RECIPIENT], ...regexOpt }), null));
    specs.push({ tool: 'sops-age', kind: 'library', unsupported: 'decryptOnly' });
  }
  specs.push({ tool: 'sops-decoder', kind: 'library', unsupported: 'sopsDecoderKms' });
  const cliArgs = op === 'decrypt' ? ['decrypt', inp.enc] : encryptArgs(inp.plain, inp.regex);
  const checkProc = op === 'decrypt' ? (stdout) => same(stdout.toString('utf8'), ref, 'sops') : null;
  // Issue 7's floor for any Node CLI: a bare `node -e 0` on the same machine, in the same run.
  if (inp.values <= 5) specs.push({ tool: 'node -e 0 (the floor for a Node CLI)', kind: 'process', cmd: NODE, args: ['-e', '0'] });
  specs.push({ tool: 'sops-ts CLI', kind: 'process', cmd: NODE, args: [CLI, ...cliArgs], check: checkProc });
  if (sops.bin) specs.push({ tool: `sops ${SOPS_VERSION}`, kind: 'process', cmd: sops.bin, args: cliArgs, check: checkProc });
  else specs.push({ tool: `sops ${SOPS_VERSION}`, kind: 'process', skipped: 'noSops' });

  for (const s of specs) {
    if (only && !only.includes(s.tool)) continue;
    const row = { tool: s.tool, kind: s.kind, notes: [...(s.notes ?? [])] };
    if (s.unsupported) row.unsupported = s.unsupported;
    else if (s.skipped) row.skipped = s.skipped;
    else if (s.error) row.error = s.error;
    else {
      log(`${op} ${inp.format} ${inp.values} values: ${s.tool} …`);
      let r;
      try {
        if (s.kind === 'library') {
          // The first output is checked outside the timing (an encrypt output by
          // decrypting it with sops).
          r = await timeAsync(s.fn, { check: s.check === null ? (first) => checkEncrypted(first, inp) : s.check, budget });
        } else {
          r = timeProcess(s.cmd, s.args, { env: ENV, cwd: TMP, check: s.check ?? undefined, budget });
          if (s.check === null && !r.error) {
            const out = spawnSync(s.cmd, s.args, { env: ENV, cwd: TMP, maxBuffer: 1 << 30 });
            const p = await checkEncrypted(out.stdout.toString('utf8'), inp);
            if (p) r.problem = p;
          }
        }
      } catch (e) {
        r = { error: String(e?.message ?? e).split('\n')[0].slice(0, 160) };
      }
      Object.assign(row, r);
    }
    rows.push(row);
  }
  // Ratios: library rows to the sops-ts library, whole-process rows to the sops-ts CLI.
  const base = { library: rows.find((r) => r.tool === 'sops-ts')?.median, process: rows.find((r) => r.tool === 'sops-ts CLI')?.median };
  for (const r of rows) if (r.median !== undefined && base[r.kind]) r.ratio = r.median / base[r.kind];
  return rows;
}

// ---------------------------------------------------------------- formatting

const fmtMs = (ms) => (ms === undefined ? '' : ms < 1 ? ms.toFixed(3) : ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0));
const fmtRatio = (x) => (x === undefined ? '' : `${x < 10 ? x.toFixed(2) : x.toFixed(1)}×`);
const KIND = { library: 'library, in process (warm)', process: 'whole process' };

class Notes {
  constructor() {
    this.keys = [];
  }
  ref(key) {
    if (!this.keys.includes(key)) this.keys.push(key);
    return `[${this.keys.indexOf(key) + 1}]`;
  }
  render() {
    return this.keys.map((k, i) => `[${i + 1}] ${FOOTNOTES[k] ?? k}`).join('  \n');
  }
}

function cell(r, notes) {
  if (!r) return { ms: '', ratio: '' };
  if (r.unsupported) return { ms: `unsupported ${notes.ref(r.unsupported)}`, ratio: '' };
  if (r.skipped) return { ms: `skipped ${notes.ref(r.skipped)}`, ratio: '' };
  if (r.error) return { ms: `error: ${r.error.replace(/\|/g, '\\|')}`, ratio: '' };
  return { ms: fmtMs(r.median) + (r.problem ? ` ⚠ ${r.problem}` : ''), ratio: fmtRatio(r.ratio) };
}

/** One table per scenario: a row per tool, decrypt and encrypt side by side. */
function scenarioTable(title, dec, enc) {
  const notes = new Notes();
  const tools = [...new Set([...dec, ...(enc ?? [])].map((r) => r.tool))];
  let md = `### ${title}\n\n| Tool | How | Decrypt, median ms | vs sops-ts | Encrypt, median ms | vs sops-ts | Runs | Notes |\n|---|---|--:|--:|--:|--:|--:|---|\n`;
  for (const tool of tools) {
    const d = dec.find((r) => r.tool === tool);
    const e = enc?.find((r) => r.tool === tool);
    const kind = (d ?? e).kind;
    const dc = cell(d, notes);
    const ec = enc ? cell(e, notes) : { ms: '', ratio: '' };
    const runs = [d?.runs, e?.runs].filter((x) => x !== undefined).join(' / ');
    const n = [...new Set([...(d?.notes ?? []), ...(e?.notes ?? [])])].map((k) => notes.ref(k));
    if (kind === 'process') n.push(notes.ref('whole'));
    md += `| ${tool} | ${KIND[kind]} | ${dc.ms} | ${dc.ratio} | ${ec.ms} | ${ec.ratio} | ${runs} | ${n.join(' ')} |\n`;
  }
  return md + '\n' + notes.render() + '\n';
}

// ---------------------------------------------------------------- scenarios

const results = { scenarios: {} };
const out = [];
const emit = (md) => {
  out.push(md);
  process.stdout.write(md + '\n');
};

const machine = {
  cpu: os.cpus()[0]?.model?.trim(),
  cores: os.cpus().length,
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
  os: `${os.type()} ${os.release()}`,
  node: process.version,
  sops: sops.bin ? SOPS_VERSION : 'absent',
  sopsAge: peers.sopsAgeVersion,
  sopsDecoder: peers.sopsDecoderVersion,
  loadAverageAtStart: os.loadavg().map((x) => +x.toFixed(2)),
};
results.machine = machine;
results.date = new Date().toISOString();
results.quick = QUICK;
results.command = `npm run bench${QUICK ? ' -- --quick' : ''}`;

emit(
  `Measured ${results.date.slice(0, 10)} with \`${results.command}\` on ${machine.cpu} (${machine.cores} cores, ${machine.memoryGiB} GiB), ${machine.os}, Node ${machine.node}; Go sops ${machine.sops}, sops-age ${machine.sopsAge ?? 'absent'}, sops-decoder ${machine.sopsDecoder ?? 'absent'}. Load average at start: ${machine.loadAverageAtStart.join(', ')}. Inputs encrypted by ${sops.bin ? 'Go sops' : 'sops-ts (Go sops absent)'} for one age recipient.\n`,
);
if (sops.note) emit(`> ${sops.note}\n`);

const scenarios = [
  { id: 'a', title: `(a) Kubernetes Secret: 5 values, 1 age recipient (${inputs.k8s.encBytes} bytes encrypted)`, inp: inputs.k8s },
  { id: 'b', title: `(b) Large YAML: 10,000 values, nested (${MB(inputs['yaml-10000'].encBytes)} encrypted)`, inp: inputs['yaml-10000'] },
  { id: 'c', title: `(c) Large JSON: the same 10,000 values (${MB(inputs['json-10000'].encBytes)} encrypted)`, inp: inputs['json-10000'] },
];
for (const s of scenarios) {
  const dec = await measureOp('decrypt', s.inp);
  const enc = await measureOp('encrypt', s.inp);
  results.scenarios[s.id] = { title: s.title, encryptedBytes: s.inp.encBytes, decrypt: dec, encrypt: enc };
  emit(scenarioTable(s.title, dec, enc));
}

// (d) many small files: one sops-ts process against a shell loop of sops.
{
  const files = manyJobs.map((j) => j.enc);
  const expected = manyJobs.map((j) => readFileSync(j.plain, 'utf8')).join('');
  const check = (stdout) => same(stdout.toString('utf8'), expected, 'the inputs');
  const rows = [];
  const slow = { minRuns: 3, minTime: 0, slowRuns: 3, maxTime: 0 };
  log(`(d) ${MANY} files: sops-ts one process …`);
  rows.push({ tool: 'sops-ts library, one process, 2 worker threads', kind: 'process', ...timeProcess(NODE, [join(BENCH, 'multi-decrypt.mjs'), '--workers', '2', KEY_FILE, ...files], { env: ENV, cwd: TMP, check }) });
  rows.push({ tool: 'sops-ts library, one process, 1 thread', kind: 'process', ...timeProcess(NODE, [join(BENCH, 'multi-decrypt.mjs'), '--workers', '1', KEY_FILE, ...files], { env: ENV, cwd: TMP, check }) });
  const loop = 'for f in "$@"; do "$TOOL" decrypt "$f"; done';
  if (sops.bin) {
    log(`(d) ${MANY} files: shell loop of sops decrypt (3 runs) …`);
    rows.push({ tool: `sops ${SOPS_VERSION}, shell loop of \`sops decrypt\``, kind: 'process', ...timeProcess('bash', ['-c', loop, 'loop', ...files], { env: { ...ENV, TOOL: sops.bin }, cwd: TMP, warmup: false, budget: slow }) });
  } else rows.push({ tool: `sops ${SOPS_VERSION}, shell loop`, kind: 'process', skipped: 'noSops' });
  // A loop of the sops-ts CLI pays Node's start-up per file: measured on a sample, scaled.
  const sample = QUICK ? [] : files.slice(0, 20);
  if (sample.length) {
    log(`(d) sops-ts CLI shell loop over ${sample.length} files …`);
    const cliLoop = timeProcess('bash', ['-c', 'for f in "$@"; do "$NODE" "$CLI" decrypt "$f"; done', 'loop', ...sample], { env: { ...ENV, NODE, CLI }, cwd: TMP, warmup: false, budget: slow });
    const scale = files.length / sample.length;
    rows.push({ tool: 'sops-ts CLI, shell loop', kind: 'process', ...(cliLoop.error ? cliLoop : { median: cliLoop.median * scale, min: cliLoop.min * scale, max: cliLoop.max * scale, runs: cliLoop.runs }), notes: ['sample'] });
    FOOTNOTES.sample = `measured as a loop over ${sample.length} of the files and multiplied by ${scale}.`;
  }
  FOOTNOTES.perFile = 'decrypts with the MAC verified; the time includes the process start-up, key lookup and age unwrap for every file.';
  const base = rows[0].median;
  for (const r of rows) if (r.median !== undefined && base) r.ratio = r.median / base;
  results.scenarios.d = { files: MANY, decrypt: rows };
  const notes = new Notes();
  const title = `(d) ${MANY.toLocaleString('en')} Kubernetes Secrets, each decrypted and MAC-verified`;
  let md = `### ${title}\n\n| Tool | Total, median ms | Per file ms | vs sops-ts one process | Runs | Notes |\n|---|--:|--:|--:|--:|---|\n`;
  for (const r of rows) {
    const c = cell(r, notes);
    md += `| ${r.tool} | ${c.ms} | ${r.median !== undefined ? fmtMs(r.median / MANY) : ''} | ${c.ratio} | ${r.runs ?? ''} | ${[...(r.notes ?? []).map((k) => notes.ref(k)), notes.ref('perFile')].join(' ')} |\n`;
  }
  emit(md + '\n' + notes.render() + '\n');
}

// (e) peak memory for (b): each tool once in a fresh process.
{
  const inp = inputs['yaml-10000'];
  const hasTime = existsSync('/usr/bin/time');
  const peak = (cmd, args) => {
    const samples = [];
    for (let i = 0; i < 3; i++) {
      const r = hasTime
        ? spawnSync('/usr/bin/time', ['-f', 'MAXRSS %M', cmd, ...args], { env: ENV, cwd: TMP, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] })
        : spawnSync(cmd, args, { env: ENV, cwd: TMP, maxBuffer: 1 << 30 });
      if (r.status !== 0) return { error: `exit ${r.status}: ${String(r.stderr).split('\n')[0]}` };
      const kb = hasTime ? Number(/MAXRSS (\d+)/.exec(String(r.stderr))?.[1]) : Number(String(r.stdout).trim().split('\n').pop());
      if (!Number.isFinite(kb)) return { error: 'no max RSS reading' };
      samples.push(kb / 1024);
    }
    return { peakMiB: summarize(samples).median };
  };
  const memChild = (tool, op) => [join(BENCH, 'mem-child.mjs'), tool, op, op === 'decrypt' ? inp.enc : inp.plain, inp.format, KEY_FILE];
  log('(e) peak memory …');
  const rows = [];
  rows.push({ tool: 'Node.js doing nothing (baseline)', how: 'process', decrypt: peak(NODE, ['-e', '0']) });
  rows.push({ tool: 'sops-ts library', how: 'one call in a fresh Node process', decrypt: peak(NODE, memChild('sops-ts', 'decrypt')), encrypt: peak(NODE, memChild('sops-ts', 'encrypt')) });
  rows.push({ tool: 'sops-age', how: 'one call in a fresh Node process', decrypt: peers.sopsAge ? peak(NODE, memChild('sops-age', 'decrypt')) : { error: 'not installed' }, encrypt: { unsupported: 'decryptOnly' } });
  rows.push({ tool: 'sops-ts CLI', how: 'process', decrypt: hasTime ? peak(NODE, [CLI, 'decrypt', inp.enc]) : { error: 'needs /usr/bin/time' }, encrypt: hasTime ? peak(NODE, [CLI, ...encryptArgs(inp.plain)]) : { error: 'needs /usr/bin/time' } });
  if (sops.bin) rows.push({ tool: `sops ${SOPS_VERSION}`, how: 'process', decrypt: hasTime ? peak(sops.bin, ['decrypt', inp.enc]) : { error: 'needs /usr/bin/time' }, encrypt: hasTime ? peak(sops.bin, encryptArgs(inp.plain)) : { error: 'needs /usr/bin/time' } });
  else rows.push({ tool: `sops ${SOPS_VERSION}`, how: 'process', decrypt: { skipped: 'noSops' }, encrypt: { skipped: 'noSops' } });
  results.scenarios.e = { input: 'b', encryptedBytes: inp.encBytes, method: hasTime ? '/usr/bin/time -f %M (median of 3)' : 'process.resourceUsage().maxRSS', rows };
  const notes = new Notes();
  const baseD = rows[1].decrypt?.peakMiB;
  const baseE = rows[1].encrypt?.peakMiB;
  const mc = (c, base) => (c === undefined ? { ms: '', ratio: '' } : c.peakMiB !== undefined ? { ms: c.peakMiB.toFixed(0), ratio: base ? fmtRatio(c.peakMiB / base) : '' } : cell(c, notes));
  let md = `### (e) Peak memory (max RSS) for (b), the 10,000-value YAML file\n\n| Tool | How | Decrypt, MiB | vs sops-ts | Encrypt, MiB | vs sops-ts |\n|---|---|--:|--:|--:|--:|\n`;
  for (const r of rows) {
    const d = mc(r.decrypt, baseD);
    const e = mc(r.encrypt, baseE);
    md += `| ${r.tool} | ${r.how} | ${d.ms} | ${d.ratio} | ${e.ms} | ${e.ratio} |\n`;
  }
  emit(md + `\nMax RSS of the whole process (${results.scenarios.e.method}); the Node rows include Node's own ~40 MiB (first row).${notes.keys.length ? '  \n' + notes.render() : ''}\n`);
}

// Scaling: (b) at 1k, 10k (and 100k) values.
{
  const tools = ['sops-ts', 'sops-ts CLI', `sops ${SOPS_VERSION}`, 'sops-age'];
  const scaling = { decrypt: {}, encrypt: {} };
  for (const n of SIZES) {
    const inp = inputs[`yaml-${n}`];
    for (const op of ['decrypt', 'encrypt']) {
      let rows;
      if (n === 10000) rows = results.scenarios.b[op];
      // At 100k only the sops-ts library and Go sops (the CLI adds only its start-up, sops-age is decrypt-only): keeps the run short.
      else rows = await measureOp(op, inp, n >= 100000 ? { minRuns: 3, minTime: 0, maxTime: 0, slowRuns: 3 } : undefined, n >= 100000 ? ['sops-ts', `sops ${SOPS_VERSION}`] : tools);
      scaling[op][n] = rows;
    }
  }
  results.scenarios.scaling = { sizes: SIZES, encryptedBytes: Object.fromEntries(SIZES.map((n) => [n, inputs[`yaml-${n}`].encBytes])), ...scaling };
  let md = `### Scaling: (b) at ${SIZES.map((n) => n.toLocaleString('en')).join(', ')} values (YAML)\n\nMedian ms, and in brackets µs per value. The last rows give the marginal cost per value between two sizes (Δms ÷ Δvalues): a linear cost keeps it flat.\n\n`;
  for (const op of ['decrypt', 'encrypt']) {
    const present = tools.filter((t) => SIZES.some((n) => scaling[op][n].find((r) => r.tool === t)?.median !== undefined));
    md += `| ${op} | encrypted size | ${present.join(' | ')} |\n|---|--:|${present.map(() => '--:').join('|')}|\n`;
    for (const n of SIZES) {
      md += `| ${n.toLocaleString('en')} values | ${MB(inputs[`yaml-${n}`].encBytes)} | ${present
        .map((t) => {
          const r = scaling[op][n].find((x) => x.tool === t);
          return r?.median === undefined ? '' : `${fmtMs(r.median)} (${((r.median * 1000) / n).toFixed(1)})`;
        })
        .join(' | ')} |\n`;
    }
    for (let i = 1; i < SIZES.length; i++) {
      const [a, b] = [SIZES[i - 1], SIZES[i]];
      md += `| marginal ${a / 1000}k→${b / 1000}k, µs/value | | ${present
        .map((t) => {
          const ra = scaling[op][a].find((x) => x.tool === t)?.median;
          const rb = scaling[op][b].find((x) => x.tool === t)?.median;
          return ra === undefined || rb === undefined ? '' : (((rb - ra) * 1000) / (b - a)).toFixed(1);
        })
        .join(' | ')} |\n`;
    }
    md += '\n';
  }
  emit(md);
}

// The machine's limit: AES-256-GCM and SHA-512 on this machine.
{
  log('crypto limits …');
  // The @noble/hashes that sops-ts itself uses (bench/node_modules has sops-age's older one).
  const { sha512 } = await import(pathToFileURL(join(ROOT, 'node_modules/@noble/hashes/sha2.js')).href);
  const { gcm } = await import(pathToFileURL(join(ROOT, 'node_modules/@noble/ciphers/aes.js')).href);
  const subtle = webcrypto.subtle;
  const key = randomBytes(32);
  const iv = randomBytes(32); // sops uses 32-byte IVs
  const aad = Buffer.from('section_000:service_00:secret_0:');
  const data = randomBytes(2 * 1024 * 1024);
  const cryptoKey = await subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
  const sealed = Buffer.from(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, cryptoKey, data));
  const nodeSeal = (pt) => {
    const c = createCipheriv('aes-256-gcm', key, iv);
    c.setAAD(aad);
    return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
  };
  const nodeOpen = (ct) => {
    const d = createDecipheriv('aes-256-gcm', key, iv);
    d.setAAD(aad);
    d.setAuthTag(ct.subarray(ct.length - 16));
    return Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]);
  };
  const budget = { minRuns: 5, minTime: 500, maxTime: 2000, slowRuns: 3 };
  const bulk = [
    ['AES-256-GCM encrypt', 'WebCrypto (crypto.subtle)', () => subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aad }, cryptoKey, data)],
    ['AES-256-GCM encrypt', 'node:crypto', async () => nodeSeal(data)],
    ['AES-256-GCM decrypt', 'WebCrypto (crypto.subtle)', () => subtle.decrypt({ name: 'AES-GCM', iv, additionalData: aad }, cryptoKey, sealed)],
    ['AES-256-GCM decrypt', 'node:crypto', async () => nodeOpen(sealed)],
    ['SHA-512', 'node:crypto', async () => createHash('sha512').update(data).digest()],
    ['SHA-512', 'WebCrypto (crypto.subtle)', () => subtle.digest('SHA-512', data)],
    ['SHA-512', '@noble/hashes (what sops-ts uses: streaming)', async () => sha512(data)],
  ];
  const bulkRows = [];
  for (const [what, impl, fn] of bulk) {
    const r = await timeAsync(fn, { budget });
    bulkRows.push({ what, impl, median: r.median, mbPerS: data.length / 1e6 / (r.median / 1000) });
  }
  // The floor for (b): the same work sops-ts must do, without parsing or
  // emitting: 10,000 AES-GCM operations on the file's values, plus SHA-512
  // over the plaintexts (the MAC), plus base64 of each value.
  const leaves = [];
  const walk = (v) => (Array.isArray(v) ? v.forEach(walk) : v !== null && typeof v === 'object' ? Object.values(v).forEach(walk) : leaves.push(Buffer.from(String(v))));
  walk(inputs['yaml-10000'].tree);
  const ivs = leaves.map(() => randomBytes(32));
  const aads = leaves.map((_, i) => Buffer.from(`section_${i % 10}:service_${i % 100}:secret_${i % 10}:`));
  const sealedLeaves = leaves.map((pt, i) => {
    const c = createCipheriv('aes-256-gcm', key, ivs[i]);
    c.setAAD(aads[i]);
    return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]).toString('base64');
  });
  const floorDecrypt = {
    'WebCrypto, one await per value (as sops-ts)': async () => {
      const h = sha512.create();
      for (let i = 0; i < leaves.length; i++) h.update(new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: ivs[i], additionalData: aads[i] }, cryptoKey, Buffer.from(sealedLeaves[i], 'base64'))));
      return h.digest();
    },
    'WebCrypto, all values in flight (Promise.all)': async () => {
      const pts = await Promise.all(sealedLeaves.map((s, i) => subtle.decrypt({ name: 'AES-GCM', iv: ivs[i], additionalData: aads[i] }, cryptoKey, Buffer.from(s, 'base64'))));
      const h = sha512.create();
      for (const p of pts) h.update(new Uint8Array(p));
      return h.digest();
    },
    '@noble/ciphers gcm, synchronous (sops-ts without WebCrypto)': async () => {
      const h = sha512.create();
      for (let i = 0; i < leaves.length; i++) h.update(gcm(key, ivs[i], aads[i]).decrypt(Buffer.from(sealedLeaves[i], 'base64')));
      return h.digest();
    },
    'node:crypto, synchronous': async () => {
      const h = createHash('sha512');
      for (let i = 0; i < leaves.length; i++) {
        const ct = Buffer.from(sealedLeaves[i], 'base64');
        const d = createDecipheriv('aes-256-gcm', key, ivs[i]);
        d.setAAD(aads[i]);
        d.setAuthTag(ct.subarray(ct.length - 16));
        h.update(d.update(ct.subarray(0, ct.length - 16)));
        d.final();
      }
      return h.digest();
    },
  };
  const floorEncrypt = {
    'WebCrypto, one await per value (as sops-ts)': async () => {
      const h = sha512.create();
      for (let i = 0; i < leaves.length; i++) {
        h.update(leaves[i]);
        Buffer.from(await subtle.encrypt({ name: 'AES-GCM', iv: webcrypto.getRandomValues(new Uint8Array(32)), additionalData: aads[i] }, cryptoKey, leaves[i])).toString('base64');
      }
      return h.digest();
    },
    '@noble/ciphers gcm, synchronous (sops-ts without WebCrypto)': async () => {
      const h = sha512.create();
      for (let i = 0; i < leaves.length; i++) {
        h.update(leaves[i]);
        Buffer.from(gcm(key, webcrypto.getRandomValues(new Uint8Array(32)), aads[i]).encrypt(leaves[i])).toString('base64');
      }
      return h.digest();
    },
    'node:crypto, synchronous': async () => {
      const h = createHash('sha512');
      for (let i = 0; i < leaves.length; i++) {
        h.update(leaves[i]);
        const c = createCipheriv('aes-256-gcm', key, randomBytes(32));
        c.setAAD(aads[i]);
        Buffer.concat([c.update(leaves[i]), c.final(), c.getAuthTag()]).toString('base64');
      }
      return h.digest();
    },
  };
  const floors = { decrypt: {}, encrypt: {} };
  for (const [name, fn] of Object.entries(floorDecrypt)) floors.decrypt[name] = (await timeAsync(fn, { budget })).median;
  for (const [name, fn] of Object.entries(floorEncrypt)) floors.encrypt[name] = (await timeAsync(fn, { budget })).median;
  const b = results.scenarios.b;
  const tsB = { decrypt: b.decrypt.find((r) => r.tool === 'sops-ts')?.median, encrypt: b.encrypt.find((r) => r.tool === 'sops-ts')?.median };
  results.crypto = { bulk: bulkRows, floors, leaves: leaves.length, sopsTsB: tsB };
  let md = `### The machine's limit\n\nBulk throughput on one 2 MiB buffer (one call, one core):\n\n| Primitive | Implementation | Median ms for 2 MiB | MB/s |\n|---|---|--:|--:|\n`;
  for (const r of bulkRows) md += `| ${r.what} | ${r.impl} | ${fmtMs(r.median)} | ${r.mbPerS.toFixed(0)} |\n`;
  md += `\nBut (b) is ${leaves.length.toLocaleString('en')} small values (${MB(leaves.reduce((s, l) => s + l.length, 0))} of plaintext), so its floor is the per-value cost of AES-GCM, not the bulk rate. The floor below does only the cryptography of (b) (AES-GCM per value with sops's 32-byte IVs, base64, SHA-512 over the plaintexts for the MAC), with no parsing, tree walking or emitting:\n\n| (b) cryptography only | Decrypt, ms | sops-ts (b) ÷ this | Encrypt, ms | sops-ts (b) ÷ this |\n|---|--:|--:|--:|--:|\n`;
  for (const name of new Set([...Object.keys(floors.decrypt), ...Object.keys(floors.encrypt)])) {
    const d = floors.decrypt[name];
    const e = floors.encrypt[name];
    md += `| ${name} | ${fmtMs(d)} | ${d && tsB.decrypt ? fmtRatio(tsB.decrypt / d) : ''} | ${fmtMs(e)} | ${e && tsB.encrypt ? fmtRatio(tsB.encrypt / e) : ''} |\n`;
  }
  md += `\nsops-ts library on (b): decrypt ${fmtMs(tsB.decrypt)} ms, encrypt ${fmtMs(tsB.encrypt)} ms (from the (b) table).\n`;
  emit(md);
}

// ---------------------------------------------------------------- output

machine.loadAverageAtEnd = os.loadavg().map((x) => +x.toFixed(2));
results.seconds = Math.round((performance.now() - t0Run) / 1000);
emit(`Load average at the end: ${machine.loadAverageAtEnd.join(', ')}. Whole run: ${results.seconds} s.\n`);
writeFileSync(join(BENCH, 'results.json'), JSON.stringify(results, (k, v) => (k === 'tree' ? undefined : v), 2) + '\n');
log('wrote bench/results.json');
if (argv.has('--write-docs')) {
  const doc = join(ROOT, 'docs/performance.md');
  const text = readFileSync(doc, 'utf8');
  const begin = '<!-- bench:begin -->';
  const end = '<!-- bench:end -->';
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  if (i < 0 || j < i) log(`docs/performance.md has no ${begin} … ${end} markers; not written`);
  else {
    writeFileSync(doc, text.slice(0, i + begin.length) + '\n\n' + out.join('\n') + '\n' + text.slice(j));
    log('wrote the tables into docs/performance.md');
  }
}
if (argv.has('--keep')) log(`inputs kept in ${TMP}`);
else rmSync(TMP, { recursive: true, force: true });
