// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, type ReactNode } from 'react';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Job } from '../../api/jobs';
import { useAskStore } from '../../state/askStore';
import { DINOV2, QWEN, tokensBody } from '../../test/fixtures';
import { click, render, type Rendered } from '../../test/render';
import { AskAboutLink } from './AskAboutLink';
import { AskForm, jobRequest } from './AskForm';
import { GalleryDrop } from './GalleryDrop';
import { formatElapsed, JobCard } from './JobCard';
import { RecentJobs } from './RecentJobs';

const MODELS = [DINOV2, QWEN];
const JOB: Job = {
  id: 7,
  status: 'queued',
  position: 2,
  progress: { done: 0, total: 2 },
  image_id: 'uploads__ab12cd',
  models: ['dinov2', 'qwen2_5_vl'],
  prompts: ['Where is the flag?'],
  error: null,
  created_at: '2026-12-01T02:00:00Z',
  started_at: null,
  finished_at: null,
};

interface Call {
  url: string;
  method: string;
  headers: Headers;
  body: unknown;
}

/** The API as the contract describes it; `jobs` answers GET /jobs/{id} (one answer per call, the last repeats). */
function mockApi(answers: { jobs?: Job[]; post?: Response; del?: Response } = {}) {
  const calls: Call[] = [];
  let jobCalls = 0;
  const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const method = init.method ?? 'GET';
      calls.push({ url, method, headers: new Headers(init.headers), body: init.body });
      const path = new URL(url, 'http://x').pathname;
      if (path === '/models') return json({ models: MODELS });
      if (path === '/images') return json({ items: [], total: 0, limit: 8, offset: 0 });
      if (path === '/jobs' && method === 'POST') return answers.post ?? json({ id: 9, status: 'queued', position: 1, image_id: 'uploads/x' }, 202);
      if (path === '/jobs') return json({ jobs: answers.jobs ?? [] });
      if (path.startsWith('/jobs/') && method === 'DELETE') return answers.del ?? json({ ...JOB, status: 'cancelled', position: null });
      if (path.startsWith('/jobs/')) {
        const list = answers.jobs ?? [JOB];
        return json(list[Math.min(jobCalls++, list.length - 1)]);
      }
      if (path.endsWith('/tokens')) return json(tokensBody({ answer: 'A red flag on the left' }));
      return json({ message: 'Not Found' }, 404);
    }),
  );
  return calls;
}

function Where() {
  const location = useLocation();
  return <p data-testid="where">{location.pathname + location.search}</p>;
}

let shown: Rendered | null = null;
function show(element: ReactNode, path = '/ask') {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  shown = render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        {element}
        <Where />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return shown.container;
}

beforeEach(() => {
  localStorage.clear();
  useAskStore.setState({ token: '', jobIds: [], pendingFile: null });
});
afterEach(() => {
  shown?.unmount();
  shown = null;
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

/** Wait for `check` inside act; a polled job answers every POLL_MS (1 s), so allow a few polls. */
const settle = (check: () => void) =>
  act(async () => {
    await vi.waitFor(check, { timeout: 3000 });
  });
const q = (root: HTMLElement, id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const all = (root: HTMLElement, id: string) => Array.from(root.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`));

/** Type into a controlled input as a user does (React listens to `input`). */
function type(input: HTMLElement | null, text: string) {
  if (!(input instanceof HTMLInputElement)) throw new Error('no input');
  act(() => {
    Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!.call(input, text);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

function drop(target: HTMLElement | null, files: File[]) {
  if (target === null) throw new Error('no drop target');
  act(() => {
    for (const name of ['dragover', 'drop']) {
      const event = new Event(name, { bubbles: true, cancelable: true });
      Object.defineProperty(event, 'dataTransfer', { value: { files, types: ['Files'] } });
      target.dispatchEvent(event);
    }
  });
}

const modelBox = (root: HTMLElement, key: string) => root.querySelector(`[data-testid="ask-model"][data-key="${key}"] input`);

describe('jobRequest', () => {
  const image = { file: null, imageId: 'cat' };
  it('says what is missing, one thing at a time', () => {
    expect(jobRequest({ file: null, imageId: null }, [''], ['dinov2'], MODELS)).toMatch(/^Choose an image/);
    expect(jobRequest(image, [''], [], MODELS)).toBe('Choose at least one model.');
    expect(jobRequest(image, ['  '], ['qwen2_5_vl'], MODELS)).toBe('Type a prompt for qwen2_5_vl.');
  });
  it('sends no prompt for ViTs alone, trimmed distinct prompts with a VLM, the file before a gallery id', () => {
    expect(jobRequest(image, ['ignored'], ['dinov2'], MODELS)).toEqual({ image: null, imageId: 'cat', prompts: [], models: ['dinov2'] });
    const file = new File(['x'], 'a.png', { type: 'image/png' });
    expect(jobRequest({ file, imageId: 'cat' }, [' Where? ', 'Where?', ''], ['dinov2', 'qwen2_5_vl'], MODELS)).toEqual({
      image: file,
      imageId: null,
      prompts: ['Where?'],
      models: ['dinov2', 'qwen2_5_vl'],
    });
  });
});

describe('AskForm', () => {
  it('asks for prompts only when a VLM is chosen, and posts the multipart body with the stored token', async () => {
    const calls = mockApi();
    useAskStore.setState({ token: ' s3cret ' });
    const queued = vi.fn();
    const root = show(<AskForm initialImageId="cat" onQueued={queued} />);
    await settle(() => expect(all(root, 'ask-model')).toHaveLength(2));
    expect(q(root, 'ask-chosen')?.textContent).toBe('cat (gallery)');
    expect((q(root, 'ask-submit') as HTMLButtonElement).disabled).toBe(true);
    click(modelBox(root, 'dinov2'));
    expect(q(root, 'ask-no-prompts')?.textContent).toMatch(/take no prompt/);
    click(modelBox(root, 'qwen2_5_vl'));
    expect(q(root, 'ask-prompt-models')?.textContent).toMatch(/For qwen2_5_vl/);
    expect(q(root, 'ask-missing')?.textContent).toBe('Type a prompt for qwen2_5_vl.');
    type(q(root, 'ask-prompt'), 'Where is the flag?');
    click(q(root, 'ask-submit'));
    await settle(() => expect(queued).toHaveBeenCalledWith(9));
    const post = calls.find((c) => c.method === 'POST')!;
    expect(post.url).toBe('/jobs');
    expect(post.headers.get('Authorization')).toBe('Bearer s3cret');
    const form = post.body as FormData;
    expect(form.get('image_id')).toBe('cat');
    expect(form.getAll('prompt')).toEqual(['Where is the flag?']);
    expect(form.getAll('model')).toEqual(['dinov2', 'qwen2_5_vl']);
    expect(useAskStore.getState().jobIds).toEqual([9]);
  });

  it("uploads a dropped file, and shows the API's message for a refusal", async () => {
    const calls = mockApi({ post: new Response(JSON.stringify({ message: 'the upload is 31.2 MB; the limit is 20 MB' }), { status: 413 }) });
    const root = show(<AskForm initialImageId={null} onQueued={() => {}} />);
    await settle(() => expect(all(root, 'ask-model')).toHaveLength(2));
    expect(q(root, 'ask-missing')?.textContent).toMatch(/^Choose an image/);
    drop(q(root, 'ask-drop'), [new File(['not read'], 'notes.txt', { type: 'text/plain' }), new File(['png'], 'cat.png', { type: 'image/png' })]);
    expect(q(root, 'ask-chosen')?.textContent).toBe('cat.png');
    click(modelBox(root, 'dinov2'));
    click(q(root, 'ask-submit'));
    await settle(() => expect(q(root, 'ask-submit-error')?.textContent).toBe('the upload is 31.2 MB; the limit is 20 MB'));
    const form = calls.find((c) => c.method === 'POST')!.body as FormData;
    expect((form.get('image') as File).name).toBe('cat.png');
    expect(form.get('image_id')).toBeNull();
    expect(form.getAll('prompt')).toEqual([]);
    expect(calls.find((c) => c.method === 'POST')!.headers.has('Authorization')).toBe(false);
  });
});

describe('the API token', () => {
  it('opens the token field when the server wants one (401), and the next submit carries what was typed', async () => {
    const calls = mockApi({ post: new Response(JSON.stringify({ message: 'this server takes jobs with its token' }), { status: 401 }) });
    const root = show(<AskForm initialImageId="cat" onQueued={() => {}} />);
    await settle(() => expect(all(root, 'ask-model')).toHaveLength(2));
    expect(q(root, 'ask-token')).toBeNull();
    click(modelBox(root, 'dinov2'));
    click(q(root, 'ask-submit'));
    await settle(() => expect(q(root, 'ask-submit-error')?.textContent).toBe('this server takes jobs with its token'));
    type(q(root, 'ask-token'), 'tok-1');
    expect(useAskStore.getState().token).toBe('tok-1');
    click(q(root, 'ask-submit'));
    await settle(() => expect(calls.filter((c) => c.method === 'POST')).toHaveLength(2));
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.headers.get('Authorization'))).toEqual([null, 'Bearer tok-1']);
  });
});

describe('AskAboutLink', () => {
  it("links the viewer's image into Ask", () => {
    const root = show(<AskAboutLink imageId="a b/c" />, '/view/x');
    expect(q(root, 'ask-about')?.getAttribute('href')).toBe('/ask?image=a%20b%2Fc');
  });
});

describe('GalleryDrop', () => {
  it('opens Ask with a file dropped on the gallery, which the form then shows', async () => {
    mockApi();
    const root = show(
      <Routes>
        <Route path="/" element={<GalleryDrop>gallery</GalleryDrop>} />
        <Route path="/ask" element={<AskForm initialImageId={null} onQueued={() => {}} />} />
      </Routes>,
      '/',
    );
    drop(q(root, 'gallery-drop'), [new File(['png'], 'dropped.png', { type: 'image/png' })]);
    await settle(() => expect(q(root, 'where')?.textContent).toBe('/ask'));
    expect(q(root, 'ask-chosen')?.textContent).toBe('dropped.png');
    expect(useAskStore.getState().pendingFile).toBeNull();
  });
});

describe('JobCard', () => {
  it('follows a job from queued (position) to running (progress) to done (map, answer, viewer link)', async () => {
    const running = { ...JOB, status: 'running' as const, position: null, started_at: new Date(Date.now() - 65_000).toISOString(), progress: { done: 1, total: 2 } };
    const done = { ...running, status: 'done' as const, progress: { done: 2, total: 2 }, finished_at: new Date().toISOString() };
    mockApi({ jobs: [JOB, running, done] });
    const root = show(<JobCard jobId={7} />);
    await settle(() => expect(q(root, 'job-position')?.textContent).toBe('Queued · position 2 in the queue'));
    expect(q(root, 'job-cancel')).not.toBeNull();
    await settle(() => expect(q(root, 'job-progress')?.textContent).toMatch(/^Running · 1 of 2 done · 1 min 0[5-9] s/));
    await settle(() => expect(q(root, 'job')?.dataset.status).toBe('done'));
    expect(q(root, 'job-cancel')).toBeNull();
    await settle(() => expect(all(root, 'ask-result')).toHaveLength(2));
    const [vit, vlm] = all(root, 'ask-open-viewer').map((a) => a.getAttribute('href'));
    expect(vit).toBe('/view/uploads__ab12cd?model=dinov2&method=cls');
    // the job's prompt is QWEN's second (index 1)
    expect(vlm).toBe('/view/uploads__ab12cd?model=qwen2_5_vl&method=text&prompt=1');
    const maps = all(root, 'ask-result-map').map((img) => img.getAttribute('src'));
    expect(maps[1]).toBe('/attention/uploads__ab12cd/heatmap.png?model=qwen2_5_vl&method=text&prompt=1&layer=35&size=320');
    await settle(() => expect(q(root, 'ask-answer')?.textContent).toBe('Answer A red flag on the left'));
  });

  it('shows why a job failed, and cancels a queued one with DELETE', async () => {
    mockApi({ jobs: [{ ...JOB, status: 'failed', position: null, error: 'the image cannot be decoded' }] });
    let root = show(<JobCard jobId={7} />);
    await settle(() => expect(q(root, 'job-error')?.textContent).toBe('Failed: the image cannot be decoded'));
    shown?.unmount();
    const calls = mockApi();
    useAskStore.setState({ token: 'tok' });
    root = show(<JobCard jobId={7} />);
    await settle(() => expect(q(root, 'job-cancel')).not.toBeNull());
    click(q(root, 'job-cancel'));
    await settle(() => expect(q(root, 'job')?.dataset.status).toBe('cancelled'));
    const del = calls.find((c) => c.method === 'DELETE')!;
    expect(del.url).toBe('/jobs/7');
    expect(del.headers.get('Authorization')).toBe('Bearer tok');
  });

  it('says no worker has taken a job that waits first in the queue for long', async () => {
    mockApi({ jobs: [{ ...JOB, position: 1, created_at: new Date(Date.now() - 60_000).toISOString() }] });
    const root = show(<JobCard jobId={7} />);
    await settle(() => expect(q(root, 'job-no-worker')?.textContent).toMatch(/^No worker has taken it yet: is precompute worker running for dinov2, qwen2_5_vl/));
    shown?.unmount();
    mockApi({ jobs: [{ ...JOB, position: 1, created_at: new Date().toISOString() }] });
    const fresh = show(<JobCard jobId={7} />);
    await settle(() => expect(q(fresh, 'job-position')).not.toBeNull());
    expect(q(fresh, 'job-no-worker')).toBeNull();
  });

  it("shows the API's message for a job that does not exist", async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ message: 'no job 99' }), { status: 404 })));
    const root = show(<JobCard jobId={99} />);
    await settle(() => expect(root.textContent).toContain('no job 99'));
  });
});

describe('RecentJobs', () => {
  it('lists the newest jobs, each reopening its job, marking this browser’s', async () => {
    mockApi({ jobs: [{ ...JOB, id: 8, status: 'done' }, JOB] });
    useAskStore.getState().remember(8);
    const root = show(<RecentJobs current={8} />);
    await settle(() => expect(all(root, 'recent-job')).toHaveLength(2));
    const links = all(root, 'recent-job');
    expect(links.map((a) => a.getAttribute('href'))).toEqual(['/ask?job=8', '/ask?job=7']);
    expect(links[0]!.textContent).toContain('yours');
    expect(links[1]!.textContent).not.toContain('yours');
    click(links[1]!);
    expect(q(root, 'where')?.textContent).toBe('/ask?job=7');
  });
});

describe('the ask store and the elapsed time', () => {
  it('remembers job ids newest first without repeats, and keeps them and the token in localStorage', () => {
    const store = useAskStore.getState();
    store.remember(1);
    store.remember(2);
    store.remember(1);
    store.setToken('t');
    expect(useAskStore.getState().jobIds).toEqual([1, 2]);
    expect(JSON.parse(localStorage.getItem('ssl-attention-ask')!).state).toEqual({ token: 't', jobIds: [1, 2] });
  });
  it('formats seconds', () => {
    expect(formatElapsed(4.7)).toBe('4 s');
    expect(formatElapsed(125)).toBe('2 min 05 s');
    expect(formatElapsed(-3)).toBe('0 s');
  });
});
