// Bundle the CLI into one CommonJS file (dist/cli.cjs) so `sops-ts decrypt`
// does not pay for resolving and compiling ~90 modules at every start, nor
// for Node's ES module loader (~10 ms of a start that aims to be within
// 25 ms of a bare `node`). bin/sops-ts.cjs loads it with V8's code cache.
// The library entry points stay unbundled ES modules (dist/**), for tree
// shaking by users' bundlers. Optional peers (openpgp, cloud SDKs) stay
// external: loaded with import() only when used.
import { readFile } from 'node:fs/promises';
import { build } from 'esbuild';

/**
 * `import()` of what stays outside the bundle (Node built-ins, the optional
 * peers, typage, re2js) becomes `require()`: bin/sops-ts.cjs runs the bundle
 * through vm.Script for V8's code cache, where `import()` would need Node's
 * experimental vm loader hook (and its warning on stderr). Node >= 20.19
 * can require() ES modules, so the ESM-only packages load this way too.
 */
const requireExternals = {
  name: 'require-externals',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const contents = text.replace(/(?<!typeof )\bimport\((?=(['"])(?:node:|openpgp|age-encryption|re2js)|name\))/g, '__sopsTsImport(');
      return { contents, loader: 'ts' };
    });
  },
};

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  minify: true,
  legalComments: 'linked',
  // re2js and typage are dependencies loaded only for what needs them
  // (a regex outside the translated subset; SSH and plugin identities).
  external: ['openpgp', '@aws-sdk/*', '@google-cloud/*', '@azure/*', 'google-auth-library', 're2js', 'age-encryption'],
  // The sources are ES modules: `import.meta.url` (for createRequire) is the bundle's own URL.
  define: { 'import.meta.url': '__sopsTsModuleUrl' },
  banner: {
    js: "const __sopsTsModuleUrl = require('node:url').pathToFileURL(__filename).href;\nconst __sopsTsImport = (s) => Promise.resolve().then(() => require(s));",
  },
  plugins: [requireExternals],
  logLevel: 'warning',
});
