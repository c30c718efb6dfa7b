import { describe, expect, it } from 'vitest';
import { DINOV2 as DINO } from '../test/fixtures';
import { asciiJson, captionOf, exportBaseName, makeProvenance } from './provenance';


describe('provenance', () => {
  const base = {
    imageId: 'chelsea_cat',
    imageSha256: 'abc',
    model: DINO,
    method: 'cls',
    layer: 11,
    fusion: 'mean' as const,
    shape: [16, 16],
    min: 0.001,
    max: 0.2,
    source: 'http://x/attention/chelsea_cat/raw?model=dinov2',
    now: new Date('2026-01-02T03:04:05Z'),
  };

  it('records model, checkpoint, weights, method, layer and head', () => {
    const p = makeProvenance({ ...base, head: 3 });
    expect(p).toMatchObject({
      image_id: 'chelsea_cat',
      model: 'dinov2',
      checkpoint: 'facebook/dinov2-with-registers-base',
      weights: 'random',
      method: 'cls',
      layer: 11,
      head: 3,
      fusion: null,
      shape: [16, 16],
      dtype: 'float16',
      exported_at: '2026-01-02T03:04:05.000Z',
    });
    expect(exportBaseName(p)).toBe('chelsea_cat_dinov2_cls_L11_H3_random');
    expect(captionOf(p)).toContain('RANDOM WEIGHTS');
  });

  it('names fused maps and all-heads exports', () => {
    const fused = makeProvenance({ ...base, head: null, fusion: 'max', model: { ...DINO, weights: 'pretrained' } });
    expect(fused.fusion).toBe('max');
    expect(exportBaseName(fused)).toBe('chelsea_cat_dinov2_cls_L11_fused-max');
    const all = makeProvenance({ ...base, head: 'all', shape: [12, 16, 16] });
    expect(exportBaseName(all)).toBe('chelsea_cat_dinov2_cls_L11_heads_random');
  });

  it('escapes non-ASCII characters in JSON (for PNG text)', () => {
    expect(asciiJson({ a: '16×16 é' })).toBe('{"a":"16\\u00d716 \\u00e9"}');
    expect(JSON.parse(asciiJson({ a: '16×16 é' }))).toEqual({ a: '16×16 é' });
  });
});
