// Bundle the CLI into one ES module (dist/cli.mjs) so `sops-ts decrypt` does
// not pay for resolving and compiling ~80 modules at every start. The library
// entry points stay unbundled (dist/**), for tree shaking by users' bundlers.
// Optional peers (openpgp, cloud SDKs) stay external: loaded only when used.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: 'dist/cli.mjs',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  legalComments: 'linked',
  // re2js and typage are dependencies loaded only for what needs them
  // (a regex outside the translated subset; SSH and plugin identities).
  external: ['openpgp', '@aws-sdk/*', '@google-cloud/*', '@azure/*', 'google-auth-library', 're2js', 'age-encryption'],
  // CommonJS dependencies call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __sopsTsRequire } from 'node:module'; const require = __sopsTsRequire(import.meta.url);" },
  logLevel: 'warning',
});
