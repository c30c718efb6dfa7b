import type { ModelInfo } from '../../api/types';
import type { ColormapName } from '../../lib/colormaps';
import { storedBase } from '../../lib/variants';
import { methodHeads, methodLayers } from '../../state/resolveView';
import { ShiftMetricsPanel } from './ShiftMetricsPanel';

/** The variant the dashboard shows a shift for without localisation metrics: the URL's model if it is one, else the first with a stored base. */
export function shiftSubject(models: readonly ModelInfo[], model: string | null, method: string | null) {
  const chosen = models.find((m) => m.key === model);
  const variant = chosen !== undefined && storedBase(chosen, models) !== null ? chosen : models.find((m) => storedBase(m, models) !== null);
  if (variant === undefined) return null;
  const m = method !== null && variant.methods.includes(method) ? method : variant.methods[0]!;
  return { model: variant, base: storedBase(variant, models)!, method: m, layers: methodLayers(variant, m), heads: methodHeads(variant, m) };
}

/** A variant's shift table where the dashboard has nothing else to show (no annotation boxes, no localisation metrics). */
export function VariantShifts({ models, model, method, cmap }: { models: readonly ModelInfo[]; model: string | null; method: string | null; cmap: ColormapName }) {
  const subject = shiftSubject(models, model, method);
  if (subject === null) return null;
  return <ShiftMetricsPanel {...subject} cmap={cmap} />;
}
