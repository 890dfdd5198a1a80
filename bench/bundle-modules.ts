/**
 * Where the main entry's bytes go, module by module: the same build as
 * scenario 7 (vite, minified, dependencies bundled, NODE_ENV=production) with
 * a source map; every byte of the minified chunks is charged to the source
 * module its mapping points at (as source-map-explorer does). A module's
 * gzip share is its share of the minified bytes times the chunk set's gzip
 * size (gzip is not additive, so a module gzipped alone would not say what it
 * adds). Prints markdown tables: `npm run bench:bundle` (`BUNDLE_ENTRY=<path>`
 * measures another entry file).
 */
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { eachMapping, TraceMap } from '@jridgewell/trace-mapping';
import { buildChunks, type Chunk } from './bundle.js';

const ENTRY =
  process.env.BUNDLE_ENTRY ?? fileURLToPath(new URL('./bundle/sessionlog.ts', import.meta.url));

/** Minified bytes of `chunk` per source module (its path from the repository's root). */
function bytesPerModule(chunk: Chunk): Map<string, number> {
  const code = chunk.code ?? '';
  const out = new Map<string, number>();
  const add = (source: string, n: number) => out.set(source, (out.get(source) ?? 0) + n);
  if (!chunk.map) throw new Error(`no source map for ${chunk.fileName}`);
  const map = new TraceMap(chunk.map as unknown as ConstructorParameters<typeof TraceMap>[0]);
  // Offsets of each line's start: the code is one stream, and a mapping's
  // segment runs to the next mapping, across line breaks.
  const lineStart = [0];
  for (let i = 0; i < code.length; i++) if (code[i] === '\n') lineStart.push(i + 1);
  const starts: Array<{ at: number; source: string }> = [];
  eachMapping(map, (m) => {
    starts.push({
      at: (lineStart[m.generatedLine - 1] ?? 0) + m.generatedColumn,
      source: m.source ? m.source.replace(/^(\.\.\/)+/, '') : '(no source)',
    });
  });
  starts.sort((a, b) => a.at - b.at);
  add('(no source)', starts[0]?.at ?? code.length);
  starts.forEach((s, i) => {
    add(s.source, (starts[i + 1]?.at ?? code.length) - s.at);
  });
  return out;
}

async function main() {
  const { initial, lazy } = await buildChunks(ENTRY, [], true);
  const table = (title: string, set: Chunk[]) => {
    const code = set.map((c) => c.code ?? '').join('\n');
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
  table('Up front (entry + static imports)', initial);
  if (lazy.length > 0) table('Loaded later (dynamic imports)', lazy);
}

await main();
