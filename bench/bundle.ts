/**
 * Scenario 7: bundle size. Each entry in bench/bundle/ is built by vite
 * (rolldown) as an ES module, minified, with every dependency bundled in and
 * `process.env.NODE_ENV` set to production (as an app build does), then
 * gzipped with node:zlib at level 9.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Rolldown } from 'vite';

export interface BundleSize {
  name: string;
  /** What the entry contains. */
  what: string;
  minified: number;
  gzip: number;
}

export const BUNDLES: ReadonlyArray<{ name: string; file: string; what: string }> = [
  {
    name: 'sessionlog',
    file: 'sessionlog.ts',
    what: 'main entry + idb, @noble/hashes (blake2b)',
  },
  { name: 'idb', file: 'idb.ts', what: 'whole API' },
  { name: 'Dexie', file: 'dexie.ts', what: 'whole API' },
  {
    name: 'TinyBase',
    file: 'tinybase.ts',
    what: 'createMergeableStore + createIndexedDbPersister',
  },
];

function chunksOf(
  output: Rolldown.RolldownOutput | Rolldown.RolldownOutput[] | unknown,
): Array<{ type: string; code?: string }> {
  const outputs = (Array.isArray(output) ? output : [output]) as Rolldown.RolldownOutput[];
  return outputs.flatMap((o) => o.output as Array<{ type: string; code?: string }>);
}

async function buildSize(
  file: string,
  external: readonly string[] = [],
): Promise<{ minified: number; gzip: number }> {
  const entry = fileURLToPath(new URL(`./bundle/${file}`, import.meta.url));
  const isExternal = (id: string) => external.some((d) => id === d || id.startsWith(`${d}/`));
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    mode: 'production',
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      write: false,
      minify: true,
      target: 'es2022',
      sourcemap: false,
      reportCompressedSize: false,
      lib: { entry, formats: ['es'], fileName: 'bundle' },
      rolldownOptions: { external: isExternal },
    },
  });
  const code = chunksOf(result)
    .filter((c) => c.type === 'chunk')
    .map((c) => c.code ?? '')
    .join('\n');
  return { minified: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length };
}

export async function measureBundles(): Promise<BundleSize[]> {
  const out: BundleSize[] = [];
  for (const b of BUNDLES) {
    out.push({ name: b.name, what: b.what, ...(await buildSize(b.file)) });
  }
  return out;
}

/**
 * Where sessionlog's bytes come from: its own code (every dependency left
 * external) and each dependency's share (the full bundle less one built with
 * that dependency external). Shares overlap nothing, but gzip is not
 * additive, so they do not sum exactly to the whole.
 */
export async function measureSessionlogParts(): Promise<Array<{ name: string; gzip: number }>> {
  const pkg = JSON.parse(
    readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8'),
  ) as { dependencies?: Record<string, string> };
  const deps = Object.keys(pkg.dependencies ?? {});
  const full = await buildSize('sessionlog.ts');
  const own = await buildSize('sessionlog.ts', deps);
  const out = [
    { name: `all: sessionlog with ${deps.join(', ')}`, gzip: full.gzip },
    { name: "sessionlog's own code (dependencies external)", gzip: own.gzip },
  ];
  for (const dep of deps) {
    const without = await buildSize('sessionlog.ts', [dep]);
    out.push({
      name: `share of ${dep} (all − built with it external)`,
      gzip: full.gzip - without.gzip,
    });
  }
  return out;
}
