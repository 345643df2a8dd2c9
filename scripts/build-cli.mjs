// Bundle the CLI into one CommonJS file (dist/cli.cjs) so `sops-ts decrypt`
// does not pay for resolving and compiling ~90 modules at every start, nor
// for Node's ES module loader (~10 ms of a start that aims to be within
// 25 ms of a bare `node`). bin/sops-ts.cjs loads it with V8's code cache.
// The library entry points stay unbundled ES modules (dist/**), for tree
// shaking by users' bundlers. Optional peers (openpgp, cloud SDKs) stay
// external: loaded with import() only when used.
import { build } from 'esbuild';

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
  banner: { js: "const __sopsTsModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
});
