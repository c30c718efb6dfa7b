// @ts-check
/**
 * Browser tests of what a new user trips over in the first hour (issue 15): the app on a phone
 * (390 px: no sideways scrolling, the image's name and the RANDOM WEIGHTS badge visible),
 * letterboxed thumbnails, the commands it suggests acting on the served gallery, store and
 * catalog (not precompute's defaults), the aspect warning, the default model, the unreadable page.
 * The fixture (make_small_fixture.py) is a gallery of one's own in a folder whose name has a space.
 *
 *   npm run test:e2e      (after `npm run build`)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildFixture, cleanup, launchBrowser, screenshot, startServer, tempDir } from './harness.mjs';

/** @typedef {import('playwright-core').Page} Page */

const PHONE = { width: 390, height: 844 };

/** @type {string} */ let fixtureDir;
/** @type {ReturnType<typeof buildFixture>} */ let paths;
/** @type {Awaited<ReturnType<typeof startServer>>} */ let server;
/** @type {Awaited<ReturnType<typeof launchBrowser>>} */ let browser;
/** @type {import('playwright-core').BrowserContext} */ let phone;
/** @type {string[]} */ const pageErrors = [];

/** @param {string} path */
async function open(path, context = phone, base = server.url) {
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(`${path}: ${error.message}`));
  await page.goto(base + path);
  return page;
}

/** The page does not scroll sideways: nothing is wider than the viewport. */
async function noSidewaysScroll(/** @type {Page} */ page, /** @type {string} */ what) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.scrollingElement?.scrollWidth ?? 0,
    innerWidth: window.innerWidth,
  }));
  assert.ok(scrollWidth <= innerWidth, `${what}: the page is ${scrollWidth} px wide in a ${innerWidth} px viewport`);
}

/** The element is shown and lies inside the viewport horizontally. */
async function onScreen(/** @type {Page} */ page, /** @type {string} */ testId) {
  const element = page.getByTestId(testId).first();
  await element.waitFor({ state: 'visible' });
  const box = await element.boundingBox();
  assert.ok(box !== null && box.width > 0 && box.height > 0, `${testId} has a size`);
  assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, `${testId} lies inside the viewport (x ${box.x}, width ${box.width})`);
}

/** The served flags as the app must append them: the folder with a space quoted. */
function servedFlags(db = paths.db) {
  return `--images '${paths.images}' --store ${paths.store} --db ${db}`;
}

describe('the first hour, in a browser', { timeout: 240_000 }, () => {
  before(async () => {
    fixtureDir = tempDir();
    paths = buildFixture(fixtureDir, 'make_small_fixture.py');
    server = await startServer(paths);
    browser = await launchBrowser();
    phone = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 1 });
  });

  after(async () => {
    await phone?.close().catch(() => {});
    await browser?.close().catch(() => {});
    await server?.stop();
    if (fixtureDir) cleanup(fixtureDir);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });

  it('at 390 px the gallery does not scroll sideways, and a tall thumbnail shows the whole image', async () => {
    const page = await open('/');
    const tall = page.locator('[data-id="tall"] img');
    await tall.waitFor();
    await page.waitForFunction(() => {
      const img = /** @type {HTMLImageElement | null} */ (document.querySelector('[data-id="tall"] img'));
      return img !== null && img.complete && img.naturalWidth > 0;
    });
    await noSidewaysScroll(page, 'gallery');
    await screenshot(page, 'phone-gallery');
    // what the card draws: its top red band and its bottom blue band are both on screen
    const png = (await tall.screenshot()).toString('base64');
    const column = await page.evaluate(async (data) => {
      const image = new Image();
      image.src = `data:image/png;base64,${data}`;
      await image.decode();
      const canvas = document.createElement('canvas');
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext('2d');
      if (context === null) throw new Error('no 2d context');
      context.drawImage(image, 0, 0);
      const x = Math.floor(image.width / 2);
      const rows = [];
      for (let y = 0; y < image.height; y++) rows.push([...context.getImageData(x, y, 1, 1).data.slice(0, 3)]);
      return rows;
    }, png);
    const red = column.findIndex(([r, g, b]) => r > 200 && g < 60 && b < 60);
    const blue = column.findLastIndex(([r, g, b]) => b > 200 && r < 60 && g < 60);
    assert.ok(red >= 0, 'the top (red) of the 180×720 portrait is in its thumbnail');
    assert.ok(blue > red, 'the bottom (blue) of the 180×720 portrait is in its thumbnail, below the top');
  });

  it('at 390 px the viewer keeps the image name and the RANDOM WEIGHTS badge, and no page scrolls sideways', async () => {
    const page = await open('/view/wide_ok?model=mae');
    await page.waitForSelector('[data-testid="heatmap"]');
    await onScreen(page, 'image-title');
    assert.equal(await page.getByTestId('image-title').innerText(), 'wide_ok');
    await onScreen(page, 'random-weights-badge');
    await noSidewaysScroll(page, 'viewer');
    await screenshot(page, 'phone-viewer');
    await page.close();
    for (const [path, ready, name] of [
      ['/view/wide_ok?model=mae&mode=heads', '[data-testid="heatmap"], canvas', 'all heads'],
      ['/view/wide_ok?mode=compare&models=dinov2,mae,clip', 'canvas', 'compare'],
      ['/dashboard', '[data-testid="leaderboard-bar"]', 'dashboard'],
    ]) {
      const other = await open(path);
      await other.waitForSelector(ready);
      await other.waitForTimeout(300); // charts take their measured width
      await noSidewaysScroll(other, name);
      await onScreen(other, name === 'dashboard' ? 'leaderboard-chart' : 'image-title');
      if (name === 'dashboard') {
        // the leaderboard is not clipped: every bar (model, method) lies inside the viewport, none scrolled away
        const bars = await other.$$eval('[data-testid="leaderboard-bar"]', (elements) =>
          elements.map((e) => {
            const r = e.getBoundingClientRect();
            return { model: e.getAttribute('data-model'), left: r.left, right: r.right };
          }),
        );
        assert.ok(bars.length >= 6, `one bar per model and method (${bars.length})`);
        for (const bar of bars) assert.ok(bar.left >= 0 && bar.right <= PHONE.width, `${bar.model}'s bar is inside the viewport`);
        const models = new Set(bars.map((b) => b.model));
        assert.deepEqual([...models].sort(), ['clip', 'dinov2', 'mae', 'qwen2_5_vl']);
      }
      await screenshot(other, `phone-${name.replace(' ', '-')}`);
      await other.close();
    }
  });

  it('suggests precompute for the served gallery, store and catalog', async () => {
    // the dashboard of the same store before `--metrics`
    const bare = await startServer({ ...paths, db: paths.db_nometrics });
    try {
      const dashboard = await open('/dashboard', phone, bare.url);
      await dashboard.getByText('No metrics yet').waitFor();
      const command = dashboard.locator('.command code');
      await dashboard.waitForFunction(() => document.querySelector('.command code')?.textContent?.includes('--images'));
      assert.equal(await command.innerText(), `precompute --models all --per-head --metrics ${servedFlags(paths.db_nometrics)}`);
      await noSidewaysScroll(dashboard, 'no metrics yet');
      await screenshot(dashboard, 'phone-no-metrics');
    } finally {
      await bare.stop();
    }
  });

  it('the unreadable file: a warning sign (not a spinner), the served command, a way back to the gallery', async () => {
    const page = await open('/view/broken');
    const state = page.getByTestId('empty-state');
    await state.waitFor();
    assert.match(await state.innerText(), /precompute could not use broken/);
    assert.equal(await page.locator('.state-icon').innerText(), '!');
    assert.equal(await page.locator('.state-icon').getAttribute('data-icon'), 'broken');
    await page.waitForFunction(() => document.querySelector('.command code')?.textContent?.includes('--images'));
    assert.equal(await page.locator('.command code').innerText(), `precompute --models all --per-head ${servedFlags()}`);
    await noSidewaysScroll(page, 'unreadable');
    await screenshot(page, 'phone-unreadable');
    await page.getByRole('link', { name: 'Back to the gallery' }).click();
    await page.waitForSelector('[data-testid="gallery-grid"]');
    assert.equal(new URL(page.url()).pathname, '/');
  });

  it('warns beyond 2:1 for the ViTs, not for a VLM, not for an ordinary photo; the default model is dinov2', async () => {
    const page = await open('/view/panorama');
    await page.waitForSelector('[data-testid="heatmap"]');
    assert.equal(new URL(page.url()).searchParams.get('model'), 'dinov2', "the registry's first model, not the alphabet's (clip)");
    const notice = page.getByTestId('aspect-notice');
    await notice.waitFor();
    const text = await notice.innerText();
    assert.match(text, /4:1 \(800×200\)/);
    assert.match(text, /dinov2 sees it squashed/);
    assert.match(text, /133\.3×33\.3 px/); // 800 / 6 × 200 / 6: the tiny models' 6×6 grid
    await noSidewaysScroll(page, 'aspect notice');
    await screenshot(page, 'phone-aspect');
    await page.close();
    const vlm = await open('/view/panorama?model=qwen2_5_vl&method=mean');
    await vlm.waitForSelector('[data-testid="heatmap"]');
    assert.equal(await vlm.getByTestId('aspect-notice').count(), 0, 'a VLM keeps the aspect');
    await vlm.close();
    const photo = await open('/view/wide_ok');
    await photo.waitForSelector('[data-testid="heatmap"]');
    assert.equal(new URL(photo.url()).searchParams.get('model'), 'dinov2');
    assert.equal(await photo.getByTestId('aspect-notice').count(), 0, '4:3 is not extreme');
    await photo.close();
  });
});
