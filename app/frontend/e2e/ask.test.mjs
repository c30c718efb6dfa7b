// @ts-check
/**
 * Browser test of the Ask flow (issue 13) against the real API and a real worker: upload a photo,
 * choose a ViT and a tiny VLM, type a prompt, submit, follow the job until the worker has written
 * the maps, see the map and the answer, reload (the job is still there), open the viewer on the
 * answer, reopen the job from the recent jobs; then, with the worker stopped, the same file dropped
 * on the gallery opens Ask, is the same image, and its queued job is cancelled. The fixture (make_ask_fixture.py) precomputes both models over
 * one seed image so /models lists them; `precompute worker` gets the same models' flags.
 *
 *   npm run test:e2e      (after `npm run build`)
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { buildFixture, canvasPixels, cleanup, launchBrowser, screenshot, startServer, startWorker, tempDir } from './harness.mjs';

/** @typedef {import('playwright-core').Page} Page */

const VIEWPORT = { width: 1400, height: 900 };
const PROMPT = 'Where is the flag?';
/** a job on CPU with tiny models takes seconds; the first one also loads them */
const JOB_MS = 180_000;

/** @type {string} */ let fixtureDir;
/** @type {any} */ let fixture;
/** @type {Awaited<ReturnType<typeof startServer>>} */ let server;
/** @type {ReturnType<typeof startWorker>} */ let worker;
/** @type {Awaited<ReturnType<typeof launchBrowser>>} */ let browser;
/** @type {import('playwright-core').BrowserContext} */ let context;
/** @type {string[]} */ const pageErrors = [];
/** the first test's job and image */
const first = { job: '', image: '' };

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

const jobOf = (/** @type {Page} */ page) => new URL(page.url()).searchParams.get('job') ?? '';

/** Wait until the job on the page has finished; fail with its error and the worker's log otherwise. */
async function finished(/** @type {Page} */ page) {
  await page.waitForSelector('[data-testid="job"][data-status="done"], [data-testid="job"][data-status="failed"]', { timeout: JOB_MS });
  const status = await page.getAttribute('[data-testid="job"]', 'data-status');
  const job = await getJson(`/jobs/${jobOf(page)}`);
  assert.equal(status, 'done', `the job ${status}: ${job.error}\n--- worker log ---\n${worker.log()}`);
  return job;
}

/** Every result's map image has loaded (the API rendered it from the worker's maps). */
async function mapsLoaded(/** @type {Page} */ page, /** @type {number} */ count) {
  await page.waitForFunction(
    (n) => {
      const images = /** @type {HTMLImageElement[]} */ (Array.from(document.querySelectorAll('[data-testid="ask-result-map"]')));
      return images.length === n && images.every((img) => img.complete && img.naturalWidth > 0);
    },
    count,
    { timeout: 30_000 },
  );
}

const choose = (/** @type {Page} */ page, /** @type {string} */ key) => page.check(`[data-testid="ask-model"][data-key="${key}"] input`);

describe('Ask: a question answered by a worker', { timeout: 600_000 }, () => {
  before(async () => {
    fixtureDir = tempDir();
    fixture = buildFixture(fixtureDir, 'make_ask_fixture.py');
    server = await startServer(fixture);
    worker = startWorker(fixture, fixture.worker);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: VIEWPORT });
  });

  after(async () => {
    await browser?.close();
    await worker?.stop();
    await server?.stop();
    if (fixtureDir) cleanup(fixtureDir);
  });

  it('uploads a photo, asks a VLM and a ViT, and shows the maps and the answer; the job survives a reload and reopens from the list', async () => {
    const page = await open('/');
    await page.click('[data-testid="nav-ask"]');
    await page.waitForSelector('[data-testid="ask-form"]');
    await page.setInputFiles('[data-testid="ask-file"]', fixture.upload);
    await page.waitForFunction(() => document.querySelector('[data-testid="ask-chosen"]')?.textContent === 'photo.png');
    await choose(page, 'dinov2');
    assert.match(await page.innerText('[data-testid="ask-no-prompts"]'), /take no prompt/);
    await choose(page, 'qwen2_5_vl');
    await page.fill('[data-testid="ask-prompt"]', PROMPT);
    await screenshot(page, 'ask-form');
    await page.click('[data-testid="ask-submit"]');
    await page.waitForFunction(() => new URLSearchParams(location.search).has('job'));
    first.job = jobOf(page);
    // the first job also loads the models: catch it running when it is slow enough to be seen
    await page.waitForSelector('[data-testid="job"][data-status="running"], [data-testid="job"][data-status="done"]', { timeout: JOB_MS });
    if ((await page.getAttribute('[data-testid="job"]', 'data-status')) === 'running') await screenshot(page, 'ask-running');

    const job = await finished(page);
    first.image = job.image_id;
    assert.match(job.image_id, /^uploads__[0-9a-f]+$/, 'an upload is stored content-addressed in the gallery');
    assert.deepEqual(job.models, ['dinov2', 'qwen2_5_vl']);
    assert.deepEqual(job.prompts, [PROMPT]);
    await mapsLoaded(page, 2);
    const { models } = await getJson('/models');
    const prompt = models.find((/** @type {any} */ m) => m.key === 'qwen2_5_vl').prompts.indexOf(PROMPT);
    assert.ok(prompt >= 0, 'the new prompt is one of the model’s prompts');
    const tokens = await getJson(`/attention/${job.image_id}/tokens?model=qwen2_5_vl&prompt=${prompt}`);
    const answer = `Answer ${tokens.answer || '(empty)'}`;
    await page.waitForFunction((want) => document.querySelector('[data-testid="ask-answer"]')?.textContent === want, answer);
    await screenshot(page, 'ask-done');

    // a reload keeps the job (its id is in the URL) and shows it finished
    await page.reload();
    await page.waitForSelector('[data-testid="job"][data-status="done"]');
    await mapsLoaded(page, 2);
    assert.equal(await page.innerText('[data-testid="ask-answer"]'), answer);

    // the viewer opens on that image, model and prompt, and draws the map
    await page.click('[data-testid="ask-result"][data-model="qwen2_5_vl"] [data-testid="ask-open-viewer"]');
    await page.waitForURL((url) => url.pathname === `/view/${job.image_id}`);
    const search = new URL(page.url()).searchParams;
    assert.equal(search.get('model'), 'qwen2_5_vl');
    assert.equal(search.get('method'), 'text');
    assert.equal(search.get('prompt'), String(prompt));
    await page.waitForSelector('[data-testid="heatmap"]');
    await page.waitForFunction(() => (document.querySelector('[data-testid="heatmap"]')?.getAttribute('data-map') ?? '').startsWith('qwen2_5_vl'));
    const pixels = await canvasPixels(page);
    assert.equal(pixels.opaque, pixels.width * pixels.height, 'every cell of the map is painted');
    await screenshot(page, 'ask-viewer');
    // and from the viewer back into Ask with that image
    await page.click('[data-testid="ask-about"]');
    await page.waitForFunction((want) => document.querySelector('[data-testid="ask-chosen"]')?.textContent === want, `${job.image_id} (gallery)`);

    // the recent jobs reopen it
    await page.goto(`${server.url}/ask`);
    const link = `[data-testid="recent-job"][data-id="${first.job}"]`;
    await page.waitForSelector(link);
    assert.equal(await page.getAttribute(link, 'data-status'), 'done');
    await page.click(link);
    await page.waitForSelector('[data-testid="job"][data-status="done"]');
    assert.equal(jobOf(page), first.job);
    await mapsLoaded(page, 2);

    // and the upload stays in the gallery
    await page.goto(`${server.url}/?q=uploads`);
    await page.waitForSelector(`[data-testid="image-card"][data-id="${job.image_id}"]`);
    await page.close();
  });

  it('a file dropped on the gallery opens Ask; the same file again is the same image; a queued job is cancelled', async () => {
    assert.ok(first.image, 'runs after the first test');
    await worker.stop(); // nothing claims the next job: it stays queued
    // dropped on the gallery, the file opens Ask
    const page = await open('/');
    await page.waitForSelector('[data-testid="gallery-grid"]');
    const bytes = readFileSync(fixture.upload).toString('base64');
    const dataTransfer = await page.evaluateHandle((b64) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'photo.png', { type: 'image/png' }));
      return transfer;
    }, bytes);
    await page.dispatchEvent('[data-testid="gallery-drop"]', 'dragover', { dataTransfer });
    await page.dispatchEvent('[data-testid="gallery-drop"]', 'drop', { dataTransfer });
    await page.waitForURL((url) => url.pathname === '/ask');
    await page.waitForFunction(() => document.querySelector('[data-testid="ask-chosen"]')?.textContent === 'photo.png');
    await choose(page, 'dinov2');
    await page.click('[data-testid="ask-submit"]');
    await page.waitForSelector('[data-testid="job"][data-status="queued"]');
    assert.equal(await page.innerText('[data-testid="job-position"]'), 'Queued · position 1 in the queue');
    const job = await getJson(`/jobs/${jobOf(page)}`);
    assert.equal(job.image_id, first.image, 'one file, one image');
    assert.deepEqual(job.prompts, []);
    await screenshot(page, 'ask-queued');
    await page.click('[data-testid="job-cancel"]');
    await page.waitForSelector('[data-testid="job"][data-status="cancelled"]');
    assert.equal((await getJson(`/jobs/${jobOf(page)}`)).status, 'cancelled');
    await page.close();
    assert.deepEqual(pageErrors, []);
  });
});
