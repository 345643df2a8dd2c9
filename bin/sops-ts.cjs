#!/usr/bin/env node
// The `sops-ts` command: a thin shim over the bundled CLI (dist/cli.cjs, built
// by scripts/build-cli.mjs). CommonJS, so a start does not pay for Node's ES
// module loader.
//
// Compiled code is kept between runs, as Node's own compile cache does
// (module.enableCompileCache, Node >= 22.1, used where it exists): on Node 20
// the bundle is compiled through vm.Script with V8's code cache, read from
// and written to a directory of this user's (created 0700; not used if
// another user owns it or can write to it): $SOPS_TS_COMPILE_CACHE, else
// sops-ts/compile-cache in the user cache directory ($XDG_CACHE_HOME or
// ~/.cache; ~/Library/Caches on macOS; %LOCALAPPDATA%). The cache
// is keyed by the bundle's size, modification time and the Node version;
// V8 rejects data made by another V8, and a rejected or missing entry is
// rewritten after the command. NODE_DISABLE_COMPILE_CACHE=1 turns it off.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');

const BUNDLE = path.join(__dirname, '..', 'dist', 'cli.cjs');

/** The user's cache directory for sops-ts (XDG on Linux, as Go's os.UserCacheDir), or undefined. */
function userCacheDir() {
  const env = process.env;
  if (env.SOPS_TS_COMPILE_CACHE) return env.SOPS_TS_COMPILE_CACHE;
  if (process.platform === 'win32') return env.LOCALAPPDATA ? path.join(env.LOCALAPPDATA, 'sops-ts', 'compile-cache') : undefined;
  if (!env.HOME && !(process.platform !== 'darwin' && env.XDG_CACHE_HOME)) return undefined;
  const base = process.platform === 'darwin' ? path.join(env.HOME, 'Library', 'Caches') : env.XDG_CACHE_HOME || path.join(env.HOME, '.cache');
  return path.join(base, 'sops-ts', 'compile-cache');
}

/** A cache directory only this user can write, or undefined. */
function cacheDir() {
  if (process.env.NODE_DISABLE_COMPILE_CACHE) return undefined;
  const dir = userCacheDir();
  if (dir === undefined || !path.isAbsolute(dir)) return undefined;
  const uid = typeof process.getuid === 'function' ? process.getuid() : undefined;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(dir);
    // Code cache is code: never read one another user could have written.
    if (!st.isDirectory() || (uid !== undefined && (st.uid !== uid || (st.mode & 0o022) !== 0))) return undefined;
    return dir;
  } catch {
    return undefined;
  }
}

/** Load the bundle; returns its exports and a function that saves the code cache if it should be. */
function load() {
  if (typeof Module.enableCompileCache === 'function') {
    if (!process.env.NODE_DISABLE_COMPILE_CACHE) Module.enableCompileCache();
    return { cli: require(BUNDLE), save() {} };
  }
  const dir = cacheDir();
  if (dir === undefined) return { cli: require(BUNDLE), save() {} };
  const vm = require('node:vm');
  const source = fs.readFileSync(BUNDLE, 'utf8');
  const st = fs.statSync(BUNDLE);
  const entry = path.join(dir, `cli-${st.size}-${Math.trunc(st.mtimeMs)}-${process.version}-${process.arch}.v8cache`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(entry);
  } catch {
    cachedData = undefined;
  }
  // No dynamic import() in the bundle (scripts/build-cli.mjs turns them into
  // require()), so no vm loader hook is needed.
  const script = new vm.Script(Module.wrap(source), { filename: BUNDLE, cachedData });
  const mod = { exports: {}, filename: BUNDLE, id: BUNDLE, loaded: false };
  script.runInThisContext()(mod.exports, Module.createRequire(BUNDLE), mod, BUNDLE, path.dirname(BUNDLE));
  const fresh = cachedData === undefined || script.cachedDataRejected;
  return {
    cli: mod.exports,
    save() {
      if (!fresh) return;
      // After the command ran, so the functions it compiled are in the cache.
      const tmp = `${entry}.${process.pid}.tmp`;
      try {
        fs.writeFileSync(tmp, script.createCachedData(), { mode: 0o600 });
        fs.renameSync(tmp, entry);
        // Entries of other builds (an upgrade, another checkout) written more than a week ago go (an active one is rewritten on its next run).
        const week = Date.now() - 7 * 24 * 3600 * 1000;
        for (const name of fs.readdirSync(dir)) {
          const other = path.join(dir, name);
          if (/^cli-.*\.v8cache$/.test(name) && other !== entry && fs.statSync(other).mtimeMs < week) fs.rmSync(other, { force: true });
        }
      } catch {
        fs.rmSync(tmp, { force: true });
      }
    },
  };
}

const { cli, save } = load();
cli
  .main(process.argv.slice(2), {
    stdout: (d) => process.stdout.write(d),
    stderr: (d) => process.stderr.write(d),
    env: process.env,
    cwd: process.cwd(),
    stdin: async () => {
      const chunks = [];
      for await (const c of process.stdin) chunks.push(c);
      return new Uint8Array(Buffer.concat(chunks));
    },
  })
  .then((code) => {
    process.exitCode = code;
    save();
  });
