// @ts-check
/**
 * Browser tests of the Texts section (issue 12): the list by category and tabs, the token flow
 * (click a token → the earlier tokens it attends to are tinted, arrow keys step, attention received),
 * the token × token matrix (drawn, zoomed, panned, a click selects a query), the heads × layers table
 * (labels as the API gives them, click-through to that head) and two models side by side. The fixture
 * (make_text_fixture.py) runs a real `precompute --texts` of a tiny random Qwen3-style checkpoint
 * (`tiny-qwen3`: a chat and a tool-using trajectory) and writes the synthetic `tiny_lm` and
 * `tiny_lm-ft` through the real text writer and catalog.
 *
 *   npm run build && node --test e2e/texts.test.mjs
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildFixture, cleanup, launchBrowser, screenshot, startServer, tempDir } from './harness.mjs';

/** @typedef {import('playwright-core').Page} Page */

const VIEWPORT = { width: 1400, height: 900 };

/** @type {string} */ let fixtureDir;
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

/** @param {string} path */
async function getJson(path) {
  const response = await fetch(server.url + path);
  return /** @type {any} */ (await response.json());
}

const search = (/** @type {Page} */ page) => new URL(page.url()).searchParams;

/** The data-tint of every token of the first panel's flow, by index. */
async function tints(/** @type {Page} */ page) {
  return page.$$eval('[data-testid="text-panel-tiny_lm"] [data-token]', (spans) => spans.map((s) => Number(s.getAttribute('data-tint'))));
}

/** How many pixels of the matrix canvas are not the background. */
function drawnPixels(/** @type {Page} */ page) {
  return page.$eval('[data-testid="token-matrix"]', (element) => {
    const canvas = /** @type {HTMLCanvasElement} */ (element);
    const data = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray();
    let drawn = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] !== 0x0b || data[i + 1] !== 0x0d || data[i + 2] !== 0x11) drawn += 1;
    return drawn;
  });
}

describe('Texts section', () => {
  before(async () => {
    fixtureDir = tempDir();
    server = await startServer(buildFixture(fixtureDir, 'make_text_fixture.py'));
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: VIEWPORT });
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.stop();
    if (fixtureDir) cleanup(fixtureDir);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });

  it('lists the texts by category from the header, opens one in a tab and tints what a token pays', async () => {
    const page = await open('/');
    await page.click('[data-testid="nav-texts"]');
    await page.waitForSelector('[data-testid="text-model"]');
    await page.selectOption('[data-testid="text-model"]', 'tiny_lm');
    await page.waitForSelector('[data-testid="text-item-math-1"]');
    assert.deepEqual(await page.$$eval('.text-list h3', (h) => h.map((e) => e.textContent)), ['agent', 'math']);
    await page.click('[data-testid="text-item-math-1"]');
    const detail = await getJson('/texts/math-1?model=tiny_lm');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="text-panel-tiny_lm"] [data-token]').length === n, detail.n_tokens);
    assert.equal(search(page).get('open'), 'math-1');
    assert.ok(await page.$('[data-testid="text-tab-math-1"]'));
    // the flow reads as the text: every token's text, in order
    const shown = await page.$$eval('[data-testid="text-panel-tiny_lm"] [data-token]', (s) => s.map((e) => e.textContent));
    assert.deepEqual(shown, detail.tokens.map((/** @type {any} */ t) => t.text.replace(/\n/g, '↵')));

    const query = 12;
    await page.click(`[data-testid="text-panel-tiny_lm"] [data-token="${query}"]`);
    await page.waitForFunction((q) => document.querySelector('[data-testid="row-readout"]')?.textContent?.includes(`token #${q} keeps`), query);
    const row = await getJson(`/texts/math-1/row?model=tiny_lm&layer=1&query=${query}`);
    const tint = await tints(page);
    const largest = Math.max(...row.keys.filter((/** @type {number} */ k) => k !== 0).map((/** @type {number} */ k) => row.values[row.keys.indexOf(k)]));
    for (let i = 0; i < tint.length; i++) {
      const at = row.keys.indexOf(i);
      const expected = at < 0 ? 0 : Math.min(1, row.values[at] / largest);
      assert.ok(Math.abs(tint[i] - expected) < 2e-3, `token ${i}: tint ${tint[i]}, expected ${expected}`);
    }
    assert.equal(search(page).get('token'), String(query));
    await screenshot(page, 'texts-token-flow');

    // arrow keys step the selected token
    await page.focus('[data-testid="token-flow"]');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((q) => document.querySelector('[data-testid="row-readout"]')?.textContent?.includes(`token #${q} keeps`), query + 1);
    assert.equal(search(page).get('token'), String(query + 1));

    // attention received: every token tinted by the column sums, the sink aside
    await page.click('[data-testid="text-mode"] button:nth-child(2)');
    const received = await getJson('/texts/math-1/received?model=tiny_lm&layer=1');
    await page.waitForFunction(() => [...document.querySelectorAll('[data-token]')].some((s, i) => i > 20 && Number(s.getAttribute('data-tint')) > 0));
    const top = Math.max(...received.values.slice(1));
    const after = await tints(page);
    for (let i = 1; i < after.length; i++) assert.ok(Math.abs(after[i] - received.values[i] / top) < 2e-3, `received ${i}`);
    await page.close();
  });

  it('shows a precomputed chat (tiny-qwen3) as the chat template rendered it, and its rows', async () => {
    const detail = await getJson('/texts/agent-1?model=tiny-qwen3');
    const page = await open('/text?model=tiny-qwen3&open=agent-1');
    const spans = '[data-testid="text-panel-tiny-qwen3"] [data-token]';
    await page.waitForFunction(([sel, n]) => document.querySelectorAll(sel).length === n, /** @type {const} */ ([spans, detail.n_tokens]));
    const roles = await page.$$eval(spans, (s) => s.map((e) => [...e.classList].find((c) => c.startsWith('role-'))?.slice(5)));
    assert.deepEqual(roles, detail.tokens.map((/** @type {any} */ t) => t.role));
    assert.ok(roles.includes('tool') && roles.includes('assistant') && roles.includes('user'));
    const last = detail.n_tokens - 1;
    await page.click(`${spans}[data-token="${last}"]`);
    await page.waitForFunction((q) => document.querySelector('[data-testid="row-readout"]')?.textContent?.includes(`token #${q} keeps`), last);
    const model = await getJson('/models');
    const layers = model.models.find((/** @type {any} */ m) => m.key === 'tiny-qwen3').layers;
    const row = await getJson(`/texts/agent-1/row?model=tiny-qwen3&layer=${layers - 1}&query=${last}`);
    const shown = await page.$$eval(spans, (s) => s.map((e) => Number(e.getAttribute('data-tint'))));
    const kept = shown.map((t, i) => (t > 0 ? i : -1)).filter((i) => i >= 0);
    assert.deepEqual(kept, row.keys.filter((/** @type {number} */ k, /** @type {number} */ i) => row.values[i] > 0));
    await screenshot(page, 'texts-precomputed');
    await page.close();
  });

  it('draws the matrix, zooms and pans it, and a click selects that query token', async () => {
    const page = await open('/text?model=tiny_lm&open=agent-1&view=matrix');
    await page.waitForSelector('[data-testid="token-matrix"]');
    await page.waitForFunction(() => document.querySelector('[data-testid="token-matrix"]')?.getAttribute('data-frame-ms') !== null);
    await page.waitForFunction(() => {
      const c = /** @type {HTMLCanvasElement | null} */ (document.querySelector('[data-testid="token-matrix"]'));
      const d = c?.getContext('2d')?.getImageData(0, 0, c.width, c.height).data;
      return d !== undefined && d.some((v, i) => i % 4 === 0 && v !== 0x0b);
    });
    const before = await drawnPixels(page);
    // causal: about half the square is drawn, the part above the diagonal stays background
    assert.ok(before > 0.3 * 560 * 560 && before < 0.7 * 560 * 560, `drawn pixels ${before}`);
    // the built app colours its tiles in the Web Worker (the bundled worker chunk loaded and answered)
    assert.equal(await page.getAttribute('[data-testid="token-matrix"]', 'data-decode'), 'worker');
    await screenshot(page, 'texts-matrix');
    const box = /** @type {NonNullable<Awaited<ReturnType<import('playwright-core').ElementHandle['boundingBox']>>>} */ (
      await (await page.$('[data-testid="token-matrix"]'))?.boundingBox()
    );
    await page.mouse.move(box.x + 400, box.y + 450);
    await page.mouse.wheel(0, -600);
    await page.waitForFunction(() => !document.querySelector('.token-matrix-bar')?.textContent?.includes('zoom ×1.0'));
    const hover = await page.textContent('[data-testid="matrix-hover"]');
    assert.match(hover ?? '', /query #\d+ .* → key #\d+/);
    // a drag pans: the hovered cell under the same point changes
    await page.mouse.down();
    await page.mouse.move(box.x + 300, box.y + 350, { steps: 5 });
    await page.mouse.up();
    await page.mouse.move(box.x + 301, box.y + 351);
    const panned = await page.textContent('[data-testid="matrix-hover"]');
    assert.notEqual(panned, hover);
    // a click (no drag) selects the row's query token and opens it in the token flow
    await page.mouse.click(box.x + 200, box.y + 500);
    await page.waitForSelector('[data-testid="token-flow"]');
    assert.ok(search(page).get('token') !== null);
    assert.equal(search(page).get('view'), null);
    await page.close();
  });

  it('shows the heads × layers table with the API’s labels; a click opens that head', async () => {
    const stats = await getJson('/texts/math-1/stats?model=tiny_lm');
    const page = await open('/text?model=tiny_lm&open=math-1&view=stats');
    await page.waitForSelector('[data-testid="head-stats"]');
    for (const s of stats.stats) {
      const id = `head-cell-${s.layer}-${s.head === -1 ? 'fused' : s.head}`;
      assert.equal(await page.getAttribute(`[data-testid="${id}"]`, 'data-label'), s.label, id);
    }
    await screenshot(page, 'texts-heads');
    await page.click('[data-testid="head-cell-1-0"] button');
    await page.waitForSelector('[data-testid="token-flow"]');
    assert.equal(search(page).get('layer'), '1');
    assert.equal(search(page).get('head'), '0');
    assert.equal(await page.inputValue('[data-testid="text-head"]'), '0');
    await page.close();
  });

  it('shows a variant beside its base on the same text and token', async () => {
    const page = await open('/text?model=tiny_lm&open=math-1&token=8');
    await page.waitForSelector('[data-testid="text-panel-tiny_lm"] [data-token]');
    await page.selectOption('[data-testid="text-compare"]', 'tiny_lm-ft');
    await page.waitForSelector('[data-testid="text-panel-tiny_lm-ft"] [data-token]');
    assert.equal(search(page).get('compare'), 'tiny_lm-ft');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="row-readout"]').length === 2);
    const readouts = await page.$$eval('[data-testid="row-readout"]', (r) => r.map((e) => e.textContent));
    assert.ok(readouts.every((text) => text?.includes('token #8 keeps')));
    await screenshot(page, 'texts-side-by-side');
    await page.close();
  });
});
