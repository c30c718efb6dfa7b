/** Token-flow tints: a query row's kept keys (or the attention each token receives) as per-token weights in [0, 1]. */

export interface KeptRow {
  keys: readonly number[];
  values: readonly number[];
}

/** Per token, the probability the query pays it (0 for keys not kept). */
export function rowWeights(row: KeptRow, nTokens: number): Float32Array {
  const weights = new Float32Array(nTokens);
  row.keys.forEach((key, i) => {
    if (key >= 0 && key < nTokens) weights[key] = row.values[i] ?? 0;
  });
  return weights;
}

/**
 * Weights scaled so that the largest becomes 1, ignoring `skip` (the first token, the sink,
 * would otherwise wash every other token out); the skipped token is clipped at 1.
 */
export function normalised(weights: ArrayLike<number>, skip: number | null = 0): Float32Array {
  let max = 0;
  for (let i = 0; i < weights.length; i++) {
    if (i !== skip && weights[i]! > max) max = weights[i]!;
  }
  const out = new Float32Array(weights.length);
  if (max <= 0) return out;
  for (let i = 0; i < weights.length; i++) out[i] = Math.min(1, weights[i]! / max);
  return out;
}

/** How a token reads in the flow: line breaks kept as a visible ↵ then a break, tabs as →. */
export function tokenDisplay(text: string): { shown: string; breaks: number } {
  const breaks = (text.match(/\n/g) ?? []).length;
  const shown = text.replace(/\n/g, '↵').replace(/\t/g, '→');
  return { shown: shown === '' ? '∅' : shown, breaks };
}

/** The background of a token tinted by `t` in [0, 1] (accent blue, transparent at 0). */
export function tintColor(t: number): string {
  if (t <= 0) return 'transparent';
  return `rgba(94, 184, 255, ${(0.12 + 0.78 * Math.min(1, t)).toFixed(3)})`;
}
