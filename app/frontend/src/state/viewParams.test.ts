import { describe, expect, it } from 'vitest';
import { DEFAULT_PARAMS, parseViewParams, sameParams, serializeViewParams, viewPath, type ViewParams } from './viewParams';

describe('parseViewParams', () => {
  it('reads the documented example', () => {
    const p = parseViewParams('?model=dinov2&method=cls&layer=11&head=3');
    expect(p).toEqual({ ...DEFAULT_PARAMS, model: 'dinov2', method: 'cls', layer: 11, head: 3 });
  });

  it('reads every parameter', () => {
    const p = parseViewParams(
      'model=clip&method=mean&layer=0&fusion=max&mode=compare&models=clip,siglip,mae&cmap=magma&norm=layer&opacity=0.35&interp=crisp&boxes=0',
    );
    expect(p).toEqual<ViewParams>({
      model: 'clip',
      method: 'mean',
      prompt: null,
      token: null,
      layer: 0,
      head: null,
      fusion: 'max',
      mode: 'compare',
      vs: null,
      compare: ['clip', 'siglip', 'mae'],
      cmap: 'magma',
      norm: 'layer',
      opacity: 0.35,
      interp: 'crisp',
      boxes: false,
    });
  });

  it('falls back to defaults for bad values instead of failing', () => {
    const p = parseViewParams('model=../etc&layer=-1&head=x&fusion=median&mode=zoom&cmap=jet&norm=minmax&opacity=abc&interp=cubic');
    expect(p).toEqual(DEFAULT_PARAMS);
    expect(parseViewParams('opacity=7').opacity).toBe(1);
    expect(parseViewParams('opacity=-1').opacity).toBe(0);
    expect(parseViewParams('layer=1.5').layer).toBeNull();
  });

  it('keeps at most 6 distinct compare models', () => {
    expect(parseViewParams('models=a,b,a,c,d,e,f,g').compare).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('accepts URLSearchParams and boolean spellings of boxes', () => {
    expect(parseViewParams(new URLSearchParams('boxes=false')).boxes).toBe(false);
    expect(parseViewParams('boxes=1').boxes).toBe(true);
  });
});

describe('serializeViewParams', () => {
  it('writes the canonical order and leaves defaults out', () => {
    expect(serializeViewParams({ ...DEFAULT_PARAMS, head: 3, layer: 11, method: 'cls', model: 'dinov2' })).toBe(
      'model=dinov2&method=cls&layer=11&head=3',
    );
    expect(serializeViewParams(DEFAULT_PARAMS)).toBe('');
  });

  it('writes fusion only for fused maps and models only in compare mode', () => {
    expect(serializeViewParams({ ...DEFAULT_PARAMS, head: 2, fusion: 'max' })).toBe('head=2');
    expect(serializeViewParams({ ...DEFAULT_PARAMS, fusion: 'min' })).toBe('fusion=min');
    expect(serializeViewParams({ ...DEFAULT_PARAMS, compare: ['a', 'b'] })).toBe('');
    expect(serializeViewParams({ ...DEFAULT_PARAMS, mode: 'compare', compare: ['a', 'b'] })).toBe('mode=compare&models=a,b');
  });

  it('round-trips: parse(serialize(p)) = p for canonical states', () => {
    const states: ViewParams[] = [
      DEFAULT_PARAMS,
      { ...DEFAULT_PARAMS, model: 'siglip', method: 'pool', layer: 0, cmap: 'turbo', norm: 'abs', opacity: 1, boxes: false },
      { ...DEFAULT_PARAMS, model: 'dinov2', method: 'cls', layer: 11, head: 0, interp: 'crisp', opacity: 0 },
      { ...DEFAULT_PARAMS, mode: 'compare', compare: ['dinov2', 'clip', 'siglip2'], fusion: 'min', norm: 'layer', cmap: 'gray' },
      { ...DEFAULT_PARAMS, mode: 'heads', model: 'mae', method: 'mean', layer: 5 },
    ];
    for (const state of states) {
      const text = serializeViewParams(state);
      expect(parseViewParams(text)).toEqual(state);
      expect(serializeViewParams(parseViewParams(text))).toBe(text);
    }
  });

  it('compares states by their URL', () => {
    expect(sameParams(parseViewParams('layer=1&model=a'), parseViewParams('model=a&layer=1&cmap=viridis'))).toBe(true);
    expect(sameParams(parseViewParams('layer=1'), parseViewParams('layer=2'))).toBe(false);
  });

  it('builds viewer paths with the id escaped', () => {
    expect(viewPath('sub__nested 5', { model: 'clip', layer: 2 })).toBe('/view/sub__nested%205?model=clip&layer=2');
    expect(viewPath('img_0')).toBe('/view/img_0');
  });
});

describe('VLM text tokens: prompt and token', () => {
  it('reads the documented example', () => {
    const p = parseViewParams('?model=qwen2_5_vl&method=text&prompt=0&token=12-30&layer=20&head=3');
    expect(p).toEqual({ ...DEFAULT_PARAMS, model: 'qwen2_5_vl', method: 'text', prompt: 0, token: { start: 12, end: 30 }, layer: 20, head: 3 });
    expect(parseViewParams('token=7').token).toEqual({ start: 7, end: 7 });
  });

  it('puts a reversed range in order', () => {
    expect(parseViewParams('token=30-12').token).toEqual({ start: 12, end: 30 });
    expect(serializeViewParams(parseViewParams('token=30-12'))).toBe('token=12-30');
  });

  it('drops bad values (no token = the whole answer)', () => {
    for (const bad of ['abc', '-3', '1-2-3', '', '3-', '-', '1.5', '1e3', '1234567', '3,4']) {
      expect(parseViewParams(`token=${encodeURIComponent(bad)}`).token).toBeNull();
    }
    for (const bad of ['x', '-1', '1.5', '']) expect(parseViewParams(`prompt=${bad}`).prompt).toBeNull();
  });

  it('writes model, method, prompt, token, layer, head in that order; a single token without a range', () => {
    const p: ViewParams = { ...DEFAULT_PARAMS, head: 3, layer: 20, token: { start: 12, end: 30 }, prompt: 0, method: 'text', model: 'qwen2_5_vl' };
    expect(serializeViewParams(p)).toBe('model=qwen2_5_vl&method=text&prompt=0&token=12-30&layer=20&head=3');
    expect(serializeViewParams({ ...p, token: { start: 5, end: 5 } })).toBe('model=qwen2_5_vl&method=text&prompt=0&token=5&layer=20&head=3');
    expect(serializeViewParams({ ...p, token: null, prompt: null })).toBe('model=qwen2_5_vl&method=text&layer=20&head=3');
  });

  it('round-trips', () => {
    const states: ViewParams[] = [
      { ...DEFAULT_PARAMS, model: 'qwen2_5_vl', method: 'text', prompt: 1, token: { start: 0, end: 0 }, layer: 0 },
      { ...DEFAULT_PARAMS, model: 'qwen3_vl', method: 'text', prompt: 0, token: { start: 4, end: 19 }, mode: 'heads', norm: 'layer' },
      { ...DEFAULT_PARAMS, model: 'qwen3_vl', method: 'text', prompt: 2, token: null, head: 15 },
    ];
    for (const state of states) {
      const text = serializeViewParams(state);
      expect(parseViewParams(text)).toEqual(state);
      expect(serializeViewParams(parseViewParams(text))).toBe(text);
    }
    expect(sameParams(parseViewParams('token=3-4'), parseViewParams('token=4-3'))).toBe(true);
    expect(sameParams(parseViewParams('token=3-4'), parseViewParams('token=3'))).toBe(false);
  });
});
