// @ts-check
/**
 * Browser tests of faithfulness (issue 17): the dashboard's faithfulness panel ranks a real tiny
 * model's maps by deletion AUC with intervals, and the viewer plots one image's curves. The fixture
 * (make_faithfulness_fixture.py) runs `precompute --faithfulness` on a tiny random DINOv2.
 *
 *   npm run test:e2e      (after `npm run build`)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildFixture, cleanup, launchBrowser, screenshot, startServer, tempDir } from './harness.mjs';

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

describe('faithfulness', { timeout: 300_000 }, () => {
  before(async () => {
    fixtureDir = tempDir();
    server = await startServer(buildFixture(fixtureDir, 'make_faithfulness_fixture.py'));
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (fixtureDir) cleanup(fixtureDir);
  });

  it('the dashboard ranks the maps by deletion AUC, the baselines among them', async () => {
    const summary = await (await fetch(`${server.url}/metrics/faithfulness`)).json();
    const cells = summary.models[0].cells;
    const page = await open('/dashboard');
    await page.waitForSelector('[data-testid="faithfulness-table"]');
    const rows = await page.$$eval('[data-testid="faithfulness-row"]', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
    assert.equal(rows.length, Math.min(15, cells.length));
    const means = rows.map((r) => Number(r[3]));
    assert.deepEqual(means, [...means].sort((a, b) => a - b), 'lowest deletion AUC first');
    const best = Math.min(...cells.map((/** @type {any} */ c) => c.deletion.mean));
    assert.equal(rows[0]?.[3], best.toFixed(3));
    await page.selectOption('[data-testid="faith-curve"]', 'insertion');
    await page.waitForFunction(() => document.querySelector('[data-testid="faithfulness-table"] th:nth-child(4)')?.textContent?.includes('insertion'));
    await page.selectOption('[data-testid="faith-scope"]', 'models');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="faithfulness-row"]').length === 3); // best map + 2 baselines
    await screenshot(page, 'faithfulness-panel');
    await page.close();
  });

  it('the viewer plots the curves of the map on screen', async () => {
    const page = await open('/view/img_0?model=dinov2&method=cls&layer=2');
    await page.waitForSelector('[data-testid="faithfulness-chart"]');
    const points = await page.$eval('[data-testid="curve-deletion"]', (el) => el.getAttribute('points') ?? '');
    assert.equal(points.split(' ').length, 5, 'steps + 1 points');
    assert.match(await page.$eval('[data-testid="faithfulness-map"]', (el) => el.textContent ?? ''), /cls · layer 2 · fused · embedding-cosine, 4 steps/);
    assert.ok(await page.$('[data-testid="curve-random-deletion"]'));
    await page.close();
    assert.deepEqual(pageErrors, []);
  });
});
