import { describe, expect, it } from 'vitest';
import type { ImageMetric, MetricStat } from '../api/types';
import { CLIP, QWEN } from '../test/fixtures';
import { methodNamer } from './methods';
import { baselinesByName, describeStat, formatScore, hasModelMetrics, mapMetricRows, metricHelp, statLabel, textScoreNote } from './metrics';

function stat(overrides: Partial<MetricStat>): MetricStat {
  return { model: 'dinov2', method: 'cls', layer: 11, head: null, mean: 0.6312, std: 0.2, ci_low: 0.5021, ci_high: 0.75, count: 10, ...overrides };
}

function value(overrides: Partial<ImageMetric>): ImageMetric {
  return { model: 'dinov2', method: 'cls', layer: 2, head: null, metric: 'energy', value: 0.5, ...overrides };
}

describe('formatting', () => {
  it('writes scores with 3 decimals and a stat with its CI and count', () => {
    expect(formatScore(0.63123)).toBe('0.631');
    expect(formatScore(1)).toBe('1.000');
    expect(formatScore(Number.NaN)).toBe('—');
    expect(describeStat(stat({}))).toBe('0.631 (95% CI 0.502–0.750, n = 10)');
  });

  it('names maps and baselines', () => {
    expect(statLabel(stat({}))).toBe('dinov2 · cls · layer 11');
    expect(statLabel(stat({ head: 3 }))).toBe('dinov2 · cls · layer 11 · head 3');
    expect(statLabel(stat({ model: 'baseline', method: 'centre', layer: 0 }))).toBe('centre baseline');
  });

  it("names a VLM's methods as the viewer does", () => {
    const name = methodNamer([CLIP, QWEN]);
    expect(statLabel(stat({ model: 'qwen2_5_vl', method: 'mean', layer: 31, head: 2 }), name)).toBe('qwen2_5_vl · Vision mean · layer 31 · head 2');
    expect(statLabel(stat({ model: 'qwen2_5_vl', method: 'text', layer: 35 }), name)).toBe('qwen2_5_vl · Text → image (answer) · layer 35');
    expect(statLabel(stat({ model: 'clip', method: 'mean' }), name)).toBe('clip · mean · layer 11');
    expect(statLabel(stat({ model: 'baseline', method: 'random', layer: 0 }), name)).toBe('random baseline');
  });

  it('explains known metrics and names unknown ones', () => {
    expect(metricHelp('energy')).toMatch(/mass inside the boxes/);
    expect(metricHelp('new_metric')).toBe('new_metric');
  });
});

describe('baselinesByName', () => {
  it('finds the centre and random baselines', () => {
    const centre = stat({ model: 'baseline', method: 'centre', layer: 0 });
    const random = stat({ model: 'baseline', method: 'random', layer: 0 });
    expect(baselinesByName([random, stat({}), centre])).toEqual({ centre, random });
    expect(baselinesByName([])).toEqual({});
  });
});

describe('mapMetricRows', () => {
  const values = [
    value({ metric: 'energy', value: 0.7 }),
    value({ metric: 'iou_top10', value: 0.2 }),
    value({ metric: 'energy', head: 1, value: 0.9 }),
    value({ metric: 'energy', layer: 1, value: 0.1 }),
    value({ model: 'clip', metric: 'energy', value: 0.3 }),
    value({ model: 'baseline', method: 'centre', layer: 0, metric: 'energy', value: 0.4 }),
    value({ model: 'baseline', method: 'random', layer: 0, metric: 'energy', value: 0.25 }),
    value({ model: 'baseline', method: 'centre', layer: 0, metric: 'iou_top10', value: 0.15 }),
  ];

  it("picks one map's values beside the baselines, one row per metric", () => {
    expect(mapMetricRows(values, { model: 'dinov2', method: 'cls', layer: 2, head: null })).toEqual([
      { metric: 'energy', value: 0.7, centre: 0.4, random: 0.25 },
      { metric: 'iou_top10', value: 0.2, centre: 0.15, random: null },
    ]);
  });

  it('tells a head from the fused map', () => {
    expect(mapMetricRows(values, { model: 'dinov2', method: 'cls', layer: 2, head: 1 })[0]).toMatchObject({ metric: 'energy', value: 0.9 });
  });

  it('leaves values out for a map that was not scored', () => {
    const rows = mapMetricRows(values, { model: 'siglip', method: 'mean', layer: 2, head: null });
    expect(rows.every((r) => r.value === null)).toBe(true);
    expect(hasModelMetrics(values, 'siglip')).toBe(false);
    expect(hasModelMetrics(values, 'clip')).toBe(true);
  });
});

describe('textScoreNote', () => {
  it("says a VLM's text scores are the first prompt's whole answer", () => {
    expect(textScoreNote({ prompt: 0, token: null }, 0)).toEqual({ scope: "Scored: the answer's mean map, first prompt (prompt 0).", caveat: null });
    expect(textScoreNote({ prompt: 0, token: null }, null)).toEqual({ scope: "Scored: the answer's mean map, first prompt.", caveat: null });
  });

  it('says how they differ from the map on screen', () => {
    expect(textScoreNote({ prompt: 1, token: null }, 0).caveat).toBe("Prompt 1 is not scored: these are prompt 0's scores.");
    expect(textScoreNote({ prompt: 1, token: { start: 3, end: 3 } }, 0).caveat).toMatch(/^Prompt 1 is not scored/);
    expect(textScoreNote({ prompt: 0, token: { start: 3, end: 3 } }, 0).caveat).toBe("These are the whole answer's scores, not those of token 3.");
    expect(textScoreNote({ prompt: 0, token: { start: 4, end: 6 } }, null).caveat).toBe("These are the whole answer's scores, not those of tokens 4–6.");
    // the image's prompts not known yet: nothing to compare the prompt with
    expect(textScoreNote({ prompt: 1, token: null }, null).caveat).toBeNull();
  });
});
