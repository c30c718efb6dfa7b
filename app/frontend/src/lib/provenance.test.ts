import { describe, expect, it } from 'vitest';
import { DINOV2 as DINO, QWEN } from '../test/fixtures';
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

  it("records a VLM text map's prompt and tokens, in the file name and the caption too", () => {
    const text = { prompt: 0, promptText: 'Describe this image.', token: '12-30', tokenText: ' an astronaut' };
    const p = makeProvenance({ ...base, model: QWEN, method: 'text', layer: 20, head: 3, shape: [12, 16], text });
    expect(p).toMatchObject({ model: 'qwen2_5_vl', method: 'text', prompt: 0, prompt_text: 'Describe this image.', token: '12-30', token_text: ' an astronaut', shape: [12, 16] });
    expect(exportBaseName(p)).toBe('chelsea_cat_qwen2_5_vl_text_P0_T12-30_L20_H3');
    expect(captionOf(p)).toContain('· text · prompt 0 · tokens 12-30 · layer 20 · head 3');
    const answer = makeProvenance({ ...base, model: QWEN, method: 'text', layer: 20, head: null, text: { ...text, token: null } });
    expect(exportBaseName(answer)).toBe('chelsea_cat_qwen2_5_vl_text_P0_Tanswer_L20_fused-mean');
    expect(captionOf(answer)).toContain('prompt 0 · answer');
    // other methods carry no prompt or token
    expect(makeProvenance({ ...base, model: QWEN, method: 'mean', head: null })).not.toHaveProperty('prompt');
  });

  it('escapes non-ASCII characters in JSON (for PNG text)', () => {
    expect(asciiJson({ a: '16×16 é' })).toBe('{"a":"16\\u00d716 \\u00e9"}');
    expect(JSON.parse(asciiJson({ a: '16×16 é' }))).toEqual({ a: '16×16 é' });
  });
});
