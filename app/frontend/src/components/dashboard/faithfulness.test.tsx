// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, type ReactNode } from 'react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FaithfulnessCell, FaithfulnessCurve, FaithfulnessModel } from '../../api/faithfulness';
import type { ImageDetail } from '../../api/types';
import { curveFor, curvePoints, rankCells, scoreRange } from '../../lib/faithfulness';
import { isResolved, resolveView } from '../../state/resolveView';
import { parseViewParams } from '../../state/viewParams';
import { ALL } from '../../test/fixtures';
import { render, type Rendered } from '../../test/render';
import { FaithfulnessSection } from '../viewer/FaithfulnessSection';
import { FaithfulnessPanel } from './FaithfulnessPanel';

function cell(method: string, layer: number, head: number | null, deletion: number, insertion: number): FaithfulnessCell {
  const stat = (mean: number) => ({ mean, ci_low: mean - 0.05, ci_high: mean + 0.05 });
  return { method, layer, head, deletion: stat(deletion), insertion: stat(insertion), n: 4 };
}

const MODELS: FaithfulnessModel[] = [
  {
    model: 'clip',
    target: 'embedding-cosine',
    steps: 10,
    images: 4,
    cells: [cell('cls', 11, null, 0.4, 0.6), cell('cls', 11, 0, 0.3, 0.5), cell('random', 0, null, 0.55, 0.45), cell('centre', 0, null, 0.5, 0.5)],
  },
  {
    model: 'dinov2',
    target: 'embedding-cosine',
    steps: 10,
    images: 4,
    cells: [cell('cls', 10, null, 0.2, 0.8), cell('cls', 11, null, 0.25, 0.7), cell('mean', 11, null, 0.35, 0.9), cell('random', 0, null, 0.6, 0.4)],
  },
];

describe('ranking and drawing (lib/faithfulness)', () => {
  it('ranks deletion low first and insertion high first, baselines flagged', () => {
    const rows = rankCells(MODELS, 'deletion', 'maps');
    expect(rows.map((r) => r.cell.deletion.mean)).toEqual([0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.55, 0.6]);
    expect(rows.filter((r) => r.baseline).map((r) => `${r.model}:${r.cell.method}`)).toEqual(['clip:centre', 'clip:random', 'dinov2:random']);
    const insertion = rankCells(MODELS, 'insertion', 'maps');
    expect(insertion[0]!.cell).toMatchObject({ method: 'mean', layer: 11 });
  });

  it('keeps the best map per model, method or layer, or only heads', () => {
    const models = rankCells(MODELS, 'deletion', 'models').filter((r) => !r.baseline);
    expect(models.map((r) => [r.model, r.cell.layer, r.cell.head])).toEqual([
      ['dinov2', 10, null],
      ['clip', 11, 0],
    ]);
    const methods = rankCells(MODELS, 'deletion', 'methods').filter((r) => !r.baseline);
    expect(methods.map((r) => `${r.model}:${r.cell.method}`)).toEqual(['dinov2:cls', 'clip:cls', 'dinov2:mean']);
    const heads = rankCells(MODELS, 'deletion', 'heads').filter((r) => !r.baseline);
    expect(heads.map((r) => r.cell.head)).toEqual([0]);
  });

  it('draws scores from x = 0 to the width, high scores at the top', () => {
    expect(curvePoints([1, 0.5, 0], 100, 50, 0, 1)).toBe('0.0,0.0 50.0,25.0 100.0,50.0');
    expect(scoreRange([[0.2, 0.9]])).toEqual([0, 1]);
    expect(scoreRange([[-0.5, 1.5]])).toEqual([-0.5, 1.5]);
  });

  it('finds the curve of the map on screen, else its layer fused', () => {
    const curve = (method: string, layer: number, head: number | null) =>
      ({ method, layer, head, deletion: [], insertion: [], deletion_auc: 0, insertion_auc: 0 }) as FaithfulnessCurve;
    const curves = [curve('cls', 3, null), curve('cls', 3, 1)];
    expect(curveFor(curves, 'cls', 3, 1)).toBe(curves[1]);
    expect(curveFor(curves, 'cls', 3, 0)).toBe(curves[0]);
    expect(curveFor(curves, 'mean', 3, null)).toBeNull();
  });
});

let shown: Rendered | null = null;
afterEach(() => {
  shown?.unmount();
  shown = null;
  vi.unstubAllGlobals();
});

function providers(children: ReactNode) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return (
    <QueryClientProvider client={client}>
      <MemoryRouter>{children}</MemoryRouter>
    </QueryClientProvider>
  );
}

function mockApi(routes: Record<string, unknown>) {
  const calls: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      calls.push(url);
      const path = new URL(url, 'http://x').pathname;
      if (path in routes) return new Response(JSON.stringify(routes[path]), { headers: { 'Content-Type': 'application/json' } });
      return new Response(JSON.stringify({ message: 'no faithfulness curves' }), { status: 404 });
    }),
  );
  return calls;
}

const settle = (check: () => void) =>
  act(async () => {
    await vi.waitFor(check);
  });

describe('FaithfulnessPanel', () => {
  it('ranks every map of every model with its interval, and says what to run when nothing is computed', async () => {
    mockApi({ '/metrics/faithfulness': { models: MODELS } });
    shown = render(providers(<FaithfulnessPanel />));
    const root = shown.container;
    await settle(() => expect(root.querySelectorAll('[data-testid="faithfulness-row"]').length).toBe(8));
    const first = root.querySelector('[data-testid="faithfulness-row"]')!;
    expect(first.textContent).toContain('dinov2');
    expect(first.textContent).toContain('cls · layer 10 · fused');
    expect(first.textContent).toContain('0.200');
    expect(first.querySelector('svg[aria-label="0.150 to 0.250"]')).not.toBeNull();
    expect(root.textContent).toContain('embedding-cosine, 10 steps');
    shown.unmount();
    mockApi({ '/metrics/faithfulness': { models: [] } });
    shown = render(providers(<FaithfulnessPanel />));
    const empty = shown.container;
    await settle(() => expect(empty.querySelector('[data-testid="faithfulness-empty"]')).not.toBeNull());
    expect(empty.textContent).toContain('--faithfulness');
  });
});

const IMAGE = { id: 'cat', path: 'cat.jpg', width: 30, height: 20, sha256: 'a', models: ['dinov2'], error: null, annotations: [] } as unknown as ImageDetail;

describe('FaithfulnessSection', () => {
  it("plots the map on screen's deletion and insertion curves beside random order's", async () => {
    const curve = (method: string, layer: number, head: number | null, d: number[], i: number[]) => ({
      method,
      layer,
      head,
      deletion: d,
      insertion: i,
      deletion_auc: 0.25,
      insertion_auc: 0.75,
    });
    const calls = mockApi({
      '/metrics/faithfulness/cat': {
        image_id: 'cat',
        model: 'dinov2',
        target: 'embedding-cosine',
        steps: 2,
        curves: [curve('cls', 4, null, [1, 0.5, 0], [0, 0.5, 1]), curve('random', 0, null, [1, 0.8, 0], [0, 0.2, 1])],
      },
    });
    const view = resolveView(parseViewParams('model=dinov2&method=cls&layer=4'), ALL, IMAGE);
    if (!isResolved(view)) throw new Error('unresolved');
    shown = render(providers(<FaithfulnessSection image={IMAGE} view={view} compare={false} />));
    const root = shown.container;
    await settle(() => expect(root.querySelector('[data-testid="faithfulness-chart"]')).not.toBeNull());
    expect(calls.some((u) => u.includes('/metrics/faithfulness/cat?model=dinov2'))).toBe(true);
    expect(root.querySelector('[data-testid="curve-deletion"]')!.getAttribute('points')).toBe('0.0,0.0 110.0,55.0 220.0,110.0');
    expect(root.querySelector('[data-testid="curve-insertion"]')!.getAttribute('points')).toBe('0.0,110.0 110.0,55.0 220.0,0.0');
    expect(root.querySelector('[data-testid="curve-random-deletion"]')).not.toBeNull();
    expect(root.querySelector('[data-testid="faithfulness-map"]')!.textContent).toContain('cls · layer 4 · fused');
    expect(root.querySelector('[data-testid="faithfulness-deletion-auc"]')!.textContent).toBe('deletion AUC 0.250');
  });
});
