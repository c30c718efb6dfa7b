// @ts-check
/**
 * The Texts matrix view's frame time while panning a long text in Chromium (issue 12: goal ≤ 16 ms).
 *
 *   cd app/frontend && npm run build && cd ../.. && node bench/bench_texts_matrix.mjs [TOKENS] [MOVES] [BEFORE_DIST]
 *
 * Builds the Texts fixture with one TOKENS-token text (default 32,768; make_text_fixture.py --long),
 * serves the built app with the real API, opens the matrix in headless Chromium (Debian's, as the
 * browser tests) and, at three zoom levels (the fitted view, ×16 and ×256 about the middle), drags
 * the canvas MOVES times (default 300) with the mouse. Each draw records its own duration (the
 * canvas's data-frame-ms: clear, every cached tile of the level and the coarser levels under it);
 * tiles still loading are drawn from the coarser cache, never waited for. Reports per zoom the
 * median, p95 and max draw time; then drags once more by one synthetic pointer move per animation
 * frame (MOVES frames, in the page) and reports the intervals between frames (draw + raster + composite).
 *
 * Both tile decoders run side by side in the one run: `worker` (the app's default: float16 → colours
 * in a Web Worker) and `main` (forced with window.SSL_ATTENTION_MATRIX_DECODE = 'main': the same
 * pipeline decoding on the main thread, as before issue 12's worker). Each round opens a fresh
 * browser context (its own HTTP cache) and the rounds go main, worker, worker, main (ABBA), so
 * neither gains from the server's warm caches; a mode's samples of its two rounds are pooled.
 * With BEFORE_DIST (another build of the app, e.g. of the commit before the worker) a second server
 * serves it from the same store and its rounds `before` go first and last: before, main, worker,
 * worker, main, before.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { FRONTEND, cleanup, launchBrowser, python, startServer, tempDir } from '../app/frontend/e2e/harness.mjs';

const TOKENS = Number(process.argv[2] ?? 32768);
const MOVES = Number(process.argv[3] ?? 300);
const BEFORE_DIST = process.argv[4];

const dir = tempDir('bench-texts-matrix-');
const built = spawnSync(python(), [join(FRONTEND, 'e2e', 'make_text_fixture.py'), dir, '--long', String(TOKENS), '--no-precompute'], { encoding: 'utf8' });
if (built.status !== 0) throw new Error(built.stderr);
const paths = JSON.parse(built.stdout.trim().split('\n').at(-1) ?? '{}');
const server = await startServer(paths);
const before = BEFORE_DIST === undefined ? null : await startServer(paths, { dist: BEFORE_DIST });
const browser = await launchBrowser();
const ORDER = before === null ? ['main', 'worker', 'worker', 'main'] : ['before', 'main', 'worker', 'worker', 'main', 'before'];
/** @type {Map<string, {block: string | null, times: number[], intervals: number[]}>} */
const samples = new Map();
const loadBefore = loadavg();
try {
  for (const mode of ORDER) await round(mode);
} finally {
  await browser.close();
  await server.stop();
  await before?.stop();
  cleanup(dir);
}
const loadAfter = loadavg();

/** One page in a fresh context, decoding tiles in `mode`; its samples are added to `samples`. */
async function round(/** @type {string} */ mode) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  if (mode === 'main') await page.addInitScript(() => (/** @type {any} */ (window).SSL_ATTENTION_MATRIX_DECODE = 'main'));
  await page.goto(`${(mode === 'before' ? before ?? server : server).url}/text?model=long_lm&open=long-${TOKENS}&view=matrix`);
  await page.waitForSelector('[data-testid="token-matrix"][data-frame-ms]');
  const where = await page.getAttribute('[data-testid="token-matrix"]', 'data-decode');
  if (where !== (mode === 'before' ? null : mode)) throw new Error(`asked for ${mode} decoding, the page decodes in ${where}`);
  await page.evaluate(() => {
    const canvas = /** @type {HTMLElement} */ (document.querySelector('[data-testid="token-matrix"]'));
    /** @type {any} */ (window).__draws = [];
    new MutationObserver(() => /** @type {any} */ (window).__draws.push([performance.now(), Number(canvas.dataset.frameMs)])).observe(canvas, {
      attributes: true,
      attributeFilter: ['data-frame-ms'],
    });
  });
  const box = await (await page.$('[data-testid="token-matrix"]'))?.boundingBox();
  if (!box) throw new Error('no canvas');
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  for (const [label, zoomSteps] of [['fitted', 0], ['×16', 4], ['×256', 8]]) {
    await page.click('.token-matrix-bar button'); // Fit
    await page.mouse.move(cx, cy);
    for (let i = 0; i < Number(zoomSteps); i++) {
      await page.mouse.wheel(0, -462); // ×2 a step (exp(462 × 0.0015))
      await page.waitForTimeout(50);
    }
    await page.waitForTimeout(1500); // the level's first tiles
    await page.evaluate(() => (/** @type {any} */ (window).__draws = []));
    await page.mouse.down();
    for (let i = 0; i < MOVES; i++) {
      const angle = (i / MOVES) * 4 * Math.PI;
      await page.mouse.move(cx + 150 * Math.sin(angle), cy + 120 * Math.sin(angle / 2));
    }
    await page.mouse.up();
    const draws = /** @type {[number, number][]} */ (await page.evaluate(() => /** @type {any} */ (window).__draws));
    // In-page: one drag step per animation frame for MOVES frames (no CDP round trip between them);
    // the interval between frames includes the draw, the canvas raster and compositing.
    const intervals = /** @type {number[]} */ (
      await page.evaluate(
        ([moves, x, y]) =>
          new Promise((resolve) => {
            const canvas = /** @type {HTMLElement} */ (document.querySelector('[data-testid="token-matrix"]'));
            const fire = (/** @type {string} */ type, /** @type {number} */ px, /** @type {number} */ py) =>
              canvas.dispatchEvent(new PointerEvent(type, { clientX: px, clientY: py, buttons: 1, bubbles: true, pointerId: 1 }));
            fire('pointerdown', x, y);
            /** @type {number[]} */ const stamps = [];
            const step = (/** @type {number} */ t) => {
              stamps.push(t);
              const i = stamps.length;
              if (i > moves) {
                fire('pointerup', x, y);
                resolve(stamps.slice(1).map((s, k) => s - stamps[k]));
                return;
              }
              const angle = (i / moves) * 4 * Math.PI;
              fire('pointermove', x + 150 * Math.sin(angle), y + 120 * Math.sin(angle / 2));
              requestAnimationFrame(step);
            };
            requestAnimationFrame(step);
          }),
        [MOVES, cx, cy],
      )
    ).sort((a, b) => a - b);
    const block = await page.getAttribute('[data-testid="token-matrix"]', 'data-block');
    const key = `${label}|${mode}`;
    const entry = samples.get(key) ?? { block, times: [], intervals: [] };
    entry.times.push(...draws.map((d) => d[1]));
    entry.intervals.push(...intervals);
    samples.set(key, entry);
  }
  await page.context().close();
}

const at = (/** @type {number[]} */ xs, /** @type {number} */ q) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;
const fmt = (/** @type {number[]} */ loads) => loads.map((l) => l.toFixed(2)).join(' ');
console.log(
  `${TOKENS.toLocaleString('en')}-token text, ${MOVES} mouse moves + ${MOVES} rAF frames per zoom and round, rounds ${ORDER.join(', ')}, ` +
    `headless Chromium, 560 × 560 canvas; load average before ${fmt(loadBefore)}, after ${fmt(loadAfter)}.\n`,
);
console.log('| zoom | decode | block | draws (mouse) | draw p50 ms | draw p95 ms | draw max ms | frame p50 ms (rAF drag) | frame p95 ms | frame max ms | frames > 25 ms |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [key, r] of samples) {
  const [label, mode] = key.split('|');
  const times = [...r.times].sort((a, b) => a - b);
  const frames = [...r.intervals].sort((a, b) => a - b);
  const slow = frames.filter((f) => f > 16.7 * 1.5).length;
  console.log(
    `| ${label} | ${mode} | ${r.block} | ${times.length} | ${at(times, 0.5).toFixed(2)} | ${at(times, 0.95).toFixed(2)} | ${(times.at(-1) ?? NaN).toFixed(2)} | ` +
      `${at(frames, 0.5).toFixed(1)} | ${at(frames, 0.95).toFixed(1)} | ${(frames.at(-1) ?? NaN).toFixed(1)} | ${slow} of ${frames.length} |`,
  );
}
