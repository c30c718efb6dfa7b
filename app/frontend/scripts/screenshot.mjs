// Take the docs' screenshots from a running server (./dev.sh, or uvicorn + a built app):
//
//   node scripts/screenshot.mjs [base URL] [view path] [output PNG]
//   node scripts/screenshot.mjs http://127.0.0.1:8000 '/dashboard?metric=energy' ../../docs/images/dashboard.png
//
// defaults: http://127.0.0.1:8000, the chelsea_cat viewer, ../../docs/images/web-app.png.
// docs/images/vlm-view.png: over the e2e fixture (make_fixture.py), the view
//   '/view/img_0?model=qwen2_5_vl&method=text&prompt=0&token=10-13&layer=2&interp=crisp'.
// A /dashboard path is taken as a full-page screenshot once its charts and thumbnails are drawn.
// Uses Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const [base = 'http://127.0.0.1:8000', view = '/view/chelsea_cat?model=dinov2&method=cls&layer=11', out = resolve(here, '../../../docs/images/web-app.png')] =
  process.argv.slice(2);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  await page.goto(base + view);
  const dashboard = view.startsWith('/dashboard');
  if (dashboard) {
    await page.waitForSelector('[data-testid="leaderboard-bar"]');
    await page.waitForSelector('[data-testid="progression-line"]');
    await page.waitForLoadState('networkidle');
    await page.waitForFunction(() => [...document.querySelectorAll('img')].every((img) => img.complete));
    await page.locator('[data-testid="leaderboard-bar"]').first().hover(); // show a readout
  } else {
    await page.waitForSelector('[data-testid="heatmap"]');
    await page.waitForLoadState('networkidle');
    const frame = await page.getByTestId('image-frame').boundingBox();
    if (frame) await page.mouse.move(frame.x + frame.width * 0.3, frame.y + frame.height * 0.42); // show a readout
  }
  await page.waitForTimeout(300);
  mkdirSync(dirname(out), { recursive: true });
  await page.screenshot({ path: out, fullPage: dashboard });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
}
