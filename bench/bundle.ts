/**
 * Scenario 7: bundle size. Each entry in bench/bundle/ is built by vite
 * (rolldown) as an ES module, minified, with every dependency bundled in and
 * `process.env.NODE_ENV` set to production (as an app build does), then
 * gzipped with node:zlib at level 9. Minified as an app build minifies:
 * whitespace and comments too (`output.minify: true`). Vite's library mode
 * leaves them in an ES build (so that the app's bundler can still read the
 * pure annotations), which counted about 3.5 kB of the main entry's 31 kB
 * that no app ships.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Rolldown } from 'vite';

/** Peer dependencies of the subpath exports: the app brings them, so they stay out of every row. */
const PEERS = [
  'react',
  'react-dom',
  'ai',
  '@ai-sdk/react',
  '@assistant-ui/react',
  'assistant-stream',
];

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
  // Each subpath export on top of the main entry; the difference to the row above is what it adds.
  {
    name: 'sessionlog + /react',
    file: 'with-react.ts',
    what: 'main entry + hooks; react external',
  },
  {
    name: 'sessionlog + /ai-sdk',
    file: 'with-ai-sdk.ts',
    what: 'main entry + AI SDK mapping and transport; ai external',
  },
  {
    name: 'sessionlog + /assistant-ui',
    file: 'with-assistant-ui.ts',
    what: 'main entry + thread list and history adapters; react, @assistant-ui/react, assistant-stream external',
  },
  { name: 'Dexie', file: 'dexie.ts', what: 'whole API' },
  {
    name: 'TinyBase',
    file: 'tinybase.ts',
    what: 'createMergeableStore + createIndexedDbPersister',
  },
];

/** An output chunk of the build, as far as the sizes need it. */
export interface Chunk {
  type: string;
  fileName: string;
  code?: string;
  isEntry?: boolean;
  imports?: string[];
  /** The source map, when built with one. */
  map?: unknown;
}

function chunksOf(output: Rolldown.RolldownOutput | Rolldown.RolldownOutput[] | unknown): Chunk[] {
  const outputs = (Array.isArray(output) ? output : [output]) as Rolldown.RolldownOutput[];
  return outputs.flatMap((o) => o.output as unknown as Chunk[]).filter((c) => c.type === 'chunk');
}

/** Minified and gzipped sizes of `chunks` taken together. */
function sizeOf(chunks: readonly Chunk[]): { minified: number; gzip: number } {
  const code = chunks.map((c) => c.code ?? '').join('\n');
  return { minified: Buffer.byteLength(code), gzip: gzipSync(code, { level: 9 }).length };
}

/**
 * Builds `entry` (a path) as scenario 7 does; `initial` is what a page loads
 * up front (the entry chunk and the chunks it imports statically), `lazy` the
 * chunks it imports only when needed (`import()`: the journal's code, loaded
 * at the journal's check).
 */
export async function buildChunks(
  entry: string,
  external: readonly string[] = [],
  sourcemap = false,
): Promise<{ initial: Chunk[]; lazy: Chunk[] }> {
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
      // 'hidden': the map without a sourceMappingURL comment, so the code's size is the same.
      sourcemap: sourcemap ? 'hidden' : false,
      reportCompressedSize: false,
      lib: { entry, formats: ['es'], fileName: 'bundle' },
      // Library mode keeps whitespace in an ES build; an app build removes it: so does this.
      rolldownOptions: { external: isExternal, output: { minify: true } },
    },
  });
  const chunks = chunksOf(result);
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const initial = new Set<Chunk>();
  const visit = (chunk: Chunk | undefined) => {
    if (!chunk || initial.has(chunk)) return;
    initial.add(chunk);
    for (const name of chunk.imports ?? []) visit(byName.get(name));
  };
  for (const chunk of chunks) if (chunk.isEntry) visit(chunk);
  return { initial: [...initial], lazy: chunks.filter((c) => !initial.has(c)) };
}

/** Sizes of what a page loads up front and later when it imports bench/bundle/`file`. */
async function buildSizes(
  file: string,
  external: readonly string[] = [],
): Promise<{
  initial: { minified: number; gzip: number };
  lazy: { minified: number; gzip: number };
}> {
  const entry = fileURLToPath(new URL(`./bundle/${file}`, import.meta.url));
  const { initial, lazy } = await buildChunks(entry, external);
  return { initial: sizeOf(initial), lazy: sizeOf(lazy) };
}

/** What a page loads up front when it imports `file` (see {@link buildSizes}). */
async function buildSize(
  file: string,
  external: readonly string[] = [],
): Promise<{ minified: number; gzip: number }> {
  return (await buildSizes(file, external)).initial;
}

/**
 * Every entry of {@link BUNDLES} as a page loads it up front, and what the
 * main entry loads later (its lazy chunks) as a row of its own.
 */
export async function measureBundles(): Promise<BundleSize[]> {
  const out: BundleSize[] = [];
  for (const b of BUNDLES) {
    const { initial, lazy } = await buildSizes(b.file, PEERS);
    out.push({ name: b.name, what: b.what, ...initial });
    if (b.name === 'sessionlog' && lazy.minified > 0)
      out.push({
        name: 'sessionlog, loaded later',
        what: "the journal's code (probe, segments, journal), imported at its check: a second after open or at the first write",
        ...lazy,
      });
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
