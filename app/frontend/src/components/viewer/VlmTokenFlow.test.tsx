// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, type ReactNode } from 'react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TextDetail } from '../../api/texts';
import { TextsPage } from '../../pages/TextsPage';
import { DEFAULT_TEXT_PARAMS, parseTextParams } from '../../state/textParams';
import { useTextStore } from '../../state/textStore';
import { DINOV2, QWEN } from '../../test/fixtures';
import { click, render, type Rendered } from '../../test/render';
import { VlmTokenFlow } from './VlmTokenFlow';

const ROLES = ['system', 'user', 'user', 'user', 'assistant', 'assistant'];
const DETAIL: TextDetail = {
  text_id: 'astronaut.p0', model: 'qwen2_5_vl', category: 'vlm', n_tokens: 6, layers: 4, heads: 16, per_head: true, n_generated: 2,
  keep_mass: 0.99, max_keys: 32, overview_block: 1,
  tokens: ['<|im_start|>', '<|vision_end|>', 'Describe', '<|im_end|>', 'An', ' astronaut'].map((text, i) => ({ id: i, text, role: ROLES[i]!, message: i < 1 ? 0 : i < 4 ? 1 : 2 })),
};

let shown: Rendered | null = null;
afterEach(() => {
  shown?.unmount();
  shown = null;
  vi.unstubAllGlobals();
  useTextStore.setState({ params: { ...DEFAULT_TEXT_PARAMS }, origin: 'url' });
});

function mockApi() {
  const calls: string[] = [];
  const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      calls.push(url);
      const u = new URL(url, 'http://x');
      if (u.pathname === '/models') return json({ models: [DINOV2, QWEN] });
      if (u.pathname === '/texts')
        return json({ texts: [{ text_id: 'astronaut.p0', model: 'qwen2_5_vl', category: 'vlm', n_tokens: 6, n_generated: 2, preview: 'Describe → An astronaut' }], total: 1, limit: 500, offset: 0, categories: ['vlm'] });
      if (u.pathname === '/texts/astronaut.p0') return json(DETAIL);
      if (u.pathname === '/texts/astronaut.p0/row') {
        const q = Number(u.searchParams.get('query'));
        return json({ text_id: 'astronaut.p0', model: 'qwen2_5_vl', layer: 1, head: null, query: q, keys: [0, 2], values: [0.3, 0.2], residual: 0.5, entropy: 1.1, sink: 0.3 });
      }
      return json({ message: 'nope' }, 404);
    }),
  );
  return calls;
}

function wrap(node: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return (
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={['/image/astronaut']}>{node}</MemoryRouter>
    </QueryClientProvider>
  );
}

const settle = (check: () => void) => act(async () => void (await vi.waitFor(check)));
const q = (root: HTMLElement, id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);

async function openPanel(root: HTMLElement) {
  await act(async () => {
    const details = q(root, 'vlm-token-flow') as HTMLDetailsElement;
    details.open = true;
    details.dispatchEvent(new Event('toggle'));
  });
}

describe('a VLM prompt’s token flow in the viewer', () => {
  it('loads nothing until opened, then tints what a clicked prompt or answer token pays, per layer and head', async () => {
    const calls = mockApi();
    shown = render(wrap(<VlmTokenFlow model="qwen2_5_vl" textId="astronaut.p0" layer={1} />));
    const root = shown.container;
    expect(calls).toEqual([]);
    await openPanel(root);
    await settle(() => expect(root.querySelectorAll('[data-token]').length).toBe(6));
    expect(root.querySelector('[data-token="2"]')!.className).toContain('role-user');
    expect(root.querySelector('[data-token="5"]')!.className).toContain('role-assistant');
    click(root.querySelector('[data-token="5"]'));
    await settle(() => expect(q(root, 'row-readout')?.textContent).toContain('token #5 keeps 2 keys'));
    expect(calls).toContain('/texts/astronaut.p0/row?model=qwen2_5_vl&layer=1&query=5'); // the viewer's layer, fused
    const tint = (i: number) => Number(root.querySelector(`[data-token="${i}"]`)!.getAttribute('data-tint'));
    expect(tint(2)).toBe(1); // the largest weight after the sink
    expect(tint(1)).toBe(0); // not kept
    await act(async () => {
      const head = q(root, 'vlm-flow-head') as HTMLSelectElement;
      head.value = '3';
      head.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await settle(() => expect(calls).toContain('/texts/astronaut.p0/row?model=qwen2_5_vl&layer=1&head=3&query=5'));
    const link = q(root, 'vlm-flow-open')!.getAttribute('href')!;
    const opened = parseTextParams(link.slice(link.indexOf('?')));
    expect(opened).toMatchObject({ model: 'qwen2_5_vl', open: ['astronaut.p0'], text: 'astronaut.p0', layer: 1, head: 3, token: 5 });
  });

  it('says so when the prompt has no stored text', async () => {
    const calls = mockApi();
    shown = render(wrap(<VlmTokenFlow model="qwen2_5_vl" textId={null} layer={0} />));
    await openPanel(shown.container);
    expect(q(shown.container, 'vlm-token-flow-missing')?.textContent).toContain('--force');
    expect(calls).toEqual([]);
  });

  it('the Texts page lists a VLM’s prompt texts under the VLM', async () => {
    const calls = mockApi();
    shown = render(wrap(<TextsPage />));
    await settle(() => expect(q(shown!.container, 'text-item-astronaut.p0')).not.toBeNull());
    expect(calls).toContain('/texts?model=qwen2_5_vl&limit=500'); // the VLM, not the ViT
  });
});
