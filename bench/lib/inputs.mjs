// Deterministic benchmark inputs: the same seed gives the same plaintext
// bytes on every machine, so runs are comparable across machines and commits.
// Only the encryption (fresh data key and IVs) differs between runs; the
// sizes of the encrypted files do not.

/**
 * A small seeded PRNG (mulberry32): fast, 32-bit state, good enough to make
 * varied but reproducible test data. Not for anything secret.
 * @param {number} seed
 * @returns {() => number} uniform in [0, 1)
 */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * A random token that YAML reads as a plain string: it starts with a letter
 * and has at least 8 characters, so it is never `true`, `null`, a number…
 */
function token(rand, min, max) {
  const n = min + Math.floor(rand() * (max - min + 1));
  let s = ALNUM[Math.floor(rand() * 52)];
  for (let i = 1; i < n; i++) s += ALNUM[Math.floor(rand() * ALNUM.length)];
  return s;
}

/**
 * A nested configuration tree with exactly `n` leaf values: sections of 100
 * services of 10 leaves. Leaves are mostly strings (16–64 characters, like
 * tokens and passwords), with integers, booleans and short lists, as in a
 * real values file. Encrypted by sops, 10,000 values make about 2 MB.
 * @param {number} n number of leaf values (list items count one each)
 * @param {number} seed
 */
export function nestedTree(n, seed = 1) {
  const rand = prng(seed);
  const root = {};
  let k = 0;
  while (k < n) {
    const section = `section_${String(Math.floor(k / 1000)).padStart(3, '0')}`;
    const service = `service_${String(Math.floor(k / 10) % 100).padStart(2, '0')}`;
    const sec = (root[section] ??= {});
    const svc = (sec[service] ??= {});
    const leaf = k % 10;
    const left = n - k;
    if (leaf === 3) {
      svc.replicas = 1 + Math.floor(rand() * 64);
      k++;
    } else if (leaf === 4) {
      svc.enabled = rand() < 0.5;
      k++;
    } else if (leaf === 5 && left >= 3) {
      svc.hosts = [0, 1, 2].map(() => `${token(rand, 8, 16).toLowerCase()}.example.internal`);
      k += 3;
    } else {
      svc[`secret_${leaf}`] = token(rand, 16, 64);
      k++;
    }
  }
  return root;
}

/** YAML as sops writes it (4-space indent, lists indented under their key), for plain trees of the shapes above. */
export function toYaml(value, indent = '') {
  let out = '';
  for (const [key, v] of Object.entries(value)) {
    if (Array.isArray(v)) {
      out += `${indent}${key}:\n`;
      for (const item of v) out += `${indent}    - ${item}\n`;
    } else if (v !== null && typeof v === 'object') {
      out += `${indent}${key}:\n` + toYaml(v, indent + '    ');
    } else {
      out += `${indent}${key}: ${v}\n`;
    }
  }
  return out;
}

/** JSON as sops writes it (4-space indent). */
export function toJson(value) {
  return JSON.stringify(value, null, 4) + '\n';
}

/**
 * A typical Kubernetes Secret: metadata in the clear, five `stringData`
 * values (a database URL, passwords, an API token, a TLS-ish blob), encrypted
 * with `--encrypted-regex '^(data|stringData)$'` as the sops docs advise.
 * @param {number} seed
 */
export function kubernetesSecret(seed = 7) {
  const rand = prng(seed);
  const name = `app-${token(rand, 8, 8).toLowerCase()}`;
  return (
    'apiVersion: v1\n' +
    'kind: Secret\n' +
    'metadata:\n' +
    `    name: ${name}\n` +
    '    namespace: production\n' +
    '    labels:\n' +
    `        app.kubernetes.io/name: ${name}\n` +
    'type: Opaque\n' +
    'stringData:\n' +
    `    DATABASE_URL: postgres://app:${token(rand, 24, 24)}@db.production.svc:5432/app\n` +
    `    REDIS_PASSWORD: ${token(rand, 32, 32)}\n` +
    `    API_TOKEN: ${token(rand, 40, 40)}\n` +
    `    SESSION_SECRET: ${token(rand, 64, 64)}\n` +
    `    SMTP_PASSWORD: ${token(rand, 20, 20)}\n`
  );
}

/** The selection rule sops users put on Kubernetes Secrets. */
export const K8S_ENCRYPTED_REGEX = '^(data|stringData)$';
