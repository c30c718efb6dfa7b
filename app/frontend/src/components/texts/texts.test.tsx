// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act } from 'react';
import { MemoryRouter, useLocation } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { HeadStat, TextDetail } from '../../api/texts';
import type { ModelInfo } from '../../api/types';
import { TextsPage } from '../../pages/TextsPage';
import { useTextStore } from '../../state/textStore';
import { DEFAULT_TEXT_PARAMS } from '../../state/textParams';
import { DINOV2 } from '../../test/fixtures';
import { click, render, type Rendered } from '../../test/render';
import { groupByCategory } from './TextList';
import { statGrid } from './HeadStatsTable';
import { stepFor } from './TokenFlow';

const LM: ModelInfo = { ...DINOV2, key: 'tinylm', base_key: 'smollm2', kind: 'lm', grid: null, image_size: null, layers: 2, heads: 2, per_head: true, methods: [], per_head_methods: [] };
const LM2: ModelInfo = { ...LM, key: 'tinylm-ft' };
const TOKENS = ['<s>', 'Hi', ' there', '\n', 'ok'].map((text, i) => ({ id: 100 + i, text, role: i < 3 ? 'user' : 'assistant', message: i < 3 ? 0 : 1 }));
const DETAIL: TextDetail = {
  text_id: 'chat-1', model: 'tinylm', category: 'math', n_tokens: 5, layers: 2, heads: 2, per_head: true, n_generated: 0,
  keep_mass: 0.99, max_keys: 64, overview_block: 1, tokens: TOKENS,
};
const STATS: HeadStat[] = [0, 1].flatMap((layer) =>
  [-1, 0, 1].map((head) => ({ layer, head, entropy: 0.1 * (layer * 2 + head), sink: 0.5, previous_token: 0.2, induction: 0, distance: 1.5, label: head === 0 ? 'sink' : head === 1 ? 'previous-token' : 'broad' })),
);

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
      const model = u.searchParams.get('model') ?? '';
      if (u.pathname === '/models') return json({ models: [DINOV2, LM, LM2] });
      if (u.pathname === '/texts')
        return json({
          texts: [
            { text_id: 'chat-1', model, category: 'math', n_tokens: 5, n_generated: 0, preview: 'Hi there' },
            { text_id: 'agent-1', model, category: 'agent', n_tokens: 900, n_generated: 0, preview: '' },
            { text_id: 'loose', model, category: '', n_tokens: 3, n_generated: 0, preview: '' },
          ],
          total: 3, limit: 500, offset: 0, categories: ['agent', 'math'],
        });
      if (u.pathname === '/texts/chat-1') return json({ ...DETAIL, model });
      if (u.pathname === '/texts/chat-1/row') {
        const q = Number(u.searchParams.get('query'));
        return json({ text_id: 'chat-1', model, layer: 1, head: null, query: q, keys: [0, q], values: [0.6, 0.3], residual: 0.1, entropy: 1.2, sink: 0.6 });
      }
      if (u.pathname === '/texts/chat-1/received') return json({ text_id: 'chat-1', model, layer: 1, head: null, values: [3, 0.5, 1, 0, 0] });
      if (u.pathname === '/texts/chat-1/stats') return json({ text_id: 'chat-1', model, layers: 2, heads: 2, stats: STATS });
      return json({ message: 'nope' }, 404);
    }),
  );
  return calls;
}

let search = '';
function Location() {
  search = useLocation().search;
  return null;
}

function page(entry: string) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return (
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[entry]}>
        <TextsPage />
        <Location />
      </MemoryRouter>
    </QueryClientProvider>
  );
}

const settle = (check: () => void) => act(async () => void (await vi.waitFor(check)));
const q = (root: HTMLElement, id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);

describe('Texts section', () => {
  it('lists the lm models’ texts by category, opens one in a tab and tints what a clicked token pays', async () => {
    const calls = mockApi();
    shown = render(page('/text'));
    const root = shown.container;
    await settle(() => expect(q(root, 'text-item-chat-1')).not.toBeNull());
    expect([...root.querySelectorAll('.text-list h3')].map((h) => h.textContent)).toEqual(['agent', 'math', 'uncategorised']);
    expect(calls).toContain('/texts?model=tinylm&limit=500'); // the first lm model, not the ViT
    click(q(root, 'text-item-chat-1'));
    await settle(() => expect(root.querySelectorAll('[data-token]').length).toBe(5));
    expect(q(root, 'text-tab-chat-1')).not.toBeNull();
    expect(search).toContain('open=chat-1');
    click(root.querySelector('[data-token="3"]'));
    await settle(() => expect(q(root, 'row-readout')?.textContent).toContain('token #3 keeps 2 keys'));
    expect(calls).toContain('/texts/chat-1/row?model=tinylm&layer=1&query=3'); // the last layer, fused
    const tint = (i: number) => Number(root.querySelector(`[data-token="${i}"]`)!.getAttribute('data-tint'));
    expect(tint(3)).toBe(1); // the largest non-sink weight
    expect(tint(1)).toBe(0);
    expect(tint(4)).toBe(0); // after the query: never tinted
    expect(search).toContain('token=3');
    // the arrow key steps to the next token
    await act(async () => {
      q(root, 'token-flow')!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    });
    await settle(() => expect(q(root, 'row-readout')?.textContent).toContain('token #4'));
    // hovering previews another token's row without selecting it
    await act(async () => {
      root.querySelector('[data-token="2"]')!.dispatchEvent(new MouseEvent('mouseover', { bubbles: true }));
    });
    await settle(() => expect(q(root, 'row-readout')?.textContent).toContain('token #2 keeps'));
    expect(search).toContain('token=4');
    expect(tint(3)).toBe(0); // after the hovered token: untinted
  });

  it('tints by attention received, and a heads-table click opens that head', async () => {
    const calls = mockApi();
    shown = render(page('/text?model=tinylm&open=chat-1&mode=received&view=stats'));
    const root = shown.container;
    await settle(() => expect(q(root, 'head-cell-1-0')).not.toBeNull());
    expect(q(root, 'head-cell-1-0')!.getAttribute('data-label')).toBe('sink');
    click(q(root, 'head-cell-1-0')!.querySelector('button'));
    await settle(() => expect(root.querySelectorAll('[data-token]').length).toBe(5));
    expect(search).toContain('layer=1');
    expect(search).not.toContain('view='); // back to the token flow (the default)
    expect(search).toContain('head=0');
    await settle(() => expect(calls).toContain('/texts/chat-1/received?model=tinylm&layer=1&head=0'));
    await settle(() => expect(root.querySelector('[data-token="2"]')!.getAttribute('data-tint')).toBe('1.000'));
    expect(root.querySelector('[data-token="1"]')!.getAttribute('data-tint')).toBe('0.500');
  });

  it('shows a second model beside the first on the same text', async () => {
    const calls = mockApi();
    shown = render(page('/text?model=tinylm&open=chat-1&compare=tinylm-ft&token=2'));
    const root = shown.container;
    await settle(() => expect(q(root, 'text-panel-tinylm-ft')?.querySelectorAll('[data-token]').length).toBe(5));
    expect(q(root, 'text-panel-tinylm')).not.toBeNull();
    await settle(() => expect(calls).toContain('/texts/chat-1/row?model=tinylm-ft&layer=1&query=2'));
    expect(calls).toContain('/texts/chat-1/row?model=tinylm&layer=1&query=2');
  });
});

describe('texts helpers', () => {
  it('groups, steps and grids', () => {
    const t = (id: string, category: string) => ({ text_id: id, model: 'm', category, n_tokens: 1, n_generated: 0, preview: '' });
    expect(groupByCategory([t('a', 'x'), t('b', ''), t('c', 'a'), t('d', 'x')]).map(([c, l]) => [c, l.map((i) => i.text_id)])).toEqual([
      ['a', ['c']],
      ['x', ['a', 'd']],
      ['', ['b']],
    ]);
    expect(stepFor('ArrowRight', null, 5)).toBe(0);
    expect(stepFor('ArrowRight', 4, 5)).toBe(4);
    expect(stepFor('ArrowLeft', 0, 5)).toBe(0);
    expect(stepFor('End', 1, 5)).toBe(4);
    expect(stepFor('a', 1, 5)).toBeNull();
    const { grid, low, high } = statGrid(STATS, 2, 2, 'entropy');
    expect(grid[1]![2]!.entropy).toBeCloseTo(0.3); // layer 1 head 1 (column 0 is fused)
    expect(grid[0]![0]!.head).toBe(-1);
    expect(low).toBeCloseTo(-0.1);
    expect(high).toBeCloseTo(0.3);
  });
});
