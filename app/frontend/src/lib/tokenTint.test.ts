import { describe, expect, it } from 'vitest';
import { normalised, rowWeights, tintColor, tokenDisplay } from './tokenTint';

describe('token tints', () => {
  it('places a row’s kept keys and scales by the largest non-sink weight', () => {
    const w = rowWeights({ keys: [0, 2, 3], values: [0.7, 0.2, 0.1] }, 5);
    expect([...w]).toEqual([0.7, 0, 0.2, 0.1, 0].map(Math.fround));
    const t = normalised(w);
    expect(t[2]).toBeCloseTo(1);
    expect(t[3]).toBeCloseTo(0.5);
    expect(t[0]).toBe(1); // the sink, clipped
    expect([...normalised(new Float32Array(3))]).toEqual([0, 0, 0]);
    expect(normalised([0.5, 0.25], null)[1]).toBeCloseTo(0.5);
  });

  it('shows line breaks and empty tokens', () => {
    expect(tokenDisplay('a\n\nb')).toEqual({ shown: 'a↵↵b', breaks: 2 });
    expect(tokenDisplay('')).toEqual({ shown: '∅', breaks: 0 });
    expect(tintColor(0)).toBe('transparent');
    expect(tintColor(1)).toBe('rgba(94, 184, 255, 0.900)');
  });
});
