/** What an exported file says about itself: enough to find the same numbers again. */
import type { Fusion, ModelInfo } from '../api/types';

export interface Provenance {
  image_id: string;
  image_sha256: string | null;
  model: string;
  family: string;
  checkpoint: string;
  revision: string | null;
  weights: string;
  method: string;
  layer: number;
  /** null: all heads, fused with `fusion`; "all": every head (shape [heads, gh, gw]) */
  head: number | null | 'all';
  fusion: Fusion | null;
  shape: number[];
  dtype: 'float16';
  stored_min: number;
  stored_max: number;
  /** how the exported picture was drawn (not applied to the numbers) */
  display?: { normalisation: string; range: [number, number]; colormap: string; opacity: number; cells: string };
  source: string;
  exported_at: string;
  exported_by: string;
}

export const EXPORTED_BY = 'ssl-attention web app';

export function makeProvenance(args: {
  imageId: string;
  imageSha256: string | null;
  model: ModelInfo;
  weights?: string;
  method: string;
  layer: number;
  head: number | null | 'all';
  fusion: Fusion;
  shape: number[];
  min: number;
  max: number;
  source: string;
  display?: Provenance['display'];
  now?: Date;
}): Provenance {
  return {
    image_id: args.imageId,
    image_sha256: args.imageSha256,
    model: args.model.key,
    family: args.model.family,
    checkpoint: args.model.checkpoint,
    revision: args.model.revision,
    weights: args.weights ?? args.model.weights,
    method: args.method,
    layer: args.layer,
    head: args.head,
    fusion: args.head === null ? args.fusion : null,
    shape: args.shape,
    dtype: 'float16',
    stored_min: args.min,
    stored_max: args.max,
    ...(args.display ? { display: args.display } : {}),
    source: args.source,
    exported_at: (args.now ?? new Date()).toISOString(),
    exported_by: EXPORTED_BY,
  };
}

/** A file name that says what the file holds: img_model_method_L11_H3_random (no extension). */
export function exportBaseName(p: Pick<Provenance, 'image_id' | 'model' | 'method' | 'layer' | 'head' | 'fusion' | 'weights'>): string {
  const head = p.head === 'all' ? 'heads' : p.head === null ? `fused-${p.fusion ?? 'mean'}` : `H${p.head}`;
  const parts = [p.image_id, p.model, p.method, `L${p.layer}`, head];
  if (p.weights === 'random') parts.push('random');
  return parts.join('_').replace(/[^A-Za-z0-9_.-]+/g, '-');
}

/** JSON with every non-ASCII character escaped (fits a PNG tEXt chunk, which is Latin-1). */
export function asciiJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One line for a picture's caption. */
export function captionOf(p: Provenance): string {
  const head = p.head === 'all' ? 'all heads' : p.head === null ? `fused (${p.fusion})` : `head ${p.head}`;
  const weights = p.weights === 'random' ? 'RANDOM WEIGHTS' : p.weights;
  return `${p.image_id} · ${p.model} (${p.checkpoint}, ${weights}) · ${p.method} · layer ${p.layer} · ${head}`;
}
