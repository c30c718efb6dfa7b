/** What an exported file says about itself: enough to find the same numbers again. */
import type { Fusion, ModelInfo, TokensBody } from '../api/types';
import type { ResolvedView } from '../state/resolveView';
import { formatTokenParam, selectionText } from './tokens';

export interface Provenance {
  image_id: string;
  image_sha256: string | null;
  model: string;
  family: string;
  checkpoint: string;
  revision: string | null;
  weights: string;
  method: string;
  /** VLM method `text`: the prompt's index and text */
  prompt?: number;
  prompt_text?: string | null;
  /** VLM method `text`: the API's `token` (`12`, `12-30`), null = every answer token; and those tokens' text */
  token?: string | null;
  token_text?: string | null;
  layer: number;
  /** null: all heads, fused with `fusion`; "all": every head (shape [heads, gh, gw]) */
  head: number | null | 'all';
  fusion: Fusion | null;
  shape: number[];
  dtype: 'float16';
  stored_min: number;
  stored_max: number;
  /** a variant's difference from its base (`vs base`): the numbers are `model − base`; the base's identity */
  base?: { model: string; family: string; checkpoint: string; revision: string | null; weights: string };
  /** `vs base`: the total variation of the two maps (each normalised to sum 1) */
  distance?: number | null;
  /** how the exported picture was drawn (not applied to the numbers) */
  display?: { normalisation: string; range: [number, number]; colormap: string; opacity: number; cells: string };
  source: string;
  exported_at: string;
  exported_by: string;
}

export const EXPORTED_BY = 'ssl-attention web app';

/** A text map's prompt and token selection for `makeProvenance` (undefined for other methods). */
export function textProvenance(
  view: Pick<ResolvedView, 'model' | 'method' | 'prompt' | 'token'>,
  tokens: TokensBody | undefined,
): { prompt: number; promptText: string | null; token: string | null; tokenText: string | null } | undefined {
  if (view.method !== 'text') return undefined;
  const shown = tokens?.prompt === view.prompt ? tokens : undefined;
  return {
    prompt: view.prompt ?? 0,
    promptText: shown !== undefined ? shown.prompt_text : (view.model.prompts?.[view.prompt ?? 0] ?? null),
    token: formatTokenParam(view.token),
    tokenText: shown !== undefined ? selectionText(view.token, shown.tokens) : null,
  };
}

export function makeProvenance(args: {
  imageId: string;
  imageSha256: string | null;
  model: ModelInfo;
  weights?: string;
  method: string;
  /** a VLM's text map: which prompt and tokens */
  text?: { prompt: number; promptText: string | null; token: string | null; tokenText: string | null };
  layer: number;
  head: number | null | 'all';
  fusion: Fusion;
  shape: number[];
  min: number;
  max: number;
  source: string;
  display?: Provenance['display'];
  /** `vs base`: the values are `model − base` */
  base?: { model: ModelInfo; weights?: string | null; distance: number | null };
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
    ...(args.text
      ? { prompt: args.text.prompt, prompt_text: args.text.promptText, token: args.text.token, token_text: args.text.tokenText }
      : {}),
    layer: args.layer,
    head: args.head,
    fusion: args.head === null ? args.fusion : null,
    shape: args.shape,
    dtype: 'float16',
    stored_min: args.min,
    stored_max: args.max,
    ...(args.base
      ? {
          base: {
            model: args.base.model.key,
            family: args.base.model.family,
            checkpoint: args.base.model.checkpoint,
            revision: args.base.model.revision,
            weights: args.base.weights ?? args.base.model.weights,
          },
          distance: args.base.distance,
        }
      : {}),
    ...(args.display ? { display: args.display } : {}),
    source: args.source,
    exported_at: (args.now ?? new Date()).toISOString(),
    exported_by: EXPORTED_BY,
  };
}

/**
 * A file name that says what the file holds: img_model_method_L11_H3_random (no extension); a
 * VLM's text map adds its prompt and tokens: img_qwen2_5_vl_text_P0_T12-30_L20_H3; a difference
 * from the base names both: img_dinov2-ft-minus-dinov2_cls_L11_H3.
 */
export function exportBaseName(
  p: Pick<Provenance, 'image_id' | 'model' | 'method' | 'layer' | 'head' | 'fusion' | 'weights' | 'prompt' | 'token' | 'base'>,
): string {
  const head = p.head === 'all' ? 'heads' : p.head === null ? `fused-${p.fusion ?? 'mean'}` : `H${p.head}`;
  const text = p.prompt !== undefined ? [`P${p.prompt}`, `T${p.token ?? 'answer'}`] : [];
  const model = p.base !== undefined ? `${p.model}-minus-${p.base.model}` : p.model;
  const parts = [p.image_id, model, p.method, ...text, `L${p.layer}`, head];
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
  const text = p.prompt !== undefined ? ` · prompt ${p.prompt} · ${p.token == null ? 'answer' : `tokens ${p.token}`}` : '';
  const base =
    p.base !== undefined
      ? ` − ${p.base.model} (${p.base.checkpoint}, ${p.base.weights === 'random' ? 'RANDOM WEIGHTS' : p.base.weights})`
      : '';
  const distance = p.base !== undefined && p.distance != null ? ` · distance ${p.distance.toFixed(3)}` : '';
  return `${p.image_id} · ${p.model} (${p.checkpoint}, ${weights})${base} · ${p.method}${text} · layer ${p.layer} · ${head}${distance}`;
}
