// @ts-check
/**
 * Browser test of a VLM's prompt and answer tokens in the token flow (issue 12): the fixture
 * (make_vlm_text_fixture.py) runs a real `precompute` of a tiny random Qwen2.5-VL over one image and
 * two prompts; the viewer's token strip gets a folded token-flow panel over the same prompt's text
 * tokens, whose tints are the API's rows, and a link opens the same text in the Texts section, where
 * the VLM's texts are listed under category `vlm`.
 *
 *   npm run build && node --test e2e/vlm_texts.test.mjs
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildFixture, cleanup, launchBrowser, screenshot, startServer, tempDir } from './harness.mjs';

const VIEWPORT = { width: 1400, height: 1000 };
const MODEL = 'qwen2_5_vl';

/** @type {string} */ let fixtureDir;
/** @type {Awaited<ReturnType<typeof startServer>>} */ let server;
/** @type {Awaited<ReturnType<typeof launchBrowser>>} */ let browser;
/** @type {import('playwright-core').BrowserContext} */ let context;
/** @type {string[]} */ const pageErrors = [];

/** @param {string} path */
async function getJson(path) {
  const response = await fetch(server.url + path);
  return /** @type {any} */ (await response.json());
}

describe("a VLM's prompt and answer tokens in the token flow", () => {
  before(async () => {
    fixtureDir = tempDir();
    server = await startServer(buildFixture(fixtureDir, 'make_vlm_text_fixture.py'));
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

  it('opens the token flow under the token strip, tints what a clicked answer token pays, and opens it in Texts', async () => {
    const tokens = await getJson(`/attention/sub__nested_0/tokens?model=${MODEL}&prompt=1`);
    assert.equal(tokens.text_id, 'sub__nested_0.p1');
    const detail = await getJson(`/texts/sub__nested_0.p1?model=${MODEL}`);
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${server.url}/view/sub__nested_0?model=${MODEL}&prompt=1&layer=1`);
    await page.getByTestId('token-strip').getByTestId('token').first().waitFor();
    await page.click('[data-testid="vlm-token-flow"] summary');
    const panel = page.getByTestId('vlm-token-flow');
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="vlm-token-flow"] [data-token]').length === n, detail.n_tokens);
    // the flow reads as the sequence's text tokens, the answer last
    const shown = await panel.locator('[data-token]').allTextContents();
    assert.deepEqual(shown, detail.tokens.map((/** @type {any} */ t) => t.text.replace(/\n/g, '↵')));
    const query = detail.n_tokens - 1;
    await panel.locator(`[data-token="${query}"]`).click();
    await page.waitForFunction((q) => document.querySelector('[data-testid="vlm-token-flow"] [data-testid="row-readout"]')?.textContent?.includes(`token #${q} keeps`), query);
    const row = await getJson(`/texts/sub__nested_0.p1/row?model=${MODEL}&layer=1&query=${query}`);
    const tint = await panel.locator('[data-token]').evaluateAll((spans) => spans.map((s) => Number(s.getAttribute('data-tint'))));
    const largest = Math.max(...row.keys.filter((/** @type {number} */ k) => k !== 0).map((/** @type {number} */ k) => row.values[row.keys.indexOf(k)]));
    for (let i = 0; i < tint.length; i++) {
      const at = row.keys.indexOf(i);
      const expected = at < 0 ? 0 : Math.min(1, row.values[at] / largest);
      assert.ok(Math.abs(tint[i] - expected) < 2e-3, `token ${i}: tint ${tint[i]}, expected ${expected}`);
    }
    // kept + residual = 1: the residual holds the image's share
    const kept = row.values.reduce((/** @type {number} */ a, /** @type {number} */ b) => a + b, 0);
    assert.ok(Math.abs(kept + row.residual - 1) < 1e-3);
    await screenshot(page, 'vlm-token-flow');

    await page.selectOption('[data-testid="vlm-flow-head"]', '1');
    await page.waitForFunction(() => document.querySelector('[data-testid="vlm-token-flow"] [data-testid="row-readout"]') !== null);
    await page.click('[data-testid="vlm-flow-open"]');
    await page.waitForURL((url) => url.pathname === '/text');
    const params = new URL(page.url()).searchParams;
    assert.deepEqual([params.get('model'), params.get('open'), params.get('head'), params.get('token')], [MODEL, 'sub__nested_0.p1', '1', String(query)]);
    await page.waitForSelector(`[data-testid="text-panel-${MODEL}"] [data-token]`);
    await page.waitForSelector('[data-testid="text-item-sub__nested_0.p0"]');
    assert.deepEqual(await page.$$eval('.text-list h3', (h) => h.map((e) => e.textContent)), ['vlm']);
    await page.close();
  });
});
