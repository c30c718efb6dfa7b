import { describe, expect, it } from 'vitest';
import { aspectWarning, formatCell } from './aspect';

const vit = { key: 'dinov2', grid: [16, 16] as [number, number] };
const vlm = { key: 'qwen2_5_vl', grid: null };

describe('aspectWarning', () => {
  it('warns for a panorama beyond 2:1 on a square ViT grid, with the cell size in image pixels', () => {
    const warning = aspectWarning(800, 200, [vit]);
    expect(warning).toEqual({ aspect: '4:1', models: ['dinov2'], cell: [50, 12.5], grid: [16, 16] });
    expect(formatCell(warning!.cell)).toBe('50×12.5');
  });

  it('warns for a tall portrait too (1:4)', () => {
    const warning = aspectWarning(180, 720, [vit]);
    expect(warning?.aspect).toBe('1:4');
    expect(warning?.cell).toEqual([11.25, 45]);
  });

  it('is silent at 2:1 and within it, and for an unknown size', () => {
    expect(aspectWarning(400, 200, [vit])).toBeNull();
    expect(aspectWarning(200, 400, [vit])).toBeNull();
    expect(aspectWarning(640, 480, [vit])).toBeNull();
    expect(aspectWarning(401, 200, [vit])?.aspect).toBe('2:1');
    expect(aspectWarning(null, 200, [vit])).toBeNull();
    expect(aspectWarning(800, 0, [vit])).toBeNull();
  });

  it('never warns for a VLM (its grid follows the image) and names only the squashing models', () => {
    expect(aspectWarning(800, 200, [vlm])).toBeNull();
    expect(aspectWarning(800, 200, [vlm, vit, { key: 'clip', grid: [14, 14] }])?.models).toEqual(['dinov2', 'clip']);
  });

  it('compares with the aspect of the input grid, not with a square', () => {
    // a grid of 2 rows × 8 columns is a 4:1 input: a 4:1 image is not squashed at all
    expect(aspectWarning(800, 200, [{ key: 'wide', grid: [2, 8] }])).toBeNull();
    expect(aspectWarning(200, 800, [{ key: 'wide', grid: [2, 8] }])?.aspect).toBe('1:4');
  });
});
