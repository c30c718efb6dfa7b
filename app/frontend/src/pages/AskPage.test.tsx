// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act } from 'react';
import { createMemoryRouter, RouterProvider } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DINOV2 } from '../test/fixtures';
import { click, render, type Rendered } from '../test/render';
import { useAskStore } from '../state/askStore';
import { AskPage } from './AskPage';

let shown: Rendered | null = null;
afterEach(() => {
  shown?.unmount();
  shown = null;
  vi.unstubAllGlobals();
});

const JOB = {
  id: 12,
  status: 'done',
  position: null,
  progress: { done: 1, total: 1 },
  image_id: 'cat',
  models: ['dinov2'],
  prompts: [],
  error: null,
  created_at: '2026-12-01T02:00:00Z',
  started_at: '2026-12-01T02:00:01Z',
  finished_at: '2026-12-01T02:00:04Z',
};

function mockApi() {
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init: RequestInit = {}) => {
      const path = new URL(url, 'http://x').pathname;
      const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });
      if (path === '/models') return json({ models: [DINOV2] });
      if (path === '/images') return json({ items: [], total: 0, limit: 8, offset: 0 });
      if (path === '/jobs' && init.method === 'POST') return json({ id: 13, status: 'queued', position: 1, image_id: 'cat' }, 202);
      if (path === '/jobs') return json({ jobs: [JOB] });
      if (path === '/jobs/12') return json(JOB);
      if (path === '/jobs/13') return json({ ...JOB, id: 13, status: 'queued', position: 1, finished_at: null, started_at: null });
      return json({ message: 'Not Found' }, 404);
    }),
  );
}

function show(path: string) {
  const router = createMemoryRouter([{ path: '/ask', element: <AskPage /> }], { initialEntries: [path] });
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  shown = render(
    <QueryClientProvider client={client}>
      <RouterProvider router={router} />
    </QueryClientProvider>,
  );
  return { root: shown.container, router };
}

const settle = (check: () => void) =>
  act(async () => {
    await vi.waitFor(check, { timeout: 3000 });
  });
const q = (root: HTMLElement, id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);

describe('AskPage', () => {
  it('shows the job the URL names (a reload keeps it), and none for a malformed id', async () => {
    mockApi();
    let { root } = show('/ask?job=12');
    await settle(() => expect(q(root, 'job')?.dataset.status).toBe('done'));
    expect(q(root, 'job')?.textContent).toContain('Done in 3 s');
    shown?.unmount();
    ({ root } = show('/ask?job=12abc'));
    await settle(() => expect(q(root, 'recent-job')).not.toBeNull());
    expect(q(root, 'job')).toBeNull();
  });

  it('takes the gallery image the URL names, puts a submitted job into the URL and follows it', async () => {
    mockApi();
    useAskStore.setState({ token: '', jobIds: [], pendingFile: null });
    const { root, router } = show('/ask?image=cat');
    await settle(() => expect(q(root, 'ask-model')).not.toBeNull());
    expect(q(root, 'ask-chosen')?.textContent).toBe('cat (gallery)');
    click(q(root, 'ask-model')!.querySelector('input'));
    click(q(root, 'ask-submit'));
    await settle(() => expect(router.state.location.search).toBe('?job=13'));
    await settle(() => expect(q(root, 'job-position')?.textContent).toBe('Queued · position 1 in the queue'));
    expect(useAskStore.getState().jobIds).toEqual([13]);
  });
});
