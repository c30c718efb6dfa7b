/** The HTTP API's JSON bodies (app/backend/schemas.py), as the app uses them. */

export type Weights = 'pretrained' | 'random' | (string & {});
export type Fusion = 'mean' | 'max' | 'min';
export const FUSIONS: readonly Fusion[] = ['mean', 'max', 'min'];

/** `vit`: one fixed patch grid; `vlm`: a vision-language model (grids vary per image, text→image maps). */
export type ModelKind = 'vit' | 'vlm';

export interface ModelInfo {
  key: string;
  family: string;
  checkpoint: string;
  revision: string | null;
  weights: Weights;
  /** absent from stores written before VLMs: `vit` */
  kind?: ModelKind;
  /** null for VLMs (dynamic resolution: each map response carries its shape) */
  image_size: number | null;
  patch: number;
  /** [gh, gw]; null for VLMs (the grid varies from image to image) */
  grid: [number, number] | null;
  /** the language model's for VLMs */
  layers: number;
  heads: number;
  methods: string[];
  per_head_methods: string[];
  /** layers per method (the pooling head `pool` has 1; a VLM's vision tower has its own depth) */
  method_layers: Record<string, number>;
  /** heads per method (VLMs: `text` has the language model's, `mean`/`rollout` the vision tower's) */
  method_heads?: Record<string, number>;
  /** VLMs: the prompts ever run (index = the `prompt` parameter); ViTs: [] */
  prompts?: string[];
  /** VLMs: one image token = merge × merge patches */
  merge?: number | null;
  max_pixels?: number | null;
  max_new_tokens?: number | null;
  has_cls: boolean;
  has_pool: boolean;
  registers: number;
  prefix_tokens: string[];
  per_head: boolean;
  dtype: string;
  schema_version: number;
}

export interface ModelList {
  models: ModelInfo[];
}

export interface ImageSummary {
  id: string;
  path: string;
  width: number | null;
  height: number | null;
  sha256: string | null;
  error: string | null;
  /** models whose maps for this image are complete */
  models: string[];
  /** number of annotation boxes, when the API sends it (else the gallery asks /images/{id}) */
  annotations?: number;
}

export interface ImagePage {
  total: number;
  limit: number;
  offset: number;
  items: ImageSummary[];
}

export interface Annotation {
  label: string;
  /** [x0, y0, x1, y1] normalised to [0, 1] */
  box: [number, number, number, number];
  source: string | null;
}

export interface ImageDetail extends Omit<ImageSummary, 'annotations'> {
  annotations: Annotation[];
}

export interface ErrorBody {
  detail: unknown;
  message: string;
  parameter?: string | null;
  allowed?: string[] | number[] | Record<string, number> | null;
}

export interface Health {
  status: 'ok' | 'unavailable';
  store: { ok: boolean; detail?: string | null; url: string; models?: number | null };
  catalog: { ok: boolean; detail?: string | null };
}

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

export interface TextToken {
  /** index among the text tokens after the image (the `token` parameter) */
  index: number;
  id: number;
  text: string;
  role: TokenRole;
  /** position in the whole sequence */
  position: number;
}

export interface TokensQuery {
  imageId: string;
  model: string;
  prompt: number;
  /** null: image mass fused (mean over heads) */
  head: number | null;
}

export interface PromptDone {
  index: number;
  text: string;
}

export interface TokensBody {
  image_id: string;
  model: string;
  weights: Weights;
  prompt: number;
  prompt_text: string;
  answer: string;
  /** the prompts done for this image */
  prompts: PromptDone[];
  /** merged grid of the text maps, [gh, gw] */
  grid: [number, number];
  /** the vision tower's patch grid (mean, rollout) */
  vision_grid: [number, number];
  /** [height, width] the image was resized to */
  resized: [number, number];
  layers: number;
  heads: number;
  head: number | null;
  tokens: TextToken[];
  /** image_mass[t][l]: the share of token t's attention on the image tokens at layer l */
  image_mass: number[][];
}

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
}

/** Every head of one layer: values are (heads, gh, gw) row-major. */
export interface HeadMaps extends GridMap {
  heads: number;
  headMin: number[];
  headMax: number[];
}

/* ---------- metrics (/metrics/...): localisation scores against the annotation boxes ---------- */

/** A metric over the annotated images: mean, sd (ddof 1), bootstrap 95% CI of the mean, count. */
export interface MetricStat {
  model: string;
  method: string;
  layer: number;
  /** null: the heads fused (mean) */
  head: number | null;
  mean: number;
  std: number;
  ci_low: number;
  ci_high: number;
  count: number;
}

/** What every /metrics answer carries. `metric` is null (and `hint` set) when nothing is scored yet. */
export interface MetricsBody {
  metric: string | null;
  metrics: string[];
  /** the annotation label the images were restricted to; '' = all */
  label: string;
  /** `baseline/centre` and `baseline/random`, scored the same way */
  baselines: MetricStat[];
  hint?: string | null;
}

export interface Leaderboard extends MetricsBody {
  method: string | null;
  /** null: each model's last layer */
  layer: number | null;
  /** fused maps, best mean first */
  rows: MetricStat[];
}

export interface LayerProgression extends MetricsBody {
  model: string;
  method: string | null;
  /** fused maps, by method and layer */
  layers: MetricStat[];
}

export interface HeadRanking extends MetricsBody {
  model: string;
  method: string | null;
  layer: number | null;
  /** per-head results, best first */
  heads: MetricStat[];
}

export interface ImageScore {
  image_id: string;
  value: number;
}

export interface ImageRanking extends MetricsBody {
  model: string;
  method: string;
  layer: number;
  head: number | null;
  /** best first */
  images: ImageScore[];
}

export interface ImageMetric {
  model: string;
  method: string;
  layer: number;
  head: number | null;
  metric: string;
  value: number;
}

export interface ImageMetrics {
  image_id: string;
  values: ImageMetric[];
}

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
