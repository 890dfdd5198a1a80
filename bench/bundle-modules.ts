/**
 * Where the main entry's bytes go, module by module: the same build as
 * scenario 7 (vite, minified, dependencies bundled, NODE_ENV=production) with
 * a source map; every byte of the minified chunks is charged to the source
 * module its mapping points at (as source-map-explorer does). A module's
 * gzip share is its share of the minified bytes times the chunk set's gzip
 * size (gzip is not additive, so a module gzipped alone would not say what it
 * adds). Prints a markdown table: `npx tsx bench/bundle-modules.ts`.
 */
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { eachMapping, TraceMap } from '@jridgewell/trace-mapping';
import { build, type Rolldown } from 'vite';

const ENTRY =
  process.env.BUNDLE_ENTRY ?? fileURLToPath(new URL('./bundle/sessionlog.ts', import.meta.url));

type Chunk = Rolldown.OutputChunk;

/** Minified bytes of `chunk` per source module (root-relative path). */
function bytesPerModule(chunk: Chunk): Map<string, number> {
  const out = new Map<string, number>();
  const add = (source: string, n: number) => out.set(source, (out.get(source) ?? 0) + n);
  if (!chunk.map) throw new Error(`no source map for ${chunk.fileName}`);
  const map = new TraceMap(chunk.map as unknown as ConstructorParameters<typeof TraceMap>[0]);
  // Offsets of each line's start: the code is one stream, and a mapping's
  // segment runs to the next mapping, across line breaks.
  const lineStart = [0];
  for (let i = 0; i < chunk.code.length; i++) if (chunk.code[i] === '\n') lineStart.push(i + 1);
  const starts: Array<{ at: number; source: string }> = [];
  eachMapping(map, (m) => {
    starts.push({
      at: (lineStart[m.generatedLine - 1] ?? 0) + m.generatedColumn,
      source: m.source ? m.source.replace(/^(\.\.\/)+/, '') : '(no source)',
    });
  });
  starts.sort((a, b) => a.at - b.at);
  add('(no source)', starts[0]?.at ?? chunk.code.length);
  starts.forEach((s, i) => {
    add(s.source, (starts[i + 1]?.at ?? chunk.code.length) - s.at);
  });
  return out;
}

async function main() {
  const result = (await build({
    configFile: false,
    logLevel: 'silent',
    mode: 'production',
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      write: false,
      minify: true,
      target: 'es2022',
      sourcemap: true,
      reportCompressedSize: false,
      lib: { entry: ENTRY, formats: ['es'], fileName: 'bundle' },
    },
  })) as Rolldown.RolldownOutput | Rolldown.RolldownOutput[];
  const chunks = (Array.isArray(result) ? result : [result])
    .flatMap((o) => o.output)
    .filter((c): c is Chunk => c.type === 'chunk');
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const initial = new Set<Chunk>();
  const visit = (c: Chunk | undefined) => {
    if (!c || initial.has(c)) return;
    initial.add(c);
    for (const name of c.imports) visit(byName.get(name));
  };
  for (const c of chunks) if (c.isEntry) visit(c);

  const table = (title: string, set: Chunk[]) => {
    const code = set.map((c) => c.code).join('\n');
    const gzip = gzipSync(code, { level: 9 }).length;
    const minified = Buffer.byteLength(code);
    const bytes = new Map<string, number>();
    for (const c of set)
      for (const [k, v] of bytesPerModule(c)) bytes.set(k, (bytes.get(k) ?? 0) + v);
    const rows = [...bytes].sort((a, b) => b[1] - a[1]);
    const kB = (n: number) => (n / 1000).toFixed(2);
    console.log(`\n**${title}**: ${kB(minified)} kB minified, ${kB(gzip)} kB min+gzip\n`);
    console.log('| module | minified | share | min+gzip share |');
    console.log('|---|---:|---:|---:|');
    for (const [name, n] of rows) {
      const share = n / minified;
      console.log(
        `| ${name.replace(/^node_modules\//, '')} | ${kB(n)} kB | ${(share * 100).toFixed(1)}% | ${kB(share * gzip)} kB |`,
      );
    }
  };
  table('Up front (entry + static imports)', [...initial]);
  const lazy = chunks.filter((c) => !initial.has(c));
  if (lazy.length > 0) table('Loaded later (dynamic imports)', lazy);
}

await main();
