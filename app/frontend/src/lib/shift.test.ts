import { describe, expect, it } from 'vitest';
import type { ShiftCell } from '../api/types';
import { describeShift, FUSED_HEAD, shiftCellName, shiftGrid, shiftRange } from './shift';

const cell = (layer: number, head: number, mean: number): ShiftCell => ({ layer, head, mean, ci_low: mean * 0.8, ci_high: mean * 1.2, n: 5 });

describe('shiftGrid', () => {
  const cells = [cell(0, 0, 0.1), cell(0, 1, 0.3), cell(1, 0, 0.05), cell(0, FUSED_HEAD, 0.15), cell(1, FUSED_HEAD, 0.02)];

  it('places every head at rows[layer][head] and the fused cells in their own column', () => {
    const grid = shiftGrid(cells, 2, 2);
    expect(grid.rows[0]![1]!.mean).toBe(0.3);
    expect(grid.rows[1]![1]).toBeNull();
    expect(grid.fused.map((c) => c?.mean)).toEqual([0.15, 0.02]);
    expect(grid.largest).toEqual(cells[1]);
  });

  it('grows to fit cells beyond the model description', () => {
    const grid = shiftGrid([cell(3, 5, 0.2)], 2, 2);
    expect([grid.layers, grid.heads]).toEqual([4, 6]);
    expect(grid.rows[3]![5]!.mean).toBe(0.2);
  });

  it('a fused-only result has no largest head', () => {
    expect(shiftGrid([cell(0, FUSED_HEAD, 0.4)], 1, 4).largest).toBeNull();
  });
});

describe('shiftRange and words', () => {
  it('spans 0 … the largest mean; a zero shift still has a scale', () => {
    expect(shiftRange([cell(0, 0, 0.1), cell(0, 1, 0.3)])).toEqual({ lo: 0, hi: 0.3 });
    expect(shiftRange([cell(0, 0, 0)])).toEqual({ lo: 0, hi: 1 });
  });

  it('describes a cell with its CI and count', () => {
    expect(describeShift({ mean: 0.1234, ci_low: 0.1, ci_high: 0.15, n: 12 })).toBe('0.123 (95% CI 0.100–0.150, 12 images)');
    expect(describeShift({ mean: 0, ci_low: 0, ci_high: 0, n: 1 })).toBe('0.000 (95% CI 0.000–0.000, 1 image)');
    expect(shiftCellName({ layer: 2, head: FUSED_HEAD })).toBe('layer 2 · fused');
    expect(shiftCellName({ layer: 2, head: 3 })).toBe('layer 2 · head 3');
  });
});
