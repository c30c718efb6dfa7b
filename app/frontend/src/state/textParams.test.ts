import { describe, expect, it } from 'vitest';
import { closeText, DEFAULT_TEXT_PARAMS, openText, parseTextParams, serializeTextParams } from './textParams';

describe('text view params', () => {
  it('round-trips through the URL', () => {
    const params = {
      ...DEFAULT_TEXT_PARAMS,
      model: 'qwen3',
      open: ['math-1', 'agent,trajectory'],
      text: 'agent,trajectory',
      layer: 3,
      head: 0,
      token: 12,
      mode: 'received' as const,
      view: 'matrix' as const,
      compare: 'smollm2',
    };
    expect(parseTextParams(serializeTextParams(params))).toEqual(params);
    expect(serializeTextParams(DEFAULT_TEXT_PARAMS)).toBe('');
  });

  it('ignores what it cannot use and opens the asked text', () => {
    const p = parseTextParams('layer=-1&head=x&token=1e3&mode=nope&view=zzz&text=b&open=a&open=a');
    expect(p).toMatchObject({ layer: null, head: null, token: null, mode: 'pays', view: 'flow', open: ['a', 'b'], text: 'b' });
  });

  it('opens, shows and closes tabs', () => {
    let p = { ...DEFAULT_TEXT_PARAMS };
    p = { ...p, ...openText(p, 'a') };
    p = { ...p, token: 5 };
    p = { ...p, ...openText(p, 'b') };
    expect(p).toMatchObject({ open: ['a', 'b'], text: 'b', token: null });
    p = { ...p, ...openText(p, 'a') };
    expect(p.open).toEqual(['a', 'b']);
    p = { ...p, ...closeText(p, 'a') };
    expect(p).toMatchObject({ open: ['b'], text: 'b' });
    p = { ...p, ...closeText(p, 'b') };
    expect(p).toMatchObject({ open: [], text: null });
  });
});
