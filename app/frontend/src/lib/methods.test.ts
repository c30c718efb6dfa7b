import { describe, expect, it } from 'vitest';
import { CLIP, QWEN, SIGLIP } from '../test/fixtures';
import { barSublabel, methodLabel, methodNamer, methodOptionLabel, scoredMethodLabel } from './methods';

describe('method names', () => {
  it("name a VLM's scores like the viewer, its text maps as the answer's", () => {
    expect(QWEN.methods.map((m) => scoredMethodLabel(QWEN, m))).toEqual(['Text → image (answer)', 'Vision mean', 'Vision rollout']);
    expect(QWEN.methods.map((m) => methodLabel(QWEN, m))).toEqual(['Text → image', 'Vision mean', 'Vision rollout']);
    expect(scoredMethodLabel(CLIP, 'mean')).toBe('mean');
  });

  it('name a method by model key; unknown models and methods keep the key', () => {
    const name = methodNamer([CLIP, QWEN]);
    expect(name('qwen2_5_vl', 'mean')).toBe('Vision mean');
    expect(name('qwen2_5_vl', 'text')).toBe('Text → image (answer)');
    expect(name('clip', 'mean')).toBe('mean');
    expect(name('gone', 'mean')).toBe('mean');
    expect(name('baseline', 'centre')).toBe('centre');
    expect(methodNamer([QWEN], methodLabel)('qwen2_5_vl', 'text')).toBe('Text → image');
  });

  it("list each of a method's names in a selector over several models", () => {
    const models = [CLIP, SIGLIP, QWEN];
    expect(methodOptionLabel(models, 'cls')).toBe('cls');
    expect(methodOptionLabel(models, 'mean')).toBe('mean / Vision mean');
    expect(methodOptionLabel(models, 'text')).toBe('Text → image (answer)');
    expect(methodOptionLabel([CLIP], 'rollout')).toBe('rollout');
    expect(methodOptionLabel([CLIP], 'nope')).toBe('nope');
  });

  it('split a long name under a bar at its middle space, the layer on a line of its own', () => {
    expect(barSublabel('rollout', 2)).toEqual(['rollout', 'L2']);
    expect(barSublabel('Vision rollout', 31)).toEqual(['Vision', 'rollout', 'L31']);
    expect(barSublabel('Text → image', 2)).toEqual(['Text →', 'image', 'L2']);
  });
});
