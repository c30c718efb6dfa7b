import { describe, expect, it } from 'vitest';
import { ALL, BIG, CLIP, DINOV2, QWEN, QWEN3, SIGLIP, WITH_VLMS } from '../test/fixtures';
import {
  allMethods,
  dashboardPath,
  DEFAULT_DASHBOARD,
  maxLayers,
  panelMethod,
  parseDashboardParams,
  resolvePanels,
  serializeDashboardParams,
  type DashboardParams,
} from './dashboardParams';

describe('parseDashboardParams', () => {
  it('reads every parameter', () => {
    expect(parseDashboardParams('?metric=energy&method=cls&layer=11&label=cat&model=dinov2&cmap=magma')).toEqual<DashboardParams>({
      metric: 'energy',
      method: 'cls',
      layer: 11,
      label: 'cat',
      model: 'dinov2',
      cmap: 'magma',
    });
  });

  it('falls back to defaults for bad values', () => {
    expect(parseDashboardParams('metric=../x&method=a b&layer=-1&model=&cmap=jet')).toEqual(DEFAULT_DASHBOARD);
    expect(parseDashboardParams('layer=1.5').layer).toBeNull();
    expect(parseDashboardParams('')).toEqual(DEFAULT_DASHBOARD);
  });

  it('keeps free-text labels (trimmed, at most 128 characters)', () => {
    expect(parseDashboardParams('label=%20traffic%20light%20').label).toBe('traffic light');
    expect(parseDashboardParams(`label=${'x'.repeat(300)}`).label).toHaveLength(128);
  });
});

describe('serializeDashboardParams', () => {
  it('is canonical: fixed order, defaults left out', () => {
    expect(serializeDashboardParams(DEFAULT_DASHBOARD)).toBe('');
    const p: DashboardParams = { metric: 'iou_top10', method: 'mean', layer: 0, label: 'traffic light', model: 'clip', cmap: 'gray' };
    expect(serializeDashboardParams(p)).toBe('metric=iou_top10&method=mean&layer=0&label=traffic+light&model=clip&cmap=gray');
  });

  it('round-trips', () => {
    const p: DashboardParams = { metric: 'energy', method: null, layer: 3, label: 'cat', model: 'dinov2', cmap: 'turbo' };
    expect(parseDashboardParams(serializeDashboardParams(p))).toEqual(p);
    const search = 'metric=energy&layer=3&model=dinov2';
    expect(serializeDashboardParams(parseDashboardParams(search))).toBe(search);
  });

  it('builds links', () => {
    expect(dashboardPath()).toBe('/dashboard');
    expect(dashboardPath({ model: 'clip', method: 'cls' })).toBe('/dashboard?method=cls&model=clip');
  });
});

describe('choices', () => {
  it('lists every method once and the deepest layer count', () => {
    expect(allMethods([CLIP, SIGLIP])).toEqual(['cls', 'mean', 'rollout', 'pool']);
    expect(maxLayers([CLIP, BIG], null)).toBe(24);
    expect(maxLayers([CLIP, SIGLIP], 'pool')).toBe(1);
    expect(maxLayers([CLIP], 'pool')).toBe(0);
  });

  it("counts a VLM's methods with their own depths", () => {
    expect(allMethods([CLIP, QWEN])).toEqual(['cls', 'mean', 'rollout', 'text']);
    expect(maxLayers([CLIP, QWEN], 'text')).toBe(36);
    expect(maxLayers([CLIP, QWEN], 'mean')).toBe(32); // the vision tower's, not the language model's
    expect(maxLayers([CLIP, QWEN3], 'rollout')).toBe(24);
    expect(panelMethod(QWEN, null)).toBe('text');
    expect(panelMethod(CLIP, 'text')).toBeNull();
  });

  it("uses the chosen method where a model has it, else the model's first when none is chosen", () => {
    expect(panelMethod(SIGLIP, null)).toBe('mean');
    expect(panelMethod(CLIP, null)).toBe('cls');
    expect(panelMethod(SIGLIP, 'cls')).toBeNull();
    expect(panelMethod(SIGLIP, 'pool')).toBe('pool');
  });
});

describe('resolvePanels', () => {
  const board = [{ model: 'siglip' }, { model: 'clip' }];

  it("shows the URL's model with its method and layer", () => {
    const p = { ...DEFAULT_DASHBOARD, model: 'dinov2', method: 'mean', layer: 4 };
    expect(resolvePanels(p, ALL, board)).toMatchObject({ model: DINOV2, method: 'mean', layers: 12, heads: 12, layer: 4, notes: [] });
  });

  it("gives a VLM's panels the method's own layers and heads", () => {
    const panels = (method: string | null, layer: number | null = null) => resolvePanels({ ...DEFAULT_DASHBOARD, model: 'qwen2_5_vl', method, layer }, WITH_VLMS, board);
    expect(panels(null)).toMatchObject({ model: QWEN, method: 'text', layers: 36, heads: 16, layer: 35, notes: [] });
    expect(panels('mean')).toMatchObject({ method: 'mean', layers: 32, heads: 12, layer: 31 });
    expect(panels('rollout', 35)).toMatchObject({ method: 'rollout', layers: 32, heads: 12, layer: 31 });
    // a ViT method the VLM lacks: its first, with a note
    const cls = panels('cls');
    expect(cls).toMatchObject({ method: 'text', heads: 16 });
    expect(cls?.notes[0]).toMatch(/qwen2_5_vl has no 'cls' maps/);
    // the leaderboard's best may be a VLM
    expect(resolvePanels(DEFAULT_DASHBOARD, WITH_VLMS, [{ model: 'qwen3_vl' }])).toMatchObject({ model: QWEN3, method: 'text', layers: 28, heads: 16 });
  });

  it("defaults to the leaderboard's best model, its first method and last layer", () => {
    expect(resolvePanels(DEFAULT_DASHBOARD, ALL, board)).toMatchObject({ model: SIGLIP, method: 'mean', layer: 11, notes: [] });
    expect(resolvePanels(DEFAULT_DASHBOARD, ALL, [])).toMatchObject({ model: ALL[0] });
    expect(resolvePanels(DEFAULT_DASHBOARD, [], board)).toBeNull();
  });

  it('clamps the layer and falls back, with a note, for what the model lacks', () => {
    expect(resolvePanels({ ...DEFAULT_DASHBOARD, model: 'siglip', method: 'pool', layer: 7 }, ALL, board)).toMatchObject({ method: 'pool', layers: 1, layer: 0 });
    const noCls = resolvePanels({ ...DEFAULT_DASHBOARD, model: 'siglip', method: 'cls' }, ALL, board);
    expect(noCls).toMatchObject({ method: 'mean' });
    expect(noCls?.notes[0]).toMatch(/siglip has no 'cls' maps/);
    const unknown = resolvePanels({ ...DEFAULT_DASHBOARD, model: 'nope' }, ALL, board);
    expect(unknown?.model).toBe(SIGLIP);
    expect(unknown?.notes[0]).toMatch(/no model 'nope'/);
  });
});
