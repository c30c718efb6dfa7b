// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, type ReactNode } from 'react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ImageDetail, ShiftMetrics } from '../../api/types';
import { encodeFloat16 } from '../../lib/float16';
import { DINOV2, DINOV2_FT, QWEN_LORA, tokensBody, WITH_VARIANTS } from '../../test/fixtures';
import { click, render, type Rendered } from '../../test/render';
import { isResolved, resolveView, type ResolvedView } from '../../state/resolveView';
import { parseViewParams, type ViewParams } from '../../state/viewParams';
import { useMapDisplay } from '../viewer/useMapDisplay';
import { TokenStrip } from '../viewer/TokenStrip';
import { ViewTabs } from '../viewer/ViewTabs';
import { ShiftMetricsPanel } from './ShiftMetricsPanel';
import { shiftProvenance } from './ShiftExportMenu';
import { ShiftView } from './ShiftView';
import { TeacherForcedAnswers } from './TeacherForcedAnswers';
import { shiftSubject } from './VariantShifts';
import { captionOf, exportBaseName } from '../../lib/provenance';

const IMAGE: ImageDetail = {
  id: 'cat',
  path: 'cat.jpg',
  width: 300,
  height: 200,
  sha256: 'abc',
  models: WITH_VARIANTS.map((m) => m.key),
  error: null,
  annotations: [],
} as unknown as ImageDetail;

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

function resolved(search: string): { view: ResolvedView; params: ViewParams } {
  const params = parseViewParams(search);
  const view = resolveView(params, WITH_VARIANTS, IMAGE);
  if (!isResolved(view)) throw new Error('unresolved');
  return { view, params };
}

const BASE_MAP = [0.1, 0.2, 0.3, 0.4];
const VARIANT_MAP = [0.4, 0.1, 0.2, 0.3];
const DIFF = VARIANT_MAP.map((v, i) => v - BASE_MAP[i]!);

/** The API as the contract describes it: /raw for either model, /shift for the difference (or a status). */
function mockApi(shiftStatus = 200) {
  const calls: string[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      calls.push(url);
      const u = new URL(url, 'http://x');
      const f16 = (values: number[], extra: Record<string, string> = {}) =>
        new Response(encodeFloat16(values) as BodyInit, { headers: { 'X-Shape': '2,2', 'X-Weights': 'pretrained', ...extra } });
      if (u.pathname.endsWith('/raw')) return f16(u.searchParams.get('model') === 'dinov2' ? BASE_MAP : VARIANT_MAP);
      if (u.pathname.endsWith('/shift')) {
        // a 404 as the API answers a route it does not have (before the shift API lands)
        if (shiftStatus === 404) return new Response(JSON.stringify({ detail: 'Not Found', message: 'Not Found' }), { status: 404 });
        if (shiftStatus !== 200) return new Response(JSON.stringify({ message: 'the grids differ: 2×2 and 3×3' }), { status: shiftStatus });
        return f16(DIFF, { 'X-Distance': '0.3', 'X-Base-Weights': 'random' });
      }
      return new Response('{}', { status: 404, statusText: 'Not Found' });
    }),
  );
  return calls;
}

function Harness({ search }: { search: string }) {
  const { view, params } = resolved(search);
  const variant = useMapDisplay(
    { imageId: IMAGE.id, model: view.model.key, method: view.method, layer: view.layer, head: view.head, fusion: view.fusion },
    { norm: params.norm, perHead: view.perHead },
  );
  return <ShiftView view={view} params={params} image={IMAGE} base={view.base!} variant={variant} />;
}

/** Wait for `check` to pass while the queries resolve, inside act (React sees every update). */
const settle = (check: () => void) =>
  act(async () => {
    await vi.waitFor(check);
  });

const q = (root: HTMLElement, id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);

describe('ShiftView', () => {
  it('draws base, variant and the signed difference at the same layer and head, with the distance', async () => {
    const calls = mockApi();
    shown = render(providers(<Harness search="model=dinov2-ft&method=cls&layer=4&head=2&vs=base" />));
    const root = shown.container;
    await settle(() => expect(root.querySelectorAll('canvas[data-testid="heatmap"]').length).toBe(3));
    // same map parameters for all three requests
    expect(calls.some((u) => u.includes('/raw?model=dinov2&method=cls&layer=4&head=2'))).toBe(true);
    expect(calls.some((u) => u.includes('/raw?model=dinov2-ft&method=cls&layer=4&head=2'))).toBe(true);
    expect(calls.some((u) => u.includes('/shift?model=dinov2-ft&base=dinov2&method=cls&layer=4&head=2&format=f16'))).toBe(true);
    // base and variant on one scale: the union of their ranges
    const ranges = [...root.querySelectorAll('canvas')].map((c) => c.getAttribute('data-range'));
    const shared = ranges[0]!.split(',').map(Number);
    expect(shared[0]).toBeCloseTo(0.1, 3);
    expect(shared[1]).toBeCloseTo(0.4, 3);
    expect(ranges[1]).toBe(ranges[0]);
    // the difference: symmetric ±max|d| around 0
    const [lo, hi] = ranges[2]!.split(',').map(Number);
    expect(hi).toBeCloseTo(0.3, 3);
    expect(lo).toBe(-hi!);
    expect(q(root, 'diverging-lo')!.textContent).toBe('-0.3');
    expect(q(root, 'diverging-hi')!.textContent).toBe('+0.3');
    expect(q(root, 'shift-distance')!.textContent).toContain('0.300');
    expect(q(root, 'shift-base')!.textContent).toContain('dinov2 (base)');
    expect(q(root, 'shift-diff')!.textContent).toContain('dinov2-ft − dinov2');
  });

  it('says why there is no difference (a 409 from the API) and keeps both maps', async () => {
    mockApi(409);
    shown = render(providers(<Harness search="model=dinov2-ft&method=cls&vs=base" />));
    const root = shown.container;
    await settle(() => expect(q(root, 'shift-diff')!.textContent).toContain('the grids differ'));
    await settle(() => expect(root.querySelectorAll('canvas[data-testid="heatmap"]').length).toBe(2));
    expect(q(root, 'shift-distance')!.textContent).toContain('—');
  });

  it('an API without the route says it needs a newer API', async () => {
    mockApi(404);
    shown = render(providers(<Harness search="model=dinov2-ft&method=cls&vs=base" />));
    await settle(() => expect(q(shown!.container, 'shift-diff')!.textContent).toMatch(/no \/shift endpoint/));
  });
});

describe('ViewTabs', () => {
  it('offers vs base only with a stored base, and switches mode and vs together', () => {
    const onChange = vi.fn();
    shown = render(<ViewTabs mode="map" vs={false} hasBase={false} onChange={onChange} />);
    expect(q(shown.container, 'tab-vs-base')).toBeNull();
    shown.rerender(<ViewTabs mode="map" vs={false} hasBase onChange={onChange} />);
    expect(q(shown.container, 'tab-map')!.getAttribute('aria-selected')).toBe('true');
    click(q(shown.container, 'tab-vs-base'));
    expect(onChange).toHaveBeenLastCalledWith({ mode: 'map', vs: 'base' });
    shown.rerender(<ViewTabs mode="map" vs hasBase onChange={onChange} />);
    expect(q(shown.container, 'tab-vs-base')!.getAttribute('aria-selected')).toBe('true');
    expect(q(shown.container, 'tab-map')!.getAttribute('aria-selected')).toBe('false');
    click(q(shown.container, 'tab-heads'));
    expect(onChange).toHaveBeenLastCalledWith({ mode: 'heads', vs: null });
  });
});

describe('ShiftMetricsPanel', () => {
  const body: ShiftMetrics = {
    model: 'dinov2-ft',
    base: 'dinov2',
    method: 'cls',
    methods: ['cls'],
    images_layer: 1,
    images_head: -1,
    cells: [
      { layer: 0, head: 0, mean: 0.05, ci_low: 0.04, ci_high: 0.06, n: 3 },
      { layer: 0, head: 1, mean: 0.02, ci_low: 0.01, ci_high: 0.03, n: 3 },
      { layer: 1, head: 0, mean: 0.01, ci_low: 0.0, ci_high: 0.02, n: 3 },
      { layer: 1, head: 1, mean: 0.4, ci_low: 0.3, ci_high: 0.5, n: 3 },
      { layer: 0, head: -1, mean: 0.03, ci_low: 0.02, ci_high: 0.04, n: 3 },
      { layer: 1, head: -1, mean: 0.2, ci_low: 0.1, ci_high: 0.3, n: 3 },
    ],
    images: [
      { image_id: 'dog', distance: 0.5 },
      { image_id: 'cat', distance: 0.1 },
    ],
  };

  function mount(status = 200) {
    const calls: string[] = [];
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) => {
        calls.push(url);
        return status === 200 ? new Response(JSON.stringify(body)) : new Response(JSON.stringify({ message: 'no shift metrics' }), { status });
      }),
    );
    shown = render(providers(<ShiftMetricsPanel model={DINOV2_FT} base={DINOV2} method="cls" layers={2} heads={2} cmap="viridis" />));
    return calls;
  }

  it('draws heads × layers of mean distance with the fused column; the largest head is chosen first', async () => {
    const calls = mount();
    const root = shown!.container;
    await settle(() => expect(q(root, 'shift-table')).not.toBeNull());
    expect(calls[0]).toBe('/metrics/shift?model=dinov2-ft&base=dinov2&method=cls');
    expect(q(root, 'shift-cell-1-1')!.textContent).toBe('0.40');
    expect(q(root, 'shift-cell-1-fused')!.textContent).toBe('0.20');
    expect(q(root, 'shift-cell-1-1')!.title).toContain('95% CI 0.300–0.500, 3 images');
    expect(q(root, 'shift-cell-1-1')!.className).toContain('heat-best');
    const links = [...root.querySelectorAll<HTMLAnchorElement>('[data-testid="shift-image"]')].map((a) => a.getAttribute('href'));
    expect(links).toEqual(['/view/dog?model=dinov2-ft&method=cls&layer=1&head=1&vs=base', '/view/cat?model=dinov2-ft&method=cls&layer=1&head=1&vs=base']);
  });

  it('a click on a cell opens the images at that layer and head (fused: no head)', async () => {
    mount();
    const root = shown!.container;
    await settle(() => expect(q(root, 'shift-table')).not.toBeNull());
    click(q(root, 'shift-cell-0-fused'));
    expect(q(root, 'shift-images')!.querySelector('a')!.getAttribute('href')).toBe('/view/dog?model=dinov2-ft&method=cls&layer=0&vs=base');
    click(q(root, 'shift-cell-0-1'));
    expect(q(root, 'shift-cell-0-1')!.getAttribute('aria-pressed')).toBe('true');
    expect(q(root, 'shift-images')!.querySelector('a')!.getAttribute('href')).toBe('/view/dog?model=dinov2-ft&method=cls&layer=0&head=1&vs=base');
  });

  it('404: no shift computed yet, with the command', async () => {
    mount(404);
    await settle(() => expect(q(shown!.container, 'shift-empty')!.textContent).toContain('precompute --models all --per-head --metrics'));
  });
});

describe('shiftSubject (the dashboard without localisation metrics)', () => {
  it("the URL's model when it is a variant with a stored base, else the first such; the method when it has it", () => {
    expect(shiftSubject(WITH_VARIANTS, 'qwen-lora', 'mean')).toMatchObject({ model: QWEN_LORA, method: 'mean', layers: 32, heads: 12 });
    expect(shiftSubject(WITH_VARIANTS, 'qwen-lora', 'cls')).toMatchObject({ model: QWEN_LORA, method: 'text', layers: 36, heads: 16 });
    const first = shiftSubject(WITH_VARIANTS, 'clip', null)!;
    expect([first.model.key, first.base.key, first.method]).toEqual(['dinov2-ft', 'dinov2', 'cls']);
    expect(shiftSubject([DINOV2], null, null)).toBeNull();
  });
});

describe('TeacherForcedAnswers and the token strip', () => {
  it('shows both answers of a forced model, nothing for a model answering itself', () => {
    const forced = tokensBody({ model: 'qwen-lora', answer: 'An astronaut in space', answer_from: 'qwen2_5_vl', own_answer: 'A man floating' });
    shown = render(<TeacherForcedAnswers data={forced} />);
    expect(q(shown.container, 'forced-answer')!.textContent).toBe('An astronaut in space');
    expect(q(shown.container, 'own-answer')!.textContent).toBe('A man floating');
    expect(q(shown.container, 'forced-answers')!.textContent).toContain('teacher-forced from qwen2_5_vl');
    shown.rerender(<TeacherForcedAnswers data={tokensBody({ answer_from: null, own_answer: null })} />);
    expect(q(shown.container, 'forced-answers')).toBeNull();
    // a body from an API that does not send the fields yet
    shown.rerender(<TeacherForcedAnswers data={tokensBody()} />);
    expect(q(shown.container, 'forced-answers')).toBeNull();
  });
});

describe('the token strip of a teacher-forced variant', () => {
  const strip = (data: ReturnType<typeof tokensBody>) => (
    <TokenStrip model={QWEN_LORA} prompt={0} token={null} layer={1} data={data} stale={false} error={null} onRetry={() => {}} onSelect={() => {}} onPrompt={() => {}} />
  );

  it('marks exactly the answer tokens as teacher-forced and names the model they came from', () => {
    shown = render(strip(tokensBody({ model: 'qwen-lora', answer_from: 'qwen2_5_vl', own_answer: 'A man floating' })));
    const tokens = [...shown.container.querySelectorAll<HTMLElement>('[data-testid="token"]')];
    const forced = tokens.filter((t) => t.classList.contains('token-forced')).map((t) => Number(t.dataset.index));
    expect(forced).toEqual([6, 7, 8, 9]);
    expect(tokens.find((t) => t.dataset.index === '7')!.title).toContain('teacher-forced from qwen2_5_vl');
    expect(q(shown.container, 'own-answer')!.textContent).toBe('A man floating');
  });

  it('marks nothing for a model that answered itself', () => {
    shown = render(strip(tokensBody()));
    expect(shown.container.querySelectorAll('.token-forced').length).toBe(0);
  });
});

describe('shiftProvenance', () => {
  it('carries both models: the variant as model, the base as base, with each one\'s weights and the distance', () => {
    const { view } = resolved('model=qwen-lora&method=text&prompt=0&token=6-9&layer=3&head=1&vs=base');
    const diff = { gh: 2, gw: 2, values: new Float32Array(DIFF), bytes: encodeFloat16(DIFF), min: -0.1, max: 0.3, weights: 'pretrained', baseWeights: 'random', distance: 0.3 };
    const p = shiftProvenance({ image: IMAGE, view, base: view.base!, diff, source: 'http://x/attention/cat/shift', now: new Date(0) });
    expect(p).toMatchObject({
      model: QWEN_LORA.key,
      checkpoint: QWEN_LORA.checkpoint,
      weights: 'pretrained',
      base: { model: 'qwen2_5_vl', checkpoint: 'Qwen/Qwen2.5-VL-3B-Instruct', weights: 'random' },
      distance: 0.3,
      prompt: 0,
      token: '6-9',
      layer: 3,
      head: 1,
      shape: [2, 2],
    });
    expect(p.display!.range[0]).toBeCloseTo(-0.3, 3);
    expect(p.display!.range[1]).toBeCloseTo(0.3, 3);
    expect(exportBaseName(p)).toBe('cat_qwen-lora-minus-qwen2_5_vl_text_P0_T6-9_L3_H1');
    // the picture's caption names both models, their checkpoints and weights, and the distance
    expect(captionOf(p)).toBe(
      'cat · qwen-lora (Qwen/Qwen2.5-VL-3B-Instruct+lora, pretrained) − qwen2_5_vl (Qwen/Qwen2.5-VL-3B-Instruct, RANDOM WEIGHTS) · text · prompt 0 · tokens 6-9 · layer 3 · head 1 · distance 0.300',
    );
  });
});
