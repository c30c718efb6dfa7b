/**
 * Signed maps (a variant's map minus its base's): a diverging colormap centred on 0 over a
 * symmetric scale ±max|d|, so 0 is always the white centre, blue is "the base looked here more",
 * red "the variant looks here more", and equal magnitudes of either sign get equally strong colours.
 */
import type { DivergingName } from './colormaps';
import { formatValue, type ValueRange } from './normalise';

/** The app's diverging table: matplotlib's RdBu_r (blue … white … red). */
export const DIVERGING: DivergingName = 'rdbu';

/** Half-width used for an all-zero map, so that 0 still falls on the centre of the scale. */
export const ZERO_EXTENT = 1e-12;

export interface SymmetricRange extends ValueRange {
  /** max |d| over the finite values (0 for an all-zero map; lo = −hi either way) */
  extent: number;
}

/** ±max|d| of the finite values: lo = −hi, so toUnit(0) is exactly 0.5. */
export function symmetricRange(values: ArrayLike<number>): SymmetricRange {
  let extent = 0;
  for (let i = 0; i < values.length; i++) {
    const a = Math.abs(values[i]!);
    if (a > extent && Number.isFinite(a)) extent = a;
  }
  const half = extent > 0 ? extent : ZERO_EXTENT;
  return { lo: -half, hi: half, extent };
}

/** The scale's three labels: −max, 0, +max ('0' at both ends for an all-zero map). */
export function symmetricTicks(range: SymmetricRange): [string, string, string] {
  if (range.extent === 0) return ['0', '0', '0'];
  return [formatValue(-range.extent), '0', `+${formatValue(range.extent)}`];
}

/** A total-variation distance in [0, 1] for people: 0.123 → "0.123". */
export function formatDistance(distance: number | null | undefined): string {
  if (distance === null || distance === undefined || !Number.isFinite(distance)) return '—';
  return distance === 0 ? '0' : distance < 1e-3 ? distance.toExponential(1) : distance.toFixed(3);
}
