// @ts-check
/**
 * What colouring one matrix tile costs the thread that does it (issue 12): a 256 × 256 float16 tile
 * → RGBA pixels, the way the app did it before the tile worker (decodeFloat16 to floats, then
 * tilePixels: log10 per cell) against tileRgba (one table lookup per cell, what the worker and the
 * main-thread fallback now run). Node, the app's own TypeScript bundled with esbuild; the two
 * interleaved over ROUNDS rounds of TILES tiles (random attention-like values: a few large, most
 * tiny, the upper triangle zero), medians per tile.
 *
 *   node bench/bench_tile_decode.mjs [TILES] [ROUNDS]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FRONTEND } from '../app/frontend/e2e/harness.mjs';

const TILES = Number(process.argv[2] ?? 40);
const ROUNDS = Number(process.argv[3] ?? 7);
const esbuild = createRequire(join(FRONTEND, 'package.json'))('esbuild');

const dir = mkdtempSync(join(tmpdir(), 'bench-tile-decode-'));
const entry = join(dir, 'entry.ts');
writeFileSync(
  entry,
  ['float16', 'matrixTiles', 'colormaps', 'tileDecode'].map((m) => `export * from ${JSON.stringify(join(FRONTEND, 'src', 'lib', m))};`).join('\n'),
);
const out = join(dir, 'lib.mjs');
await esbuild.build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'neutral', outfile: out, logLevel: 'error' });
const lib = await import(pathToFileURL(out).href);
rmSync(dir, { recursive: true, force: true });

const N = 256;
let seed = 12345;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
/** A causal tile of row-normalised attention-like values as little-endian float16 bytes. */
function tile() {
  const values = new Float64Array(N * N);
  for (let q = 0; q < N; q++) {
    let sum = 0;
    for (let k = 0; k <= q; k++) sum += values[q * N + k] = random() ** 8;
    for (let k = 0; k <= q; k++) values[q * N + k] /= sum;
  }
  return /** @type {ArrayBuffer} */ (lib.encodeFloat16(values).buffer);
}
const tiles = Array.from({ length: TILES }, tile);
const lut = lib.colormapLut('magma');
const ways = {
  'before: decodeFloat16 + tilePixels': (/** @type {ArrayBuffer} */ b) => lib.tilePixels(lib.decodeFloat16(b), N, N, lut),
  'now: tileRgba (table lookup)': (/** @type {ArrayBuffer} */ b) => lib.tileRgba(b, N, N, 'magma'),
};
// warm up (and build each way's tables) before timing
for (const f of Object.values(ways)) for (const b of tiles.slice(0, 3)) f(b);
/** @type {Record<string, number[]>} */
const perTile = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
let check = 0;
for (let r = 0; r < ROUNDS; r++) {
  const order = r % 2 === 0 ? Object.keys(ways) : Object.keys(ways).reverse();
  for (const name of order) {
    const f = ways[/** @type {keyof typeof ways} */ (name)];
    const started = performance.now();
    for (const b of tiles) check += f(b)[4 * (N * N - 1)];
    perTile[name]?.push((performance.now() - started) / TILES);
  }
}
const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const base = median(perTile['before: decodeFloat16 + tilePixels'] ?? []);
console.log(`${TILES} tiles of 256 × 256 × ${ROUNDS} rounds (interleaved), Node ${process.version}; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (checksum ${check}).\n`);
console.log('| colouring | ms per tile (median) | × before |');
console.log('|---|---:|---:|');
for (const [name, times] of Object.entries(perTile)) console.log(`| ${name} | ${median(times).toFixed(2)} | ${(median(times) / base).toFixed(2)} |`);
