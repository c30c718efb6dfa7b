// @ts-check
/**
 * Browser test of gradrollout (issue 17): the viewer offers a ViT's gradrollout with a target
 * selector, and choosing the other target asks the API for that target's map. The fixture
 * (make_gradrollout_fixture.py) runs `precompute --target-text` twice on a tiny random CLIP.
 *
 *   npm run test:e2e      (after `npm run build`)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildFixture, cleanup, launchBrowser, screenshot, startServer, tempDir } from './harness.mjs';

/** @type {string} */ let fixtureDir;
/** @type {Awaited<ReturnType<typeof startServer>>} */ let server;
/** @type {Awaited<ReturnType<typeof launchBrowser>>} */ let browser;

describe('gradrollout', { timeout: 300_000 }, () => {
  before(async () => {
    fixtureDir = tempDir();
    server = await startServer(buildFixture(fixtureDir, 'make_gradrollout_fixture.py'));
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (fixtureDir) cleanup(fixtureDir);
  });

  it('the viewer shows a target selector, and the chosen target is the one asked for', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    /** @type {string[]} */ const errors = [];
    page.on('pageerror', (error) => errors.push(error.message));
    /** @type {string[]} */ const asked = [];
    page.on('request', (request) => {
      if (request.url().includes('method=gradrollout')) asked.push(request.url());
    });
    await page.goto(`${server.url}/view/img_0?model=clip&method=gradrollout`);
    await page.waitForSelector('[data-testid="target-select"]');
    const options = await page.$$eval('[data-testid="target-select"] option', (os) => os.map((o) => o.textContent));
    assert.deepEqual(options, ['“a photo of a cat”', '“a dog”']);
    await page.waitForSelector('[data-testid="heatmap"]');
    await page.selectOption('[data-testid="target-select"]', '1');
    await page.waitForFunction(() => window.location.search.includes('prompt=1'));
    await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.includes('method=gradrollout') && e.name.includes('prompt=1')));
    assert.ok(asked.some((url) => url.includes('prompt=1')), asked.join('\n'));
    await screenshot(page, 'gradrollout-target');
    await context.close();
    assert.deepEqual(errors, []);
  });
});
