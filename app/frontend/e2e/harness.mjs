// @ts-check
/**
 * The browser tests' harness: build the fixture store (Python), run the real FastAPI server
 * serving the built app over it, drive Debian's Chromium with playwright-core, and clean up.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO = resolve(FRONTEND, '..', '..');
export const DIST = join(FRONTEND, 'dist');
export const RESULTS = join(FRONTEND, 'test-results');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The repository's virtual environment's python, else python3 (override: SSL_ATTENTION_PYTHON). */
export function python() {
  if (process.env.SSL_ATTENTION_PYTHON) return process.env.SSL_ATTENTION_PYTHON;
  const venv = join(REPO, '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : 'python3';
}

/** A temporary folder, removed by `cleanup`. */
export function tempDir(prefix = 'ssl-attention-e2e-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Precompute the tiny-checkpoint fixture into `dir` (see make_fixture.py), or run another fixture
 * script of e2e/ (make_variant_fixture.py: a model and its variant, no metrics copies).
 * @param {string} dir
 * @param {string} [script]
 * @returns {{ images: string, store: string, db: string, db_many: string, db_nometrics: string }}
 */
export function buildFixture(dir, script = 'make_fixture.py') {
  const result = spawnSync(python(), [join(FRONTEND, 'e2e', script), dir], {
    cwd: REPO,
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error' },
    timeout: 300_000,
  });
  if (result.status !== 0) {
    throw new Error(`${script} failed (${result.status ?? result.signal}):\n${result.stderr}\n${result.stdout}`);
  }
  const last = result.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(last);
}

/** @returns {Promise<number>} a free TCP port on 127.0.0.1 */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Start `uvicorn app.backend.main:app` over a store; resolves once it answers.
 * `ready` is the status /health must return (200, or 503 for a server without data).
 * @param {{ images: string, store: string, db: string }} paths
 * @param {{ ready?: number, dist?: string }} [options] `dist`: another built app (a benchmark's baseline)
 */
export async function startServer(paths, { ready = 200, dist = DIST } = {}) {
  if (!existsSync(join(dist, 'index.html'))) {
    throw new Error(`no built app in ${dist}: run \`npm run build\` first (./dev.sh test does)`);
  }
  const port = await freePort();
  const child = spawn(python(), ['-m', 'uvicorn', 'app.backend.main:app', '--host', '127.0.0.1', '--port', String(port)], {
    cwd: REPO,
    detached: true, // its own process group, so stop() ends it and anything it started
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      SSL_ATTENTION_IMAGES: paths.images,
      SSL_ATTENTION_STORE: paths.store,
      SSL_ATTENTION_DB: paths.db,
      SSL_ATTENTION_FRONTEND_DIST: dist,
      HF_HUB_OFFLINE: '1',
    },
  });
  let log = '';
  child.stdout?.on('data', (chunk) => (log += chunk));
  child.stderr?.on('data', (chunk) => (log += chunk));
  let exited = false;
  child.on('exit', () => (exited = true));
  const stop = () => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  process.once('exit', stop);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited) throw new Error(`the server exited before answering:\n${log}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.status === ready) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      stop();
      throw new Error(`the server did not answer /health with ${ready} within 60 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    log: () => log,
    /** Stop the server and wait for it to exit. */
    async stop() {
      stop();
      const until = Date.now() + 10_000;
      while (!exited && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      if (!exited && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    },
  };
}

/**
 * Start `precompute worker` (the Ask queue's worker, issue 13) over a store with `args` (its models'
 * flags), in its own process group; `stop()` ends it. It is running once spawned: a job it has not
 * claimed yet just waits in the queue.
 * @param {{ images: string, store: string, db: string }} paths
 * @param {string[]} args
 */
export function startWorker(paths, args) {
  const child = spawn(
    python(),
    ['-m', 'precompute', 'worker', ...args, '--images', paths.images, '--store', paths.store, '--db', paths.db],
    {
      cwd: REPO,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error' },
    },
  );
  let log = '';
  child.stdout?.on('data', (chunk) => (log += chunk));
  child.stderr?.on('data', (chunk) => (log += chunk));
  let exited = false;
  child.on('exit', () => (exited = true));
  const kill = (/** @type {NodeJS.Signals} */ signal) => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // already gone
    }
  };
  process.once('exit', () => kill('SIGTERM'));
  return {
    log: () => log,
    exited: () => exited,
    /** Stop the worker (SIGTERM, then SIGKILL after 10 s) and wait for it to exit. */
    async stop() {
      kill('SIGTERM');
      const until = Date.now() + 10_000;
      while (!exited && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      kill('SIGKILL');
    },
  };
}

/** Debian's Chromium, headless (never a downloaded browser build). */
export async function launchBrowser() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (./dev.sh test does)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
  });
}

/**
 * Save a screenshot under test-results/.
 * @param {import('playwright-core').Page} page
 * @param {string} name
 */
export async function screenshot(page, name) {
  mkdirSync(RESULTS, { recursive: true });
  const path = join(RESULTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/**
 * The pixels of a heatmap canvas: its size, how many distinct colours, a signature to compare.
 * @param {import('playwright-core').Page} page
 * @param {string} [selector]
 */
export function canvasPixels(page, selector = '[data-testid="heatmap"]') {
  return page.$eval(selector, (element) => {
    const canvas = /** @type {HTMLCanvasElement} */ (element);
    const context = canvas.getContext('2d');
    if (context === null) throw new Error('no 2d context');
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    const colours = new Set();
    let opaque = 0;
    let signature = '';
    for (let i = 0; i < data.length; i += 4) {
      colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      if (data[i + 3] === 255) opaque += 1;
      signature += `${data[i].toString(16)}.${data[i + 1].toString(16)}.${data[i + 2].toString(16)},`;
    }
    return {
      width: canvas.width,
      height: canvas.height,
      colours: colours.size,
      opaque,
      signature,
      label: canvas.dataset.map ?? '',
    };
  });
}

/** @param {string} dir */
export function cleanup(dir) {
  rmSync(dir, { recursive: true, force: true });
}
