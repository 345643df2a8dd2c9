// The core is I/O-free and web-standard: no `node:` imports and no `process`
// outside src/node and src/cli (tsconfig.core.json also type-checks it
// without Node's types). The package's exports resolve to built files.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers/sops.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('package boundaries', () => {
  const src = join(REPO_ROOT, 'src');
  const core = files(src).filter((f) => !/^(node|cli)[/\\]/.test(relative(src, f)));

  it('core files import nothing from node: and do not touch process', () => {
    expect(core.length).toBeGreaterThan(10);
    for (const f of core) {
      const text = readFileSync(f, 'utf8');
      expect({ f, node: /from ['"]node:|require\(/.test(text) }).toEqual({ f, node: false });
      expect({ f, process: /\bprocess\./.test(text) }).toEqual({ f, process: false });
    }
  });

  it('every export of package.json points at a built file with types', () => {
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { exports: Record<string, string | { types: string; default: string }> };
    for (const [name, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue;
      expect(Object.keys(target)[0], name).toBe('types');
      expect(statSync(join(REPO_ROOT, target.default)).isFile(), name).toBe(true);
      expect(statSync(join(REPO_ROOT, target.types)).isFile(), name).toBe(true);
    }
  });
});

describe('entry points bundle only what they name', () => {
  // esbuild's metafile lists every source file a bundle of the entry pulls in.
  async function inputsOf(entry: string): Promise<string[]> {
    const { build } = await import('esbuild');
    const r = await build({ entryPoints: [join(REPO_ROOT, entry)], bundle: true, write: false, metafile: true, platform: 'browser', format: 'esm', logLevel: 'silent', external: ['openpgp'] });
    return Object.keys(r.metafile.inputs);
  }

  it('the root entry pulls in no PGP, KMS or Node code', async () => {
    const inputs = await inputsOf('src/index.ts');
    expect(inputs.some((f) => f.endsWith('src/sops.ts'))).toBe(true);
    for (const f of inputs) {
      expect({ f, bleed: /src\/(node|cli)\/|keysources\/(pgp|kms|gcp-kms|azure-kv|hc-vault|hckms)\.ts|openpgp|@aws-sdk|@azure|google-auth/.test(f) }).toEqual({ f, bleed: false });
    }
  });

  it.each(['src/keysources/pgp.ts', 'src/keysources/kms.ts', 'src/keysources/gcp-kms.ts', 'src/keysources/azure-kv.ts', 'src/keysources/hc-vault.ts', 'src/keysources/hckms.ts'])('%s bundles for browsers without Node code', async (entry) => {
    const inputs = await inputsOf(entry);
    for (const f of inputs) expect({ f, node: /src\/(node|cli)\//.test(f) }).toEqual({ f, node: false });
  });
});
