/**
 * The HTTP API's JSON bodies as the app uses them: friendly names for the types generated from the
 * API's OpenAPI schema (schema.gen.ts, `npm run types`; app/backend/schemas.py is the source), plus
 * the app's own query and decoded-map types. Where the API sends a fixed-length list (a grid, a box)
 * the alias narrows it to a tuple.
 */
import type { components } from './schema.gen';

type Schemas = components['schemas'];

/**
 * A response body as it arrives: the API serialises every field of its models (defaults included),
 * so a field the schema lists as optional because it defaults to null is `T | null`, never absent.
 */
type Sent<T> = T extends object ? { [K in keyof T]-?: Sent<Exclude<T[K], undefined>> } : T;

/** `pretrained` or `random`: which weights produced a model's maps. */
export type Weights = 'pretrained' | 'random' | (string & {});
export type Fusion = NonNullable<Schemas['MapSlice']['fusion']>;
export const FUSIONS: readonly Fusion[] = ['mean', 'max', 'min'];

/** `vit`: one fixed patch grid; `vlm`: a vision-language model (grids vary per image, text→image maps). */
export type ModelKind = Schemas['ModelInfo']['kind'];

/** [gh, gw] */
export type Grid = [number, number];

/** `grid` is [gh, gw], or null for VLMs (the grid varies from image to image). */
export type ModelInfo = Omit<Sent<Schemas['ModelInfo']>, 'grid'> & { grid: Grid | null };

export type ModelList = { models: ModelInfo[] };

export type ImageSummary = Sent<Schemas['ImageSummary']>;
export type ImagePage = Sent<Schemas['ImagePage']>;

/** `box` is [x0, y0, x1, y1] normalised to [0, 1]. */
export type Annotation = Omit<Sent<Schemas['Annotation']>, 'box'> & { box: [number, number, number, number] };

export type ImageDetail = Omit<Sent<Schemas['ImageDetail']>, 'annotations'> & { annotations: Annotation[] };

export type ErrorBody = Schemas['ErrorBody'];
export type Health = Sent<Schemas['Health']>;
/** What the server serves (gallery, store, catalog; passwords masked) and the precompute flags for it. */
export type Served = Schemas['Served'];

/**
 * Which text tokens a VLM `text` map is of: `prompt` indexes the model's prompts, `token` is the
 * API's `t` or `a-b` (inclusive; the mean of those tokens' maps), null = every answer token.
 * Both are only sent with method `text`.
 */
export interface TextSelection {
  prompt?: number | null;
  token?: string | null;
}

/** What identifies one map: `head` null = fused over heads with `fusion`. */
export interface MapQuery extends TextSelection {
  imageId: string;
  model: string;
  method: string;
  layer: number;
  head: number | null;
  fusion: Fusion;
}

export interface HeadsQuery extends TextSelection {
  imageId: string;
  model: string;
  method: string;
  layer: number;
}

/* ---------- VLM text tokens (/attention/{id}/tokens) ---------- */

export type TokenRole = 'template' | 'prompt' | 'answer' | (string & {});

export type TextToken = Sent<Schemas['TextToken']>;

export interface TokensQuery {
  imageId: string;
  model: string;
  prompt: number;
  /** null: image mass fused (mean over heads) */
  head: number | null;
}

export type PromptDone = Sent<Schemas['PromptRef']>;

/**
 * Teacher forcing (precompute --answer-from NAME): `answer_from` is the model whose generated answer
 * was forced through this one (null: its own answer), `own_answer` this model's free answer.
 */
export type TeacherForcing = Pick<Schemas['TokenList'], 'answer_from' | 'own_answer'>;

/** `grid`: the text maps' merged grid; `vision_grid`: the vision tower's; `resized`: [height, width]. */
export type TokensBody = Omit<Sent<Schemas['TokenList']>, 'grid' | 'vision_grid' | 'resized'> & {
  grid: Grid;
  vision_grid: Grid;
  resized: [number, number];
} & TeacherForcing;

/** One map on the patch grid, decoded from the API's float16 bytes. */
export interface GridMap {
  gh: number;
  gw: number;
  values: Float32Array;
  /** the float16 bytes as the API sent them (exported unchanged as .npy) */
  bytes: Uint8Array;
  min: number;
  max: number;
  weights: Weights;
  /** a VLM map's text token (`X-Token`): of method gradrollout, the answer token it explains */
  token?: string | null;
  /** a VLM map's prompt index (`X-Prompt`) */
  prompt?: string | null;
}

/** Every head of one layer: values are (heads, gh, gw) row-major. */
export interface HeadMaps extends GridMap {
  heads: number;
  headMin: number[];
  headMax: number[];
}

/* ---------- metrics (/metrics/...): localisation scores against the annotation boxes ---------- */

/** A metric over the annotated images: mean, sd (ddof 1), bootstrap 95% CI of the mean, count. */
export type MetricStat = Sent<Schemas['MetricStat']>;

/** What every /metrics answer carries. `metric` is null (and `hint` set) when nothing is scored yet. */
export type MetricsBody = Pick<Leaderboard, 'metric' | 'metrics' | 'label' | 'baselines' | 'hint'>;

export type Leaderboard = Sent<Schemas['Leaderboard']>;
export type LayerProgression = Sent<Schemas['LayerProgression']>;
export type HeadRanking = Sent<Schemas['HeadRanking']>;
export type ImageScore = Sent<Schemas['ImageScore']>;
export type ImageRanking = Sent<Schemas['ImageRanking']>;
export type ImageMetric = Sent<Schemas['ImageMetric']>;
export type ImageMetrics = Sent<Schemas['ImageMetrics']>;

export interface LeaderboardQuery {
  metric: string | null;
  method: string | null;
  layer: number | null;
  label: string;
}

export interface ModelMetricQuery {
  model: string;
  metric: string | null;
  method: string | null;
  /** only images with a box of this label ('' = all); the heads table ignores it (per-head results are not split by label) */
  label?: string;
}

export interface ImageRankingQuery extends ModelMetricQuery {
  layer: number | null;
  head: number | null;
}

/** `/attention/{id}/heatmap.png`: the map rendered over the image by the API. */
export interface HeatmapPngQuery extends TextSelection {
  imageId: string;
  model: string;
  method: string;
  layer: number;
  head: number | null;
  size: number;
  colormap: string;
  boxes: boolean;
}

/* ---------- variants: a model's shift from its base (/attention/{id}/shift, /metrics/shift) ---------- */
/* The cells and ranked images are the API's bodies; the map and the queries are the client's. */

/** One signed map `model − base` on the same grid: `head` null = fused over heads with `fusion`. */
export interface ShiftQuery extends MapQuery {
  base: string;
}

/** The difference decoded from the API's float16 bytes, with the total-variation distance of the two maps. */
export interface ShiftMap extends GridMap {
  /** ½·Σ|p − q| of the two maps, each normalised to sum 1: 0 = the same map, 1 = disjoint */
  distance: number;
  /** the base's weights (the variant's are `weights`) */
  baseWeights: Weights | null;
}

/** One layer × head of `/metrics/shift`: mean distance over the images both models have, bootstrap 95% CI (head −1 = fused). */
export type ShiftCell = Sent<Schemas['ShiftCell']>;

export type ShiftImage = Sent<Schemas['ShiftImage']>;

/** `/metrics/shift`: cells per layer × head, images ranked largest shift first. */
export type ShiftMetrics = Sent<Schemas['ShiftMetricsBody']>;

export interface ShiftMetricsQuery {
  model: string;
  base: string;
  method: string;
}
