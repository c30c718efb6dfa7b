// Take docs/images/vs-base.png (and the dashboard's shift table, when the API has it) from a
// server running over the variant fixture (e2e/make_variant_fixture.py):
//
//   node scripts/screenshot_variants.mjs [base URL] [output folder]
//   node scripts/screenshot_variants.mjs http://127.0.0.1:8000 ../../docs/images
//
// If the API has no /attention/{id}/shift route yet, the difference is computed here from the two
// maps' /raw JSON exactly as the route's contract defines it (variant − base; distance: the total
// variation of the two maps each normalised to sum 1) and the script says so: retake the picture
// once the route lands. Uses Debian's Chromium (CHROMIUM_PATH, default /usr/bin/chromium).
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const [base = 'http://127.0.0.1:8000', outDir = resolve(here, '../../../docs/images')] = process.argv.slice(2);
const VIEW = '/view/img_0?model=dinov2-lora&method=cls&layer=2&head=1&interp=crisp&vs=base';

/** float16 bytes of `values` (round to nearest even), as the API sends them. */
function float16Bytes(values) {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const out = new Uint8Array(values.length * 2);
  values.forEach((value, i) => {
    f32[0] = value;
    const x = u32[0];
    const sign = (x >>> 16) & 0x8000;
    let exp = ((x >>> 23) & 0xff) - 127 + 15;
    let mant = x & 0x7fffff;
    let h;
    if (exp <= 0) {
      h = sign | Math.round((mant | 0x800000) / 2 ** (14 - exp));
    } else {
      const round = mant & 0x1fff;
      mant >>>= 13;
      if (round > 0x1000 || (round === 0x1000 && mant & 1)) mant += 1;
      if (mant === 0x400) {
        mant = 0;
        exp += 1;
      }
      h = exp >= 31 ? sign | 0x7c00 : sign | (exp << 10) | mant;
    }
    out[2 * i] = h & 0xff;
    out[2 * i + 1] = h >> 8;
  });
  return out;
}

async function rawValues(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  const body = await response.json();
  return { values: body.data.flat(), shape: body.shape };
}

const missing = await fetch(`${base}/attention/x/shift`).then(async (r) => (r.status === 404 || r.status === 405) && (await r.json()).message?.match(/^(Not Found|Method Not Allowed)$/));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 820 }, deviceScaleFactor: 1 });
  if (missing) {
    console.log('the API has no /shift route: computing the difference from /raw as the contract defines it (retake once it lands)');
    await page.route('**/attention/*/shift?*', async (route) => {
      const url = new URL(route.request().url());
      const params = new URLSearchParams(url.search);
      const other = params.get('base');
      params.delete('base');
      params.delete('format');
      const path = url.pathname.replace(/\/shift$/, '/raw');
      const { values: variant, shape } = await rawValues(`${base}${path}?${params}`);
      params.set('model', other ?? '');
      const { values: baseline } = await rawValues(`${base}${path}?${params}`);
      const diff = variant.map((v, i) => v - baseline[i]);
      const sum = (xs) => xs.reduce((a, b) => a + b, 0);
      const [sv, sb] = [sum(variant), sum(baseline)];
      const distance = 0.5 * sum(variant.map((v, i) => Math.abs(v / sv - baseline[i] / sb)));
      await route.fulfill({
        status: 200,
        body: Buffer.from(float16Bytes(diff)),
        headers: { 'X-Shape': shape.join(','), 'X-Distance': String(distance), 'X-Weights': 'random' },
      });
    });
  }
  await page.goto(base + VIEW);
  await page.waitForSelector('[data-testid="shift-diff"] [data-testid="heatmap"]');
  await page.waitForLoadState('networkidle');
  const frame = await page.locator('[data-testid="shift-diff"] [data-testid="image-frame"]').boundingBox();
  if (frame) await page.mouse.move(frame.x + frame.width * 0.3, frame.y + frame.height * 0.42); // show the readouts
  await page.waitForTimeout(300);
  mkdirSync(outDir, { recursive: true });
  await page.screenshot({ path: join(outDir, 'vs-base.png') });
  console.log(`wrote ${join(outDir, 'vs-base.png')}`);
  if (!missing && (await fetch(`${base}/metrics/shift?model=dinov2-lora&base=dinov2&method=cls`)).ok) {
    await page.goto(`${base}/dashboard?model=dinov2-lora&method=cls`);
    await page.waitForSelector('[data-testid="shift-table"]');
    await page.waitForLoadState('networkidle');
    const panel = page.locator('[data-testid="shift-panel"]');
    await panel.screenshot({ path: join(outDir, 'shift-table.png') });
    console.log(`wrote ${join(outDir, 'shift-table.png')}`);
  }
} finally {
  await browser.close();
}
