// @ts-check
/**
 * Browser tests: the built app served by the real FastAPI server over a store precomputed with
 * tiny random checkpoints of every family (6×6 grid, 3 layers, 2 heads; SigLIP 4 heads; `mae`
 * with --weights random over the first three images; three images annotated and scored with
 * --metrics), plus a synthetic VLM `qwen2_5_vl` (random weights) on img_0 (two prompts), img_1 and
 * img_3: text maps on a 3×4 / 4×3 merged grid (3 layers × 2 heads), the vision tower's on 6×8 / 8×6
 * (2 layers × 3 heads), scored too (img_0 is annotated). Screenshots go to test-results/.
 *
 *   npm run test:e2e      (after `npm run build`; ./dev.sh test does both)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  buildFixture,
  canvasPixels,
  cleanup,
  launchBrowser,
  RESULTS,
  screenshot,
  startServer,
  tempDir,
} from './harness.mjs';

/** @typedef {import('playwright-core').Page} Page */

const VIEWPORT = { width: 1400, height: 900 };
const COALESCE_MS = 800; // > the store's COALESCE_MS (700)

/** @type {string} */ let fixtureDir;
/** @type {ReturnType<typeof buildFixture>} */ let paths;
/** @type {Awaited<ReturnType<typeof startServer>>} */ let server;
/** @type {Awaited<ReturnType<typeof launchBrowser>>} */ let browser;
/** @type {import('playwright-core').BrowserContext} */ let context;
/** @type {string[]} */ const pageErrors = [];

/** @param {string} path */
async function open(path) {
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`${path}: ${error.message}`));
  await page.goto(server.url + path);
  return page;
}

/** A heatmap that is drawn: grid-sized, opaque, more than one colour. */
async function drawnHeatmap(/** @type {Page} */ page, selector = '[data-testid="heatmap"]') {
  await page.waitForSelector(selector);
  const pixels = await canvasPixels(page, selector);
  assert.equal(pixels.width, 6);
  assert.equal(pixels.height, 6);
  assert.equal(pixels.opaque, 36, 'every cell is painted');
  assert.ok(pixels.colours > 1, `the map has structure (${pixels.colours} colours)`);
  return pixels;
}

/** Wait until the heatmap's pixels differ from `before`. */
async function pixelsChange(/** @type {Page} */ page, /** @type {string} */ before) {
  await page.waitForFunction((previous) => {
    const canvas = /** @type {HTMLCanvasElement | null} */ (document.querySelector('[data-testid="heatmap"]'));
    const context = canvas?.getContext('2d');
    if (!canvas || !context) return false;
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let signature = '';
    for (let i = 0; i < data.length; i += 4) {
      signature += `${data[i].toString(16)}.${data[i + 1].toString(16)}.${data[i + 2].toString(16)},`;
    }
    return signature !== previous;
  }, before);
  return canvasPixels(page);
}

const search = (/** @type {Page} */ page) => new URL(page.url()).searchParams;

/** A VLM's heatmap: a canvas of its own (non-square) grid, every cell painted, with structure. */
async function gridHeatmap(/** @type {Page} */ page, /** @type {number} */ gh, /** @type {number} */ gw, selector = '[data-testid="heatmap"]') {
  await page.waitForSelector(selector);
  await page.waitForFunction(
    ([sel, want]) => document.querySelector(sel)?.getAttribute('data-grid') === want,
    /** @type {[string, string]} */ ([selector, `${gh}x${gw}`]),
  );
  const pixels = await canvasPixels(page, selector);
  assert.equal(pixels.width, gw);
  assert.equal(pixels.height, gh);
  assert.equal(pixels.opaque, gh * gw, 'every cell is painted');
  assert.ok(pixels.colours > 1, `the map has structure (${pixels.colours} colours)`);
  return pixels;
}

/** Wait for the heatmap's label (what the map is) to become `label`. */
async function heatmapLabel(/** @type {Page} */ page, /** @type {string} */ label) {
  await page.waitForFunction((want) => document.querySelector('[data-testid="heatmap"]')?.getAttribute('data-map') === want, label);
}

/** The indices of the tokens shown as selected. */
function selectedTokens(/** @type {Page} */ page) {
  return page.$$eval('[data-testid="token"][aria-selected="true"]', (tokens) => tokens.map((t) => Number(t.getAttribute('data-index'))));
}

/** Press the mouse on token `from`, move over to token `to`, release. */
async function dragTokens(/** @type {Page} */ page, /** @type {number} */ from, /** @type {number} */ to) {
  const a = await page.locator(`[data-testid="token"][data-index="${from}"]`).boundingBox();
  const b = await page.locator(`[data-testid="token"][data-index="${to}"]`).boundingBox();
  assert.ok(a && b);
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
  await page.mouse.up();
}

/** Wait for a map request (`/raw`) whose query has `token` = `token` (null: none). */
function mapRequest(/** @type {Page} */ page, /** @type {string | null} */ token) {
  return page.waitForRequest((r) => {
    const url = new URL(r.url());
    return url.pathname.endsWith('/raw') && url.searchParams.get('model') === 'qwen2_5_vl' && url.searchParams.get('token') === token;
  });
}

/** The leaderboard's bars as drawn: model, method, layer, mean and image count. */
function leaderboardBars(/** @type {Page} */ page) {
  return page.$$eval('[data-testid="leaderboard-bar"]', (bars) =>
    bars.map((b) => ({
      model: b.getAttribute('data-model'),
      method: b.getAttribute('data-method'),
      layer: b.getAttribute('data-layer'),
      mean: Number(b.getAttribute('data-mean')),
      count: Number(b.getAttribute('data-count')),
    })),
  );
}

describe('the web app in a browser', { timeout: 240_000 }, () => {
  before(async () => {
    fixtureDir = tempDir();
    paths = buildFixture(fixtureDir);
    server = await startServer(paths);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: VIEWPORT, acceptDownloads: true });
  });

  after(async () => {
    await context?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.stop();
    if (fixtureDir) cleanup(fixtureDir);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });

  it('shows the gallery with thumbnails, annotation badges and unreadable files, and searches', async () => {
    const page = await open('/');
    await page.waitForSelector('[data-testid="image-card"]');
    assert.equal(await page.locator('[data-testid="image-card"]').count(), 8);
    await page.locator('[data-id="img_0"] [data-testid="annotation-badge"]').waitFor();
    assert.match(await page.locator('[data-id="img_0"] [data-testid="annotation-badge"]').innerText(), /2/);
    assert.match(await page.locator('[data-id="truncated"]').innerText(), /unreadable/);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="image-card"] img')].every((img) => /** @type {HTMLImageElement} */ (img).complete),
    );
    await screenshot(page, '01-gallery');

    await page.fill('[data-testid="search"]', 'nested');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="image-card"]').length === 1);
    assert.equal(search(page).get('q'), 'nested');
    await page.fill('[data-testid="search"]', 'zebra');
    await page.getByText('No image matches').waitFor();
    await page.close();
  });

  it('opens an image from the gallery and draws a heatmap on the canvas', async () => {
    const page = await open('/');
    await page.click('[data-id="img_0"]');
    await page.waitForURL(/\/view\/img_0\?/);
    const pixels = await drawnHeatmap(page);
    // the URL was completed with the resolved view, so the link reproduces it
    // the default model is the registry's first (dinov2, as the README shows), not the alphabet's (clip)
    assert.deepEqual(Object.fromEntries(search(page)), { model: 'dinov2', method: 'cls', layer: '2' });
    assert.equal(pixels.label, 'dinov2 · cls · layer 2 · fused (mean)');
    assert.equal(await page.locator('[data-testid="annotation-boxes"] .box').count(), 2);
    assert.equal(await page.getByTestId('random-weights-badge').count(), 0, 'dinov2 has its checkpoint weights');
    // the value under the cursor
    const frame = page.getByTestId('image-frame');
    const box = await frame.boundingBox();
    assert.ok(box);
    await page.mouse.move(box.x + box.width * 0.1, box.y + box.height * 0.1);
    await page.getByTestId('readout-value').waitFor();
    assert.match(await page.getByTestId('readout').innerText(), /cell \(0, 0\)/);
    await screenshot(page, '02-viewer');
    await page.close();
  });

  it('changes head and layer (keys and controls), and back/forward restore the view', async () => {
    const page = await open('/view/img_0?model=dinov2&method=cls&layer=2');
    const fused = await drawnHeatmap(page);

    await page.keyboard.press('ArrowDown'); // fused → head 0
    await page.waitForURL(/head=0/);
    const head0 = await pixelsChange(page, fused.signature);
    assert.equal(head0.label, 'dinov2 · cls · layer 2 · head 0');

    await page.selectOption('[data-testid="head-select"]', '1');
    await page.waitForURL(/head=1/);
    const head1 = await pixelsChange(page, head0.signature);

    await page.waitForTimeout(COALESCE_MS); // quick repeats of one control share a history entry
    await page.keyboard.press('ArrowLeft'); // layer 2 → 1
    await page.waitForURL(/layer=1/);
    const layer1 = await pixelsChange(page, head1.signature);
    assert.equal(layer1.label, 'dinov2 · cls · layer 1 · head 1');
    assert.equal(await page.getByTestId('layer-value').innerText(), '1 / 2');

    await page.waitForTimeout(COALESCE_MS);
    await page.locator('[data-testid="layer-slider"]').fill('0');
    await page.waitForURL(/layer=0/);
    await pixelsChange(page, layer1.signature);
    await screenshot(page, '03-viewer-head1-layer0');

    // history: back returns to layer 1, forward to layer 0
    await page.goBack();
    await page.waitForURL(/layer=1/);
    assert.equal((await canvasPixels(page)).label, 'dinov2 · cls · layer 1 · head 1');
    await page.goForward();
    await page.waitForURL(/layer=0/);
    await page.waitForFunction(() => document.querySelector('[data-testid="heatmap"]')?.getAttribute('data-map')?.includes('layer 0'));
    await page.close();
  });

  it('re-renders a cached neighbouring layer within one frame', async () => {
    const page = await open('/view/img_1?model=clip&method=mean&layer=1&head=0');
    await drawnHeatmap(page);
    await page.waitForLoadState('networkidle'); // the neighbours are prefetched
    const sameFrame = await page.evaluate(
      () =>
        new Promise((resolve) => {
          const before = document.querySelector('[data-testid="heatmap"]')?.getAttribute('data-map');
          window.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
          requestAnimationFrame(() => resolve(document.querySelector('[data-testid="heatmap"]')?.getAttribute('data-map') !== before));
        }),
    );
    assert.equal(sameFrame, true, 'the next layer was drawn before the next frame');
    await page.waitForURL(/layer=2/);
    await page.close();
  });

  it('shows every head of the layer in the grid; a click opens that head', async () => {
    const page = await open('/view/img_0?model=dinov2&method=cls&layer=1');
    await page.click('[data-testid="tab-heads"]');
    await page.waitForURL(/mode=heads/);
    await page.getByTestId('heads-grid').waitFor();
    for (const cell of ['head-cell-fused', 'head-cell-0', 'head-cell-1']) {
      await drawnHeatmap(page, `[data-testid="${cell}"] [data-testid="heatmap"]`);
    }
    const head0 = await canvasPixels(page, '[data-testid="head-cell-0"] [data-testid="heatmap"]');
    const head1 = await canvasPixels(page, '[data-testid="head-cell-1"] [data-testid="heatmap"]');
    assert.notEqual(head0.signature, head1.signature, 'two heads, two maps');
    await page.click('[data-testid="norm-layer"]');
    await page.waitForURL(/norm=layer/);
    await screenshot(page, '04-heads-grid');
    await page.click('[data-testid="head-cell-1"]');
    await page.waitForURL((url) => url.searchParams.get('head') === '1' && !url.searchParams.has('mode'));
    assert.equal((await drawnHeatmap(page)).label, 'dinov2 · cls · layer 1 · head 1');
    await page.close();
  });

  it('compares models side by side at the same depth, with random-weights badges', async () => {
    const page = await open('/view/img_0?model=dinov2&method=cls&layer=2');
    await page.click('[data-testid="tab-compare"]');
    await page.waitForURL(/mode=compare/);
    await page.getByTestId('compare-grid').waitFor();
    // the reference, then the next models in /models' (the registry's) order
    assert.equal(search(page).get('models'), 'dinov2,dinov3,mae,clip');
    for (const key of ['dinov2', 'dinov3', 'mae', 'clip']) {
      await drawnHeatmap(page, `[data-testid="compare-cell-${key}"] [data-testid="heatmap"]`);
    }
    assert.equal(await page.locator('[data-testid="compare-cell-mae"] [data-testid="random-weights-badge"]').count(), 1);
    assert.equal(await page.locator('[data-testid="compare-cell-clip"] [data-testid="random-weights-badge"]').count(), 0);
    // SigLIP has no CLS token: its cell says so instead of failing
    await page.click('[data-testid="compare-chip-siglip"]');
    await page.waitForURL(/models=dinov2,dinov3,mae,clip,siglip/);
    await page.locator('[data-testid="compare-cell-siglip"] [data-testid="compare-unavailable"]').waitFor();
    assert.match(await page.locator('[data-testid="compare-cell-siglip"]').innerText(), /no CLS token/);
    // the layer slider moves every model to the same depth
    await page.keyboard.press('ArrowLeft');
    await page.waitForURL(/layer=1/);
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="compare-layer"]')].slice(0, 4).every((e) => e.textContent?.startsWith('layer 1')),
    );
    await screenshot(page, '05-compare');
    await page.close();
  });

  it('follows a deep link to exactly the view it names', async () => {
    const link = '/view/img_1?model=dinov2&method=mean&layer=1&head=1&cmap=magma&norm=layer&opacity=0.8&interp=crisp';
    const page = await open(link);
    const pixels = await drawnHeatmap(page);
    assert.equal(pixels.label, 'dinov2 · mean · layer 1 · head 1');
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, link, 'a canonical link is kept as it is');
    assert.equal(await page.locator('[data-testid="model-select"]').inputValue(), 'dinov2');
    assert.equal(await page.locator('[data-testid="method-select"]').inputValue(), 'mean');
    assert.equal(await page.locator('[data-testid="head-select"]').inputValue(), '1');
    assert.match(await page.getByTestId('colorbar').innerText(), /Per layer/);
    assert.equal(await page.locator('[data-testid="heatmap"]').evaluate((c) => getComputedStyle(c).imageRendering), 'pixelated');
    await screenshot(page, '06-deep-link');
    await page.close();
  });

  it('marks maps from random weights and handles methods with one layer or no heads', async () => {
    const page = await open('/view/img_2?model=mae&method=cls');
    await drawnHeatmap(page);
    await page.getByTestId('random-weights-badge').first().waitFor();

    await page.goto(`${server.url}/view/img_2?model=siglip&method=pool&layer=5`);
    await drawnHeatmap(page);
    await page.waitForURL((url) => url.searchParams.get('layer') === '0');
    assert.equal(await page.locator('[data-testid="layer-slider"]').isDisabled(), true, 'pool has a single layer');
    assert.equal(await page.locator('[data-testid="head-select"] option').count(), 5, 'fused + 4 SigLIP heads');

    await page.goto(`${server.url}/view/img_2?model=clip&method=rollout&head=1`);
    await drawnHeatmap(page);
    await page.waitForURL((url) => !url.searchParams.has('head'));
    assert.equal(await page.locator('[data-testid="head-select"]').count(), 0, 'rollout has no heads to choose');
    await page.getByTestId('no-heads-hint').waitFor();
    await page.close();
  });

  it('exports the view as PNG and the raw slice as .npy and JSON with provenance', async () => {
    const page = await open('/view/img_0?model=mae&method=cls&layer=1&head=0');
    await drawnHeatmap(page);

    const download = async (/** @type {string} */ item) => {
      await page.click('[data-testid="export-button"]');
      const [file] = await Promise.all([page.waitForEvent('download'), page.click(`[data-testid="${item}"]`)]);
      const path = join(RESULTS, `export-${file.suggestedFilename()}`);
      await file.saveAs(path);
      return { name: file.suggestedFilename(), bytes: readFileSync(path) };
    };

    const npy = await download('export-npy');
    assert.equal(npy.name, 'img_0_mae_cls_L1_H0_random.npy');
    assert.equal(npy.bytes.subarray(0, 6).toString('latin1'), '\x93NUMPY');
    const headerLength = npy.bytes.readUInt16LE(8);
    assert.match(npy.bytes.subarray(10, 10 + headerLength).toString('latin1'), /'descr': '<f2', 'fortran_order': False, 'shape': \(6, 6\)/);
    assert.equal(npy.bytes.length - 10 - headerLength, 6 * 6 * 2);

    const json = await download('export-json');
    const body = JSON.parse(json.bytes.toString('utf8'));
    assert.deepEqual(
      [body.provenance.model, body.provenance.weights, body.provenance.method, body.provenance.layer, body.provenance.head],
      ['mae', 'random', 'cls', 1, 0],
    );
    assert.equal(body.data.length, 36);
    assert.ok(body.provenance.checkpoint.endsWith('mae'));

    const png = await download('export-png');
    assert.equal(png.name, 'img_0_mae_cls_L1_H0_random.png');
    assert.deepEqual([...png.bytes.subarray(1, 4)], [0x50, 0x4e, 0x47]);
    const text = png.bytes.toString('latin1');
    assert.ok(text.includes('tEXtssl-attention\0'), 'the PNG carries its provenance');
    assert.match(text, /"weights":"random"/);
    await page.close();
  });

  it("shows a VLM's prompt and answer tokens; a click, a drag and the keys choose the map's tokens; back restores", async () => {
    const page = await open('/view/img_0?model=qwen2_5_vl');
    // the resolved view is written into the URL: text → image, the first prompt (once checked), the last layer
    await page.waitForURL((url) => url.searchParams.get('prompt') === '0');
    assert.deepEqual(Object.fromEntries(search(page)), { model: 'qwen2_5_vl', method: 'text', prompt: '0', layer: '2' });
    let pixels = await gridHeatmap(page, 3, 4); // the merged grid of img_0: 3×4, stretched over the frame
    assert.equal(pixels.label, 'qwen2_5_vl · text · prompt 0 · answer · layer 2 · fused (mean)');
    const frame = await page.getByTestId('image-frame').boundingBox();
    const canvas = await page.getByTestId('heatmap').boundingBox();
    assert.ok(frame && canvas);
    assert.deepEqual([canvas.width, canvas.height], [frame.width, frame.height], 'the 3×4 map covers the whole frame');
    await page.getByTestId('random-weights-badge').first().waitFor();
    assert.deepEqual(
      await page.$$eval('[data-testid="method-select"] option', (o) => o.map((e) => e.textContent)),
      ['Text → image', 'Vision mean', 'Vision rollout'],
    );
    assert.equal(await page.locator('[data-testid="head-select"] option').count(), 3, 'fused + the language model’s 2 heads');

    // the strip: the prompt and the answer (template tokens folded), the whole answer selected, tinted by image mass
    const strip = page.getByTestId('token-strip');
    await strip.getByTestId('token').first().waitFor();
    assert.deepEqual(
      await page.$$eval('.token-group', (groups) => groups.map((g) => g.getAttribute('data-role'))),
      ['prompt', 'answer'],
    );
    assert.match(await strip.innerText(), /Describe this image\.[\s\S]*A red square on a grey field\./);
    assert.deepEqual(await selectedTokens(page), [9, 10, 11, 12, 13, 14, 15]);
    assert.equal(await page.getByTestId('whole-answer').getAttribute('aria-pressed'), 'true');
    assert.match(await page.getByTestId('mass-legend').innerText(), /image mass, layer 2: 0 – \d+%/);
    const tints = await page.$$eval('[data-testid="token"]', (tokens) => tokens.map((t) => getComputedStyle(t).backgroundColor));
    assert.ok(new Set(tints).size > 1, 'tokens are tinted by their image mass');
    await page.click('[data-testid="toggle-template"]');
    assert.equal(await strip.getByTestId('token').count(), 17, '3 prompt + 7 answer + 7 template tokens');
    await page.click('[data-testid="toggle-template"]');
    assert.equal(await strip.getByTestId('token').count(), 10);
    await screenshot(page, '13-vlm-tokens');

    // a click: that token's map
    let request = mapRequest(page, '10');
    await page.click('[data-testid="token"][data-index="10"]');
    await request;
    await page.waitForURL((url) => url.searchParams.get('token') === '10');
    await heatmapLabel(page, 'qwen2_5_vl · text · prompt 0 · token 10 · layer 2 · fused (mean)');
    pixels = await pixelsChange(page, pixels.signature);
    assert.deepEqual(await selectedTokens(page), [10]);
    assert.match(await page.getByTestId('token-selection').innerText(), /token 10 “red”/);

    // a drag: the mean over the range
    await page.waitForTimeout(COALESCE_MS); // a separate history entry
    request = mapRequest(page, '11-14');
    await dragTokens(page, 11, 14);
    await request;
    await page.waitForURL((url) => url.searchParams.get('token') === '11-14');
    await heatmapLabel(page, 'qwen2_5_vl · text · prompt 0 · tokens 11–14 · layer 2 · fused (mean)');
    pixels = await pixelsChange(page, pixels.signature);
    assert.deepEqual(await selectedTokens(page), [11, 12, 13, 14]);
    await screenshot(page, '14-vlm-token-range');

    // a drag from right to left gives the same kind of range
    await page.waitForTimeout(COALESCE_MS);
    await dragTokens(page, 14, 12);
    await page.waitForURL((url) => url.searchParams.get('token') === '12-14');
    pixels = await pixelsChange(page, pixels.signature);

    // back and forward restore the tokens, the map and the highlight
    await page.goBack();
    await page.waitForURL((url) => url.searchParams.get('token') === '11-14');
    await heatmapLabel(page, 'qwen2_5_vl · text · prompt 0 · tokens 11–14 · layer 2 · fused (mean)');
    await page.goBack();
    await page.waitForURL((url) => url.searchParams.get('token') === '10');
    await heatmapLabel(page, 'qwen2_5_vl · text · prompt 0 · token 10 · layer 2 · fused (mean)');
    assert.deepEqual(await selectedTokens(page), [10]);
    await page.goForward();
    await page.waitForURL((url) => url.searchParams.get('token') === '11-14');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="token"][aria-selected="true"]').length === 4);
    await page.goForward();
    await page.waitForURL((url) => url.searchParams.get('token') === '12-14');
    await heatmapLabel(page, 'qwen2_5_vl · text · prompt 0 · tokens 12–14 · layer 2 · fused (mean)');

    // keys in the strip move the selection (not the layer); shift extends it; , and . work anywhere
    await page.focus('[data-testid="token-list"]');
    await page.keyboard.press('ArrowRight');
    await page.waitForURL((url) => url.searchParams.get('token') === '15');
    assert.equal(search(page).get('layer'), '2');
    await page.keyboard.press('Shift+ArrowLeft');
    await page.waitForURL((url) => url.searchParams.get('token') === '14-15');
    await page.getByTestId('image-title').click(); // focus leaves the strip
    await page.keyboard.press(',');
    await page.waitForURL((url) => url.searchParams.get('token') === '13');
    await page.keyboard.press('ArrowLeft'); // outside the strip: the layer
    await page.waitForURL((url) => url.searchParams.get('layer') === '1' && url.searchParams.get('token') === '13');
    await heatmapLabel(page, 'qwen2_5_vl · text · prompt 0 · token 13 · layer 1 · fused (mean)');
    assert.match(await page.getByTestId('mass-legend').innerText(), /layer 1/);

    // the whole answer again: no token parameter (the API's default)
    await page.click('[data-testid="whole-answer"]');
    await page.waitForURL((url) => !url.searchParams.has('token'));
    await heatmapLabel(page, 'qwen2_5_vl · text · prompt 0 · answer · layer 1 · fused (mean)');
    assert.deepEqual(await selectedTokens(page), [9, 10, 11, 12, 13, 14, 15]);

    // another prompt: its own tokens, the whole answer
    await page.selectOption('[data-testid="prompt-select"]', '1');
    await page.waitForURL((url) => url.searchParams.get('prompt') === '1');
    await page.waitForFunction(() => document.querySelector('[data-testid="token-strip"]')?.textContent?.includes('In the top left corner.'));
    await heatmapLabel(page, 'qwen2_5_vl · text · prompt 1 · answer · layer 1 · fused (mean)');
    await page.close();
  });

  it('follows a VLM deep link, clamps a token range past the end, and shows heads, vision maps, compare and exports', async () => {
    // img_1 has one prompt (no selector) and a 4×3 merged grid; 17 tokens (0–16)
    const page = await open('/view/img_1?model=qwen2_5_vl&method=text&prompt=0&token=12-40&layer=1&head=1');
    await page.waitForURL((url) => url.searchParams.get('token') === '12-16');
    assert.match(await page.getByTestId('notice').innerText(), /run past the last token \(16\); showing 12-16/);
    const head1 = await gridHeatmap(page, 4, 3);
    assert.equal(head1.label, 'qwen2_5_vl · text · prompt 0 · tokens 12–16 · layer 1 · head 1');
    assert.equal(await page.getByTestId('prompt-select').count(), 0);
    assert.match(await page.getByTestId('prompt-text').innerText(), /Prompt 0/);

    // every head of the layer for these tokens
    const heads = page.waitForRequest((r) => r.url().includes('/heads?') && new URL(r.url()).searchParams.get('token') === '12-16');
    await page.click('[data-testid="tab-heads"]');
    await heads;
    for (const cell of ['head-cell-fused', 'head-cell-0', 'head-cell-1']) await gridHeatmap(page, 4, 3, `[data-testid="${cell}"] [data-testid="heatmap"]`);
    assert.match(await page.locator('.heads-header h2').innerText(), /prompt 0 · tokens 12–16 · layer 1: 2 heads/);
    await page.click('[data-testid="tab-map"]');

    // export: the prompt and tokens are in the provenance and the file name
    await gridHeatmap(page, 4, 3);
    await page.click('[data-testid="export-button"]');
    const [file] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid="export-json"]')]);
    assert.equal(file.suggestedFilename(), 'img_1_qwen2_5_vl_text_P0_T12-16_L1_H1_random.json');
    const path = join(RESULTS, `export-${file.suggestedFilename()}`);
    await file.saveAs(path);
    const body = JSON.parse(readFileSync(path, 'utf8'));
    assert.deepEqual(
      [body.provenance.prompt, body.provenance.prompt_text, body.provenance.token, body.provenance.shape, body.token, body.shape],
      [0, 'Describe this image.', '12-16', [4, 3], '12-16', [4, 3]],
    );

    // the vision tower's maps: its own grid (8×6), layers and heads
    await page.selectOption('[data-testid="method-select"]', 'mean');
    await page.waitForURL((url) => url.searchParams.get('method') === 'mean' && !url.searchParams.has('token') && !url.searchParams.has('prompt'));
    const mean = await gridHeatmap(page, 8, 6);
    assert.equal(mean.label, 'qwen2_5_vl · mean · layer 1 · head 1');
    assert.equal(await page.getByTestId('layer-value').innerText(), '1 / 1');
    assert.equal(await page.locator('[data-testid="head-select"] option').count(), 4, 'fused + the vision tower’s 3 heads');
    assert.equal(await page.getByTestId('token-strip').count(), 0);
    await page.getByTestId('image-title').click(); // focus leaves the method selector
    await page.keyboard.press('ArrowDown'); // head 1 → 2: a head the language model does not have
    await page.waitForURL((url) => url.searchParams.get('head') === '2');
    await gridHeatmap(page, 8, 6);

    // compare: the VLM beside ViTs, at the same depth; a ViT has no text maps and says so
    await page.goto(`${server.url}/view/img_1?model=qwen2_5_vl&method=text&mode=compare&models=qwen2_5_vl,clip`);
    await gridHeatmap(page, 4, 3, '[data-testid="compare-cell-qwen2_5_vl"] [data-testid="heatmap"]');
    assert.match(await page.locator('[data-testid="compare-cell-clip"]').innerText(), /not a VLM/);
    await page.selectOption('[data-testid="method-select"]', 'mean');
    await page.waitForURL((url) => url.searchParams.get('method') === 'mean');
    await gridHeatmap(page, 8, 6, '[data-testid="compare-cell-qwen2_5_vl"] [data-testid="heatmap"]');
    await drawnHeatmap(page, '[data-testid="compare-cell-clip"] [data-testid="heatmap"]');
    await screenshot(page, '15-vlm-compare');
    await page.close();
  });

  it('shows loading, empty and error states instead of a blank page', async () => {
    const page = await open('/view/img_4?model=mae');
    await drawnHeatmap(page); // img_4 has no mae maps: another model is shown, with a note
    assert.match(await page.getByTestId('notice').innerText(), /mae has no maps for this image yet/);

    await page.goto(`${server.url}/view/truncated`);
    assert.match(await page.getByTestId('empty-state').innerText(), /precompute could not use truncated/);

    await page.goto(`${server.url}/view/no_such_image`);
    assert.match(await page.getByTestId('empty-state').innerText(), /No image/);

    await page.goto(`${server.url}/somewhere/else`);
    assert.match(await page.getByTestId('empty-state').innerText(), /no page here/);

    // an API path that does not exist stays a JSON 404, not the app
    const api = await page.request.get(`${server.url}/attention/img_0/nope`);
    assert.equal(api.status(), 404);
    assert.match(api.headers()['content-type'] ?? '', /json/);
    await page.close();
  });

  it('shows the metrics dashboard: a leaderboard with CIs and baselines, and switches metric, method and label', async () => {
    const page = await open('/');
    await page.click('[data-testid="nav-dashboard"]');
    await page.waitForURL(/\/dashboard/);
    await page.locator('[data-testid="leaderboard-bar"]').first().waitFor();
    // the resolved metric and model are written into the URL, so the link keeps showing them
    await page.waitForURL((url) => url.searchParams.has('metric') && url.searchParams.has('model'));
    const firstMetric = search(page).get('metric');
    assert.ok(firstMetric);
    assert.equal(await page.locator('[data-testid="dash-metric"]').inputValue(), firstMetric);
    // every method of every model: 4 CLS models × (cls, mean, rollout) + 2 SigLIPs × (mean, rollout, pool) + the VLM × (text, mean, rollout)
    assert.equal(await page.locator('[data-testid="leaderboard-bar"]').count(), 21);

    await page.selectOption('[data-testid="dash-method"]', 'mean');
    await page.waitForURL((url) => url.searchParams.get('method') === 'mean');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="leaderboard-bar"]').length === 7);
    const bars = await leaderboardBars(page);
    assert.deepEqual(bars.map((b) => b.model).sort(), ['clip', 'dinov2', 'dinov3', 'mae', 'qwen2_5_vl', 'siglip', 'siglip2'], 'one bar per model');
    assert.ok(bars.every((b) => b.method === 'mean' && b.layer === (b.model === 'qwen2_5_vl' ? '1' : '2')), "fused mean maps of the last layer (the VLM's vision tower has 2)");
    assert.deepEqual(
      bars.map((b) => b.mean),
      [...bars.map((b) => b.mean)].sort((a, b) => b - a),
      'best first',
    );
    assert.equal(bars.find((b) => b.model === 'mae')?.count, 2, 'mae (random weights) has maps of two annotated images');
    assert.equal(bars.find((b) => b.model === 'clip')?.count, 3);
    assert.equal(bars.find((b) => b.model === 'qwen2_5_vl')?.count, 1, 'the VLM has maps of one annotated image (img_0)');
    assert.equal(await page.locator('[data-testid="leaderboard-chart"] .bar-random').count(), 2, 'mae and the VLM are marked random');
    const baselines = await page.$$eval('[data-testid="baseline-line"]', (lines) => lines.map((l) => l.getAttribute('data-baseline')));
    assert.deepEqual(baselines, ['centre', 'random']);
    // the progression: one line per model over its layers (the VLM's vision tower: 2), and the baselines
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="progression-line"]').length === 7);
    const points = await page.$$eval('[data-testid="progression-line"]', (lines) =>
      Object.fromEntries(lines.map((l) => [l.getAttribute('data-model'), l.getAttribute('data-points')])),
    );
    assert.deepEqual(points, { clip: '3', dinov2: '3', dinov3: '3', mae: '3', siglip: '3', siglip2: '3', qwen2_5_vl: '2' });
    assert.equal(await page.locator('[data-testid="progression-baseline"]').count(), 2);
    await page.locator('[data-testid="leaderboard-bar"]').first().hover();
    assert.match(
      await page.getByTestId('leaderboard-readout').innerText(),
      /· (mean · layer 2|Vision mean · layer 1): mean \d\.\d{3} \(95% CI \d\.\d{3}–\d\.\d{3}, n = \d\)/,
    );
    await page.locator('[data-testid="ranked-images"] img').first().waitFor();
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="ranked-images"] img')].every((img) => /** @type {HTMLImageElement} */ (img).complete),
    );
    await screenshot(page, '09-dashboard');

    // another metric: other values
    const other = (await page.$$eval('[data-testid="dash-metric"] option', (o) => o.map((e) => /** @type {HTMLOptionElement} */ (e).value))).find(
      (m) => m !== firstMetric && m !== 'pointing_15px',
    );
    assert.ok(other);
    const before = bars.map((b) => `${b.model}=${b.mean}`).join(',');
    await page.selectOption('[data-testid="dash-metric"]', other);
    await page.waitForURL((url) => url.searchParams.get('metric') === other);
    await page.waitForFunction(
      (previous) =>
        [...document.querySelectorAll('[data-testid="leaderboard-bar"]')]
          .map((b) => `${b.getAttribute('data-model')}=${b.getAttribute('data-mean')}`)
          .join(',') !== previous,
      before,
    );
    assert.match(await page.getByTestId('metric-help').innerText(), new RegExp(other));

    // only images with a "dog" box: img_0 alone
    await page.fill('[data-testid="dash-label"]', 'dog');
    await page.waitForURL((url) => url.searchParams.get('label') === 'dog');
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-testid="leaderboard-bar"]')].every((b) => b.getAttribute('data-count') === '1'),
    );
    assert.match(await page.getByTestId('leaderboard').innerText(), /images with a “dog” box/);
    // the best and worst images narrow to the same image
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="best-image"]').length === 1);
    assert.equal(await page.getByTestId('worst-image').count(), 0);
    await page.fill('[data-testid="dash-label"]', 'zebra');
    await page.getByTestId('leaderboard-empty').waitFor();

    // back steps through the choices
    await page.goBack();
    await page.waitForURL((url) => url.searchParams.get('metric') === firstMetric && url.searchParams.get('method') === 'mean');
    await page.close();
  });

  it("opens a head from a model's heads × layers table in the viewer, on that head's best image", async () => {
    const page = await open('/dashboard?metric=energy&method=cls&model=dinov2');
    await page.getByTestId('heads-table').waitFor();
    // 3 layers × (2 heads + fused); the fused column can arrive after the per-head one
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="heads-table"] button.heat-cell').length === 9);
    assert.equal(await page.locator('[data-testid="heads-table"] tbody tr').count(), 3);
    const cell = page.getByTestId('heat-cell-1-0');
    const colours = new Set(await page.$$eval('[data-testid="heads-table"] button.heat-cell', (cells) => cells.map((c) => getComputedStyle(c).backgroundColor)));
    assert.ok(colours.size > 1, 'cells are coloured by value');
    await cell.hover();
    assert.match(await page.getByTestId('heads-readout').innerText(), /layer 1 · head 0: mean \d\.\d{3} \(95% CI/);
    await screenshot(page, '10-dashboard-heads');

    const ranking = await (await page.request.get(`${server.url}/metrics/model/dinov2/images?metric=energy&method=cls&layer=1&head=0`)).json();
    const best = ranking.images[0].image_id;
    await cell.click();
    await page.waitForURL(/\/view\//);
    const url = new URL(page.url());
    assert.equal(decodeURIComponent(url.pathname), `/view/${best}`);
    assert.deepEqual(Object.fromEntries(url.searchParams), { model: 'dinov2', method: 'cls', layer: '1', head: '0' });
    assert.equal((await drawnHeatmap(page)).label, 'dinov2 · cls · layer 1 · head 0');
    await page.close();
  });

  it('clicks through from the best and worst images to the viewer', async () => {
    const page = await open('/dashboard?metric=energy&method=cls&model=dinov2');
    await page.getByTestId('ranked-images').waitFor();
    // 3 annotated images: the best two and the worst one
    const tiles = await page.$$eval('[data-testid="best-image"], [data-testid="worst-image"]', (cards) =>
      cards.map((c) => ({ kind: c.getAttribute('data-testid'), id: c.getAttribute('data-id'), value: Number(c.getAttribute('data-value')) })),
    );
    assert.deepEqual(
      tiles.map((t) => t.kind),
      ['best-image', 'best-image', 'worst-image'],
    );
    assert.deepEqual(tiles.map((t) => t.id).sort(), ['img_0', 'img_2', 'sub__nested_5']);
    assert.ok(tiles[0].value >= tiles[1].value && tiles[1].value >= tiles[2].value, 'ranked by value');
    const worst = tiles[2];
    await page.click('[data-testid="worst-image"]');
    await page.waitForURL(/\/view\//);
    const url = new URL(page.url());
    assert.equal(decodeURIComponent(url.pathname), `/view/${worst.id}`);
    assert.deepEqual(Object.fromEntries(url.searchParams), { model: 'dinov2', method: 'cls', layer: '2' });
    await drawnHeatmap(page);
    // the viewer's metrics show the same value for this map
    await page.getByTestId('image-metrics-table').waitFor();
    assert.equal(await page.locator('[data-testid="image-metric-energy"] [data-testid="image-metric-value"]').innerText(), worst.value.toFixed(3));
    await page.close();
  });

  it("scores a VLM's maps: its methods on the leaderboard, its own heads × layers, its answer's scores in the viewer", async () => {
    const page = await open('/dashboard?metric=energy&model=qwen2_5_vl');
    await page.locator('[data-testid="leaderboard-bar"][data-model="qwen2_5_vl"]').first().waitFor();
    // the leaderboard lists the VLM's three methods, each at its last layer, named as in the viewer
    const vlmBars = await page.$$eval('[data-testid="leaderboard-bar"][data-model="qwen2_5_vl"]', (bars) =>
      Object.fromEntries(
        bars.map((b) => [
          b.getAttribute('data-method'),
          `${[...b.querySelectorAll('.bar-sublabel')].map((t) => t.textContent).join(' ')} (n = ${b.getAttribute('data-count')})`,
        ]),
      ),
    );
    assert.deepEqual(vlmBars, { text: 'Text → image L2 (n = 1)', mean: 'Vision mean L1 (n = 1)', rollout: 'Vision rollout L1 (n = 1)' });
    const options = await page.$$eval('[data-testid="dash-method"] option', (o) => o.map((e) => `${/** @type {HTMLOptionElement} */ (e).value}=${e.textContent}`));
    assert.ok(options.includes('text=Text → image (answer)'), options.join(', '));
    assert.ok(options.includes('mean=mean / Vision mean'), options.join(', '));
    await page.locator('[data-testid="leaderboard-bar"][data-method="text"]').hover();
    assert.match(await page.getByTestId('leaderboard-readout').innerText(), /qwen2_5_vl · Text → image \(answer\) · layer 2: mean \d\.\d{3}/);

    // its panels show its first method, text: the language model's 3 layers × 2 heads (+ fused)
    await page.getByTestId('heads-table').waitFor();
    assert.match(await page.getByTestId('heads-panel').innerText(), /Text → image \(answer\) · all images/);
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="heads-table"] button.heat-cell').length === 9);
    assert.equal(await page.locator('[data-testid="heads-table"] tbody tr').count(), 3);
    assert.equal(await page.locator('[data-testid="heads-table"] thead th').count(), 4, 'layer, H0, H1, fused');
    await page.locator('[data-testid="best-image"]').first().waitFor();
    assert.equal(await page.getByTestId('best-image').count(), 1, 'one annotated image has VLM maps');
    await page.waitForFunction(() => /** @type {HTMLImageElement | null} */ (document.querySelector('[data-testid="ranked-images"] img'))?.complete);
    await screenshot(page, '16-dashboard-vlm');

    // the vision tower's mean: its own 2 layers × 3 heads
    await page.selectOption('[data-testid="dash-method"]', 'mean');
    // (the fused column comes with the layer progression, maybe after the heads)
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="heads-table"] button.heat-cell').length === 8);
    assert.equal(await page.locator('[data-testid="heads-table"] tbody tr').count(), 2);
    assert.equal(await page.locator('[data-testid="heads-table"] thead th').count(), 5, 'layer, H0–H2, fused');
    assert.match(await page.getByTestId('heads-panel').innerText(), /Vision mean · all images/);
    // head 2: a head the language model does not have; opened in the viewer with the value it scored
    const ranking = await (await page.request.get(`${server.url}/metrics/model/qwen2_5_vl/images?metric=energy&method=mean&layer=1&head=2`)).json();
    assert.equal(ranking.images[0].image_id, 'img_0');
    await page.getByTestId('heat-cell-1-2').click();
    await page.waitForURL(/\/view\//);
    assert.deepEqual(Object.fromEntries(search(page)), { model: 'qwen2_5_vl', method: 'mean', layer: '1', head: '2' });
    await heatmapLabel(page, 'qwen2_5_vl · mean · layer 1 · head 2');
    const energyCell = '[data-testid="image-metric-energy"] [data-testid="image-metric-value"]';
    await page.waitForFunction(([selector, want]) => document.querySelector(selector)?.textContent === want, [energyCell, ranking.images[0].value.toFixed(3)]);
    assert.equal(await page.getByTestId('image-metrics-text-note').count(), 0);

    // rollout: fused only, and said so
    await page.goto(`${server.url}/dashboard?metric=energy&method=rollout&model=qwen2_5_vl`);
    assert.match(await page.getByTestId('heads-empty').innerText(), /Rollout is defined on the mean over heads/);

    // text: the best image opens the viewer on its whole answer (first prompt), which is what was scored
    await page.goto(`${server.url}/dashboard?metric=energy&method=text&model=qwen2_5_vl`);
    const tile = page.getByTestId('best-image');
    await tile.waitFor();
    const value = Number(await tile.getAttribute('data-value'));
    await tile.click();
    await page.waitForURL((url) => url.pathname === '/view/img_0' && url.searchParams.get('prompt') === '0');
    assert.deepEqual(Object.fromEntries(search(page)), { model: 'qwen2_5_vl', method: 'text', prompt: '0', layer: '2' });
    await heatmapLabel(page, 'qwen2_5_vl · text · prompt 0 · answer · layer 2 · fused (mean)');
    await page.getByTestId('image-metrics-table').waitFor();
    await page.waitForFunction(([selector, want]) => document.querySelector(selector)?.textContent === want, [energyCell, value.toFixed(3)]);
    const values = await page.$$eval('[data-testid="image-metrics-table"] [data-testid="image-metric-value"]', (cells) => cells.map((c) => c.textContent));
    assert.equal(values.length, 6);
    assert.ok(values.every((v) => /^\d\.\d{3}$/.test(v ?? '')), `numbers: ${JSON.stringify(values)}`);
    const note = page.getByTestId('image-metrics-text-note');
    await page.waitForFunction(() => document.querySelector('[data-testid="image-metrics-text-note"]')?.textContent?.includes('(prompt 0)'));
    assert.equal(await note.innerText(), "Scored: the answer's mean map, first prompt (prompt 0).");
    await page.getByTestId('image-metrics').scrollIntoViewIfNeeded();
    await screenshot(page, '17-viewer-vlm-metrics');

    // a token selection, then the second prompt: the same (first prompt's answer) scores, and a caveat
    await page.click('[data-testid="token"][data-index="10"]');
    await page.waitForURL((url) => url.searchParams.get('token') === '10');
    assert.match(await note.innerText(), /not those of token 10\.$/);
    await page.selectOption('[data-testid="prompt-select"]', '1');
    await page.waitForURL((url) => url.searchParams.get('prompt') === '1' && !url.searchParams.has('token'));
    await page.waitForFunction(() => document.querySelector('[data-testid="image-metrics-text-note"]')?.textContent?.includes('Prompt 1 is not scored'));
    assert.equal(await page.locator(energyCell).innerText(), value.toFixed(3));
    await page.close();
  });

  it("shows an image's metrics beside the map, and a dash without boxes", async () => {
    const page = await open('/view/img_0?model=dinov2&method=cls&layer=2&head=1');
    await drawnHeatmap(page);
    const table = page.getByTestId('image-metrics-table');
    await table.waitFor();
    const values = await page.$$eval('[data-testid="image-metrics-table"] tbody tr', (rows) =>
      rows.map((r) => [r.querySelector('th')?.textContent, r.querySelector('[data-testid="image-metric-value"]')?.textContent]),
    );
    assert.deepEqual(
      values.map(([name]) => name),
      ['energy', 'iou_top10', 'iou_top25', 'iou_top50', 'mass_iou_60', 'pointing_15px'],
    );
    assert.ok(values.every(([, v]) => /^\d\.\d{3}$/.test(v ?? '')), `numbers: ${JSON.stringify(values)}`);
    const api = await (await page.request.get(`${server.url}/metrics/img_0?heads=true`)).json();
    const energyOf = (/** @type {number | null} */ head) =>
      api.values
        .find(
          (/** @type {{model: string, method: string, layer: number, head: number | null, metric: string}} */ v) =>
            v.model === 'dinov2' && v.method === 'cls' && v.layer === 2 && v.head === head && v.metric === 'energy',
        )
        .value.toFixed(3);
    assert.equal(values[0][1], energyOf(1), 'the value of head 1');
    assert.match(await page.getByTestId('image-metrics').innerText(), /vs 2 boxes/);
    await page.getByTestId('image-metrics').scrollIntoViewIfNeeded();
    await screenshot(page, '11-viewer-metrics');

    // another head, the fused map: their values
    await page.keyboard.press('ArrowUp'); // head 1 → head 0
    await page.waitForURL(/head=0/);
    const energyCell = '[data-testid="image-metric-energy"] [data-testid="image-metric-value"]';
    await page.waitForFunction(([selector, want]) => document.querySelector(selector)?.textContent === want, [energyCell, energyOf(0)]);
    await page.keyboard.press('ArrowUp'); // head 0 → fused
    await page.waitForURL((url) => !url.searchParams.has('head'));
    await page.waitForFunction(([selector, want]) => document.querySelector(selector)?.textContent === want, [energyCell, energyOf(null)]);

    await page.goto(`${server.url}/view/img_1?model=dinov2`);
    await drawnHeatmap(page);
    assert.match(await page.getByTestId('image-metrics-none').innerText(), /—.*no annotation boxes/s);
    await page.close();
  });

  it('says how to get metrics when none are computed yet', async () => {
    const bare = await startServer({ ...paths, db: paths.db_nometrics });
    try {
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(`/dashboard (no metrics): ${error.message}`));
      await page.goto(`${bare.url}/dashboard`);
      const state = page.getByTestId('empty-state');
      await state.waitFor();
      const text = await state.innerText();
      assert.match(text, /No metrics yet/);
      assert.match(text, /precompute --metrics/);
      assert.match(text, /precompute --models all --per-head --metrics/);
      await screenshot(page, '12-dashboard-empty');
      await page.goto(`${bare.url}/view/img_0?model=clip`);
      await page.getByTestId('image-metrics-none').waitFor();
      assert.match(await page.getByTestId('image-metrics-none').innerText(), /Not scored yet/);
      await page.close();
    } finally {
      await bare.stop();
    }
  });

  it('pages through a gallery of 10,000 images quickly', async () => {
    const many = await startServer({ ...paths, db: paths.db_many });
    try {
      const page = await context.newPage();
      const started = Date.now();
      await page.goto(`${many.url}/?page=100`);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="image-card"]').length === 60);
      const firstPaint = Date.now() - started;
      assert.match(await page.getByTestId('gallery-count').innerText(), /5,941–6,000 of 10,008 images/);
      assert.ok(firstPaint < 5000, `page 100 of 10,008 images shown in ${firstPaint} ms`);
      await screenshot(page, '08-large-gallery');
      const next = Date.now();
      await page.click('[data-testid="next-page"]');
      await page.waitForFunction(() => document.querySelector('[data-testid="gallery-count"]')?.textContent?.startsWith('6,001'));
      assert.equal(search(page).get('page'), '101');
      const nextMs = Date.now() - next;
      assert.ok(nextMs < 2000, `the next (prefetched) page in ${nextMs} ms`);
      await page.fill('[data-testid="search"]', 'many_0999');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid="image-card"]').length === 10);
      await page.goBack(); // the search replaced the entry; back returns to page 100
      await page.waitForURL((url) => url.searchParams.get('page') === '100');
      console.log(`# 10,008 images: page 100 in ${firstPaint} ms, next page in ${nextMs} ms`);
      await page.close();
    } finally {
      await many.stop();
    }
  });

  it('says which command to run when nothing is precomputed yet', async () => {
    const empty = tempDir('ssl-attention-e2e-empty-');
    const bare = await startServer(
      { images: join(empty, 'images'), store: join(empty, 'attention.zarr'), db: `sqlite:///${join(empty, 'catalog.db')}` },
      { ready: 503 },
    );
    try {
      const page = await context.newPage();
      await page.goto(`${bare.url}/`);
      const state = page.getByTestId('empty-state');
      await state.waitFor({ timeout: 15_000 });
      const text = await state.innerText();
      assert.match(text, /No precomputed attention maps yet/);
      assert.match(text, /precompute --models all --per-head/);
      await screenshot(page, '07-empty-store');
      await page.close();
    } finally {
      await bare.stop();
      cleanup(empty);
    }
  });
});
