/**
 * The API's response bodies and routes, generated from its OpenAPI schema (app/backend/schemas.py):
 * do not edit; run `npm run types` after changing the API. Friendly names: src/api/types.ts.
 */

export interface paths {
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Health
         * @description 200 when the store and the catalog can both be read, else 503 saying which cannot and why.
         */
        get: operations["health_health_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/served": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Served
         * @description The gallery folder, the store and the catalog this server reads (passwords masked), and the
         *     `precompute` flags that act on them — what the web app appends to the commands it suggests.
         */
        get: operations["get_served_served_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/models": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Models
         * @description Every model in the store with its layers, heads, grid, methods and weights (VLMs: also
         *     their prompts; their grid is per image), in the registry's order (variants after their base).
         */
        get: operations["list_models_models_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/models/{model}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Model Info
         * @description One model's attributes.
         */
        get: operations["get_model_info_models__model__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/images": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Images
         * @description A page of images ordered by id, optionally filtered by `q`; `total` counts every match.
         */
        get: operations["list_images_images_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/images/{image_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Image
         * @description One image: size, content hash, models whose maps are done, and its annotation boxes.
         */
        get: operations["get_image_images__image_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/images/{image_id}/file": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get File
         * @description The original file, as it is in the gallery folder.
         */
        get: operations["get_file_images__image_id__file_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/images/{image_id}/thumbnail": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Thumbnail
         * @description A JPEG thumbnail (cached in memory).
         */
        get: operations["get_thumbnail_images__image_id__thumbnail_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/attention/{image_id}/raw": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Raw
         * @description One map on the patch grid: a head, or the heads fused (mean is the stored fused map).
         *     VLM `method=text`: the map of one text token, or the mean over a range of tokens.
         */
        get: operations["get_raw_attention__image_id__raw_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/attention/{image_id}/heads": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Heads
         * @description Every head of one layer in one response: shape [heads, gh, gw] (VLM `method=text`: of one
         *     text token, or each head's mean over a range of tokens).
         */
        get: operations["get_heads_attention__image_id__heads_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/attention/{image_id}/tokens": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Tokens
         * @description A VLM prompt's text tokens (those after the image, in sequence order) with, per token and
         *     layer, the share of its attention on the image (mean over heads, or one `head`).
         */
        get: operations["get_tokens_attention__image_id__tokens_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/attention/{image_id}/prefix": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Prefix
         * @description Per layer and head, the share of CLS attention on CLS itself and on each register token.
         */
        get: operations["get_prefix_attention__image_id__prefix_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/attention/{image_id}/heatmap.png": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Heatmap
         * @description The map stretched over the whole image frame (maps cover the full image: no crop) as a PNG.
         */
        get: operations["get_heatmap_attention__image_id__heatmap_png_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/attention/{image_id}/shift": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Shift
         * @description `model` − `base` of one map of the image (parameters as on /raw), on the same grid, with
         *     the total variation distance of the two maps. f16: the difference's bytes with /raw's headers,
         *     plus `X-Distance`, `X-Base` and `X-Base-Weights`.
         */
        get: operations["get_shift_attention__image_id__shift_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics/shift": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Shift Metrics
         * @description Per layer × head (and fused: head −1) the mean distance of `model` from `base` over every
         *     image both have, with a bootstrap 95% interval, and the images ranked by the distance of one
         *     map (largest first). Computed by `precompute --metrics`; 404 until it has run.
         */
        get: operations["get_shift_metrics_metrics_shift_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics/faithfulness": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Faithfulness Summary
         * @description Per model and per map (method × layer × head, fused maps as head null, and the `random` and
         *     `centre` baselines) the mean deletion and insertion AUC over images with bootstrap 95%
         *     intervals, the target score and the steps. Every model: an empty list until
         *     `precompute --faithfulness` has run; one model: 404 until it has run for that model.
         */
        get: operations["faithfulness_summary_metrics_faithfulness_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics/faithfulness/{image_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Faithfulness Image
         * @description One image's deletion and insertion curves (steps + 1 target scores each, from the whole
         *     image to all cells removed, and from none revealed to all) and their AUCs, for every map
         *     scored (or those the filters keep).
         */
        get: operations["faithfulness_image_metrics_faithfulness__image_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics/leaderboard": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Leaderboard
         * @description Every model's fused maps, best first, with the baselines; `layer` defaults to each model's last.
         */
        get: operations["leaderboard_metrics_leaderboard_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics/model/{model}/layers": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Layers
         * @description The metric of the fused maps at every layer: where in depth localisation appears.
         */
        get: operations["layers_metrics_model__model__layers_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics/model/{model}/heads": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Heads
         * @description Every head of every layer (or of `layer`), best first (needs `--per-head` maps).
         */
        get: operations["heads_metrics_model__model__heads_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics/model/{model}/images": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Images
         * @description The images ranked by one map's score, best first (`layer` defaults to the last):
         *     where the model looks right, and where it looks wrong.
         */
        get: operations["images_metrics_model__model__images_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/metrics/{image_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Image Metrics
         * @description Every metric of one image (fused maps; per head too with `heads=true`), optionally of one
         *     model and method.
         */
        get: operations["image_metrics_metrics__image_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/jobs": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** List Jobs */
        get: operations["list_jobs_jobs_get"];
        put?: never;
        /**
         * Submit Job
         * @description Queue an image (`image`, a file, or `image_id`, a gallery image), `prompt`s (repeatable;
         *     for VLMs) and `model`s (repeatable; names /models lists) for a worker. 202 with the job.
         */
        post: operations["submit_job_jobs_post"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/jobs/{job_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Get Job */
        get: operations["get_job_jobs__job_id__get"];
        put?: never;
        post?: never;
        /**
         * Cancel Job
         * @description Cancel a queued job at once, or a running one (its worker stops at its next check). A
         *     finished job is answered unchanged.
         */
        delete: operations["cancel_job_jobs__job_id__delete"];
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/texts": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * List Texts
         * @description The precomputed texts (one entry per text and model), by category and id.
         */
        get: operations["list_texts_texts_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/texts/{text_id}": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Text Detail
         * @description The text's tokens (`id`, `text`, `role`, `message`) and what was stored for it.
         */
        get: operations["get_text_detail_texts__text_id__get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/texts/{text_id}/row": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Text Row
         * @description One query token's attention: the kept keys (ascending) with their probabilities, the residual
         *     mass on the rest, the row's entropy and its attention on the first token (the sink).
         */
        get: operations["get_text_row_texts__text_id__row_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/texts/{text_id}/matrix": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Text Matrix
         * @description A pooled tile of the token × token matrix: queries [q0, q1) down, keys [k0, k1) across, each
         *     cell the mean (or max) of a block × block square; at most 262,144 cells (400 otherwise).
         */
        get: operations["get_text_matrix_texts__text_id__matrix_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/texts/{text_id}/stats": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Text Stats
         * @description Per layer × head: mean normalised entropy, sink mass, previous-token and induction scores,
         *     mean attention distance and the pattern label.
         */
        get: operations["get_text_stats_texts__text_id__stats_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
    "/texts/{text_id}/received": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /**
         * Get Text Received
         * @description Per token, the attention it receives from every later token (one layer, a head or fused).
         */
        get: operations["get_text_received_texts__text_id__received_get"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export type webhooks = Record<string, never>;
export interface components {
    schemas: {
        /** Annotation */
        Annotation: {
            /** Label */
            label: string;
            /**
             * Box
             * @description [x0, y0, x1, y1] normalised to [0, 1] by the image width and height
             */
            box: number[];
            /** Source */
            source: string | null;
        };
        /**
         * AucStat
         * @description The mean area under one curve over images, with its bootstrap 95% interval.
         */
        AucStat: {
            /** Mean */
            mean: number;
            /** Ci Low */
            ci_low: number;
            /** Ci High */
            ci_high: number;
        };
        /** CacheHealth */
        CacheHealth: {
            /** Items */
            items: number;
            /** Bytes */
            bytes: number;
            /** Max Bytes */
            max_bytes: number;
            /** Hits */
            hits: number;
            /** Misses */
            misses: number;
        };
        /** ComponentHealth */
        ComponentHealth: {
            /** Ok */
            ok: boolean;
            /** Detail */
            detail?: string | null;
        };
        /**
         * ErrorBody
         * @description Every error: `detail` as FastAPI gives it, `message` one readable line, `allowed` when known.
         */
        ErrorBody: {
            /** Detail */
            detail: string | {
                [key: string]: unknown;
            }[];
            /** Message */
            message: string;
            /**
             * Parameter
             * @description the query parameter at fault, when there is one
             */
            parameter?: string | null;
            /**
             * Allowed
             * @description the values that would have worked: a list, or an inclusive {min, max} range
             */
            allowed?: string[] | number[] | {
                [key: string]: number;
            } | null;
        };
        /**
         * FaithfulnessCell
         * @description One map of a model (a method's layer, fused or one head; or a baseline) over its images.
         */
        FaithfulnessCell: {
            /**
             * Method
             * @description map method, or a baseline: random, centre (layer 0)
             */
            method: string;
            /** Layer */
            layer: number;
            /**
             * Head
             * @description null: the heads fused (the stored fused map)
             */
            head: number | null;
            /** @description deletion AUC: lower is more faithful */
            deletion: components["schemas"]["AucStat"];
            /** @description insertion AUC: higher is more faithful */
            insertion: components["schemas"]["AucStat"];
            /**
             * N
             * @description images
             */
            n: number;
        };
        /** FaithfulnessCurve */
        FaithfulnessCurve: {
            /** Method */
            method: string;
            /** Layer */
            layer: number;
            /**
             * Head
             * @description null: the heads fused
             */
            head: number | null;
            /** Deletion Auc */
            deletion_auc: number;
            /** Insertion Auc */
            insertion_auc: number;
            /**
             * Deletion
             * @description target score after removing 0, 1/k, …, all of the cells
             */
            deletion: number[];
            /**
             * Insertion
             * @description target score after revealing 0, 1/k, …, all of the cells
             */
            insertion: number[];
        };
        /**
         * FaithfulnessImage
         * @description One image's curves for one model: every map scored, or those the filters keep.
         */
        FaithfulnessImage: {
            /** Image Id */
            image_id: string;
            /** Model */
            model: string;
            /** Target */
            target: string;
            /** Steps */
            steps: number;
            /** Curves */
            curves: components["schemas"]["FaithfulnessCurve"][];
        };
        /** FaithfulnessModel */
        FaithfulnessModel: {
            /** Model */
            model: string;
            /**
             * Target
             * @description the score the curves record, e.g. embedding-cosine
             */
            target: string;
            /**
             * Steps
             * @description perturbation steps: every curve has steps + 1 points
             */
            steps: number;
            /**
             * Images
             * @description images with curves
             */
            images: number;
            /** Cells */
            cells: components["schemas"]["FaithfulnessCell"][];
        };
        /**
         * FaithfulnessSummaryBody
         * @description Every model's (or one model's) mean deletion and insertion AUCs by method, layer and head.
         */
        FaithfulnessSummaryBody: {
            /** Models */
            models: components["schemas"]["FaithfulnessModel"][];
        };
        /** HTTPValidationError */
        HTTPValidationError: {
            /** Detail */
            detail?: components["schemas"]["ValidationError"][];
        };
        /**
         * HeadMaps
         * @description Every head of one layer.
         */
        HeadMaps: {
            /** Image Id */
            image_id: string;
            /** Model */
            model: string;
            /** Method */
            method: string;
            /** Layer */
            layer: number;
            /** Weights */
            weights: string;
            /**
             * Normalize
             * @enum {string}
             */
            normalize: "none" | "minmax";
            /**
             * Shape
             * @description [heads, gh, gw]
             */
            shape: number[];
            /**
             * Data
             * @description heads*gh*gw values, row-major, float16 precision
             */
            data: number[];
            /**
             * Min
             * @description smallest stored value over all heads (before normalize)
             */
            min: number;
            /**
             * Max
             * @description largest stored value over all heads (before normalize)
             */
            max: number;
            /**
             * Head Min
             * @description smallest stored value of each head
             */
            head_min: number[];
            /**
             * Head Max
             * @description largest stored value of each head
             */
            head_max: number[];
            /**
             * Prompt
             * @description text, gradrollout: the VLM prompt index; else null
             */
            prompt?: number | null;
            /**
             * Token
             * @description text: the token `t` or range `a-b` averaged; gradrollout: the token explained; else null
             */
            token?: string | null;
        };
        /** HeadRanking */
        HeadRanking: {
            /**
             * Metric
             * @description None when no metrics exist yet
             */
            metric?: string | null;
            /**
             * Metrics
             * @description every metric with results
             */
            metrics: string[];
            /**
             * Label
             * @description annotation label the images were restricted to; empty = all
             * @default
             */
            label: string;
            /**
             * Baselines
             * @description centre Gaussian and uniform random maps, scored the same way
             */
            baselines: components["schemas"]["MetricStat"][];
            /** Hint */
            hint?: string | null;
            /** Model */
            model: string;
            /** Method */
            method: string | null;
            /** Layer */
            layer: number | null;
            /**
             * Heads
             * @description per-head results, best first
             */
            heads: components["schemas"]["MetricStat"][];
        };
        /** HeadStatBody */
        HeadStatBody: {
            /** Layer */
            layer: number;
            /**
             * Head
             * @description the head; -1: the rows fused over heads (their mean)
             */
            head: number;
            /**
             * Entropy
             * @description mean normalised entropy of the rows (0 focused … 1 uniform)
             */
            entropy: number;
            /**
             * Sink
             * @description mean attention on the first token
             */
            sink: number;
            /**
             * Previous Token
             * @description mean attention on the token just before
             */
            previous_token: number;
            /**
             * Induction
             * @description mean attention on the token after an earlier copy of the previous token
             */
            induction: number;
            /**
             * Distance
             * @description mean attention distance in tokens
             */
            distance: number;
            /**
             * Label
             * @description the pattern: focused | broad | sink | previous-token (thresholds: docs/texts.md)
             */
            label: string;
        };
        /** Health */
        Health: {
            /**
             * Status
             * @enum {string}
             */
            status: "ok" | "unavailable";
            store: components["schemas"]["StoreHealth"];
            catalog: components["schemas"]["ComponentHealth"];
            cache: components["schemas"]["CacheHealth"];
        };
        /** ImageDetail */
        ImageDetail: {
            /** Id */
            id: string;
            /**
             * Path
             * @description path relative to the gallery folder
             */
            path: string;
            /** Width */
            width: number | null;
            /** Height */
            height: number | null;
            /** Sha256 */
            sha256: string | null;
            /**
             * Error
             * @description why precompute could not use the file, if it could not
             */
            error: string | null;
            /**
             * Models
             * @description models whose maps for this image are complete
             */
            models: string[];
            /** Annotations */
            annotations: components["schemas"]["Annotation"][];
        };
        /** ImageMetric */
        ImageMetric: {
            /** Model */
            model: string;
            /** Method */
            method: string;
            /** Layer */
            layer: number;
            /** Head */
            head: number | null;
            /** Metric */
            metric: string;
            /** Value */
            value: number;
        };
        /** ImageMetrics */
        ImageMetrics: {
            /** Image Id */
            image_id: string;
            /** Values */
            values: components["schemas"]["ImageMetric"][];
        };
        /** ImagePage */
        ImagePage: {
            /**
             * Total
             * @description images matching the query, over all pages
             */
            total: number;
            /** Limit */
            limit: number;
            /** Offset */
            offset: number;
            /** Items */
            items: components["schemas"]["ImageSummary"][];
        };
        /** ImageRanking */
        ImageRanking: {
            /**
             * Metric
             * @description None when no metrics exist yet
             */
            metric?: string | null;
            /**
             * Metrics
             * @description every metric with results
             */
            metrics: string[];
            /**
             * Label
             * @description annotation label the images were restricted to; empty = all
             * @default
             */
            label: string;
            /**
             * Baselines
             * @description centre Gaussian and uniform random maps, scored the same way
             */
            baselines: components["schemas"]["MetricStat"][];
            /** Hint */
            hint?: string | null;
            /** Model */
            model: string;
            /** Method */
            method: string;
            /** Layer */
            layer: number;
            /** Head */
            head: number | null;
            /**
             * Images
             * @description best first
             */
            images: components["schemas"]["ImageScore"][];
        };
        /** ImageScore */
        ImageScore: {
            /** Image Id */
            image_id: string;
            /** Value */
            value: number;
        };
        /** ImageSummary */
        ImageSummary: {
            /** Id */
            id: string;
            /**
             * Path
             * @description path relative to the gallery folder
             */
            path: string;
            /** Width */
            width: number | null;
            /** Height */
            height: number | null;
            /** Sha256 */
            sha256: string | null;
            /**
             * Error
             * @description why precompute could not use the file, if it could not
             */
            error: string | null;
            /**
             * Models
             * @description models whose maps for this image are complete
             */
            models: string[];
            /**
             * Annotations
             * @description how many ground-truth regions the image has
             */
            annotations: number;
        };
        /** Job */
        Job: {
            /** Id */
            id: number;
            /**
             * Status
             * @enum {string}
             */
            status: "queued" | "running" | "done" | "failed" | "cancelled";
            /**
             * Position
             * @description 1 = the next job to run; null once it is not queued
             */
            position: number | null;
            progress: components["schemas"]["JobProgress"];
            /** Image Id */
            image_id: string;
            /** Models */
            models: string[];
            /**
             * Prompts
             * @description the prompts (VLMs); empty for a job of vision transformers
             */
            prompts: string[];
            /**
             * Error
             * @description why the job failed, when it did
             */
            error: string | null;
            /**
             * Created At
             * Format: date-time
             */
            created_at: string;
            /** Started At */
            started_at: string | null;
            /** Finished At */
            finished_at: string | null;
        };
        /**
         * JobCreated
         * @description What `POST /jobs` answers (202): the job's id, status, place in the queue and image.
         */
        JobCreated: {
            /** Id */
            id: number;
            /**
             * Status
             * @enum {string}
             */
            status: "queued" | "running" | "done" | "failed" | "cancelled";
            /**
             * Position
             * @description 1 = the next job to run; null once it is not queued
             */
            position: number | null;
            /**
             * Image Id
             * @description the image the job runs on (an upload: `uploads__<sha256 prefix>`)
             */
            image_id: string;
        };
        /** JobList */
        JobList: {
            /**
             * Jobs
             * @description newest first
             */
            jobs: components["schemas"]["Job"][];
        };
        /** JobProgress */
        JobProgress: {
            /**
             * Done
             * @description models of the job finished
             */
            done: number;
            /**
             * Total
             * @description models of the job
             */
            total: number;
        };
        /** LayerProgression */
        LayerProgression: {
            /**
             * Metric
             * @description None when no metrics exist yet
             */
            metric?: string | null;
            /**
             * Metrics
             * @description every metric with results
             */
            metrics: string[];
            /**
             * Label
             * @description annotation label the images were restricted to; empty = all
             * @default
             */
            label: string;
            /**
             * Baselines
             * @description centre Gaussian and uniform random maps, scored the same way
             */
            baselines: components["schemas"]["MetricStat"][];
            /** Hint */
            hint?: string | null;
            /** Model */
            model: string;
            /** Method */
            method: string | null;
            /** Layers */
            layers: components["schemas"]["MetricStat"][];
        };
        /** Leaderboard */
        Leaderboard: {
            /**
             * Metric
             * @description None when no metrics exist yet
             */
            metric?: string | null;
            /**
             * Metrics
             * @description every metric with results
             */
            metrics: string[];
            /**
             * Label
             * @description annotation label the images were restricted to; empty = all
             * @default
             */
            label: string;
            /**
             * Baselines
             * @description centre Gaussian and uniform random maps, scored the same way
             */
            baselines: components["schemas"]["MetricStat"][];
            /** Hint */
            hint?: string | null;
            /** Method */
            method: string | null;
            /**
             * Layer
             * @description None: each model's last layer
             */
            layer: number | null;
            /** Rows */
            rows: components["schemas"]["MetricStat"][];
        };
        /**
         * MapSlice
         * @description One attention map on the patch grid: raw probabilities unless `normalize` says otherwise.
         */
        MapSlice: {
            /** Image Id */
            image_id: string;
            /** Model */
            model: string;
            /** Method */
            method: string;
            /** Layer */
            layer: number;
            /**
             * Head
             * @description null: fused over heads
             */
            head: number | null;
            /**
             * Fusion
             * @description how heads were fused; null for a single head
             */
            fusion: ("mean" | "max" | "min") | null;
            /** Weights */
            weights: string;
            /**
             * Normalize
             * @enum {string}
             */
            normalize: "none" | "minmax";
            /**
             * Shape
             * @description [gh, gw]
             */
            shape: number[];
            /**
             * Data
             * @description gh*gw values, row-major, float16 precision
             */
            data: number[];
            /**
             * Min
             * @description smallest stored value of this map (before normalize)
             */
            min: number;
            /**
             * Max
             * @description largest stored value of this map (before normalize)
             */
            max: number;
            /**
             * Prompt
             * @description text, gradrollout: the VLM prompt index; else null
             */
            prompt?: number | null;
            /**
             * Token
             * @description text: the token `t` or range `a-b` averaged; gradrollout: the token explained; else null
             */
            token?: string | null;
        };
        /**
         * MetricStat
         * @description A metric over the annotated images: mean, standard deviation, bootstrap 95% CI, count.
         */
        MetricStat: {
            /** Model */
            model: string;
            /** Method */
            method: string;
            /** Layer */
            layer: number;
            /**
             * Head
             * @description None: the heads fused (mean)
             */
            head?: number | null;
            /** Mean */
            mean: number;
            /** Std */
            std: number;
            /** Ci Low */
            ci_low: number;
            /** Ci High */
            ci_high: number;
            /** Count */
            count: number;
        };
        /** ModelInfo */
        ModelInfo: {
            /**
             * Key
             * @description the name the store holds the model under: the `model` parameter
             */
            key: string;
            /**
             * Base Key
             * @description the registry key the model is built like; differs from `key` for a named variant (e.g. a fine-tuned copy stored beside its base)
             */
            base_key: string;
            /**
             * Kind
             * @description vit: a vision transformer; vlm: a vision-language model (per-image grids, prompts); lm: a text language model (no image maps: see /texts); cnn: Grad-CAM, 1 layer, 0 heads
             * @enum {string}
             */
            kind: "vit" | "vlm" | "lm" | "cnn";
            /** Family */
            family: string;
            /** Checkpoint */
            checkpoint: string;
            /** Revision */
            revision: string | null;
            /**
             * Weights
             * @description pretrained | random: which weights produced every map of this model
             */
            weights: string;
            /**
             * Image Size
             * @description input side in pixels; null for VLMs (dynamic resolution)
             */
            image_size: number | null;
            /** Patch */
            patch: number;
            /**
             * Grid
             * @description [gh, gw]: the patch grid every map lives on; null for VLMs, whose grid differs from image to image (every map response carries its shape)
             */
            grid: number[] | null;
            /**
             * Layers
             * @description transformer layers (of the language model for VLMs)
             */
            layers: number;
            /**
             * Heads
             * @description attention heads (of the language model for VLMs)
             */
            heads: number;
            /**
             * Methods
             * @description map methods, in display order
             */
            methods: string[];
            /**
             * Per Head Methods
             * @description methods with per-head maps (head=..., fusion=max|min)
             */
            per_head_methods: string[];
            /**
             * Method Layers
             * @description layers per method (the pooling head has one; a VLM's mean and rollout: the vision tower's)
             */
            method_layers: {
                [key: string]: number;
            };
            /**
             * Method Heads
             * @description heads per method (a VLM's text: the language model's; mean, rollout: the vision tower's)
             */
            method_heads: {
                [key: string]: number;
            };
            /**
             * Prompts
             * @description VLM prompts ever run, or a ViT's gradrollout targets; index = the `prompt` parameter
             */
            prompts: string[];
            /**
             * Merge
             * @description VLM spatial merge (one image token = merge×merge patches); null for ViTs
             */
            merge: number | null;
            /**
             * Min Pixels
             * @description VLM processor's smallest image area in pixels; null for ViTs
             */
            min_pixels: number | null;
            /**
             * Max Pixels
             * @description VLM processor's largest image area in pixels; null for ViTs
             */
            max_pixels: number | null;
            /**
             * Max New Tokens
             * @description VLM answer length limit; null for ViTs
             */
            max_new_tokens: number | null;
            /** Has Cls */
            has_cls: boolean;
            /** Has Pool */
            has_pool: boolean;
            /** Registers */
            registers: number;
            /**
             * Prefix Tokens
             * @description names of the tokens before the patches, e.g. cls, reg0
             */
            prefix_tokens: string[];
            /** Per Head */
            per_head: boolean;
            /** Dtype */
            dtype: string;
            /** Schema Version */
            schema_version: number;
        };
        /** ModelList */
        ModelList: {
            /** Models */
            models: components["schemas"]["ModelInfo"][];
        };
        /**
         * PrefixShares
         * @description Per layer and head, the share of the query's attention that goes to each prefix token.
         */
        PrefixShares: {
            /** Image Id */
            image_id: string;
            /** Model */
            model: string;
            /** Weights */
            weights: string;
            /**
             * Query
             * @description cls: the CLS row; mean: the mean over all query rows
             * @enum {string}
             */
            query: "cls" | "mean";
            /**
             * Tokens
             * @description prefix token names, the last axis of data
             */
            tokens: string[];
            /**
             * Shape
             * @description [layers, heads, tokens]
             */
            shape: number[];
            /**
             * Data
             * @description layers*heads*tokens shares in [0, 1], row-major
             */
            data: number[];
        };
        /** PromptRef */
        PromptRef: {
            /**
             * Index
             * @description the `prompt` parameter
             */
            index: number;
            /** Text */
            text: string;
        };
        /**
         * Served
         * @description What this server serves, so that the commands the web app suggests act on it.
         */
        Served: {
            /**
             * Images
             * @description the gallery folder, as configured
             */
            images: string;
            /**
             * Store
             * @description the Zarr store's path or URL (a password in it is masked)
             */
            store: string;
            /**
             * Db
             * @description the catalog's SQLAlchemy URL (a password in it is masked as ***)
             */
            db: string;
            /**
             * Precompute Flags
             * @description `--images`, `--store` and `--db` for whichever of them is not precompute's default, shell-quoted (absolute paths); empty when all three are the defaults
             */
            precompute_flags: string;
            /**
             * Password Hidden
             * @description a password was masked in `store`, `db` and the flags
             */
            password_hidden: boolean;
        };
        /**
         * ShiftCell
         * @description The distance of one map (a layer's head, or the fused heads) over the images both models have.
         */
        ShiftCell: {
            /** Layer */
            layer: number;
            /**
             * Head
             * @description -1: the heads fused (the stored mean)
             */
            head: number;
            /**
             * Mean
             * @description mean distance over the images
             */
            mean: number;
            /**
             * Ci Low
             * @description bootstrap 95% interval of the mean
             */
            ci_low: number;
            /** Ci High */
            ci_high: number;
            /**
             * N
             * @description images
             */
            n: number;
        };
        /** ShiftImage */
        ShiftImage: {
            /** Image Id */
            image_id: string;
            /** Distance */
            distance: number;
        };
        /**
         * ShiftMetricsBody
         * @description How far a variant moved from its base, per layer × head, and the images that moved most.
         */
        ShiftMetricsBody: {
            /**
             * Model
             * @description the variant
             */
            model: string;
            /** Base */
            base: string;
            /** Method */
            method: string;
            /**
             * Methods
             * @description methods with shift metrics for this pair
             */
            methods: string[];
            /**
             * Cells
             * @description by layer, then head (-1, fused, first)
             */
            cells: components["schemas"]["ShiftCell"][];
            /**
             * Images Layer
             * @description the layer of the map that ranks `images`
             */
            images_layer: number;
            /**
             * Images Head
             * @description the head of the map that ranks `images` (-1: fused)
             */
            images_head: number;
            /**
             * Images
             * @description every image both models have, largest distance first
             */
            images: components["schemas"]["ShiftImage"][];
        };
        /**
         * ShiftSlice
         * @description A variant's map minus its base's map of the same image on the same grid (`/shift`).
         *
         *     Every field of `MapSlice` (of the variant's map request), with `data`, `min` and `max` those of
         *     the difference, plus the base and the distance between the two maps.
         */
        ShiftSlice: {
            /** Image Id */
            image_id: string;
            /** Model */
            model: string;
            /** Method */
            method: string;
            /** Layer */
            layer: number;
            /**
             * Head
             * @description null: fused over heads
             */
            head: number | null;
            /**
             * Fusion
             * @description how heads were fused; null for a single head
             */
            fusion: ("mean" | "max" | "min") | null;
            /** Weights */
            weights: string;
            /**
             * Normalize
             * @enum {string}
             */
            normalize: "none" | "minmax";
            /**
             * Shape
             * @description [gh, gw]
             */
            shape: number[];
            /**
             * Data
             * @description gh*gw values of variant − base, row-major, float16 precision (signed)
             */
            data: number[];
            /**
             * Min
             * @description smallest value of the difference (most attention lost)
             */
            min: number;
            /**
             * Max
             * @description largest value of the difference (most attention gained)
             */
            max: number;
            /**
             * Prompt
             * @description text, gradrollout: the VLM prompt index; else null
             */
            prompt?: number | null;
            /**
             * Token
             * @description text: the token `t` or range `a-b` averaged; gradrollout: the token explained; else null
             */
            token?: string | null;
            /**
             * Base
             * @description the model subtracted
             */
            base: string;
            /**
             * Base Weights
             * @description pretrained | random: the weights of the base's maps
             */
            base_weights: string;
            /**
             * Base Prompt
             * @description method=text: the base's index of the same prompt (indices are per model)
             */
            base_prompt?: number | null;
            /**
             * Distance
             * @description total variation ½·Σ|p − q| of the two maps, each normalised to sum 1: 0 = the same distribution of attention, 1 = disjoint
             */
            distance: number;
        };
        /** StoreHealth */
        StoreHealth: {
            /** Ok */
            ok: boolean;
            /** Detail */
            detail?: string | null;
            /** Url */
            url: string;
            /** Models */
            models?: number | null;
        };
        /** TextDetail */
        TextDetail: {
            /** Text Id */
            text_id: string;
            /** Model */
            model: string;
            /** Category */
            category: string;
            /** N Tokens */
            n_tokens: number;
            /** Layers */
            layers: number;
            /** Heads */
            heads: number;
            /**
             * Per Head
             * @description whether per-head rows were stored (`--per-head`); else fused only
             */
            per_head: boolean;
            /** N Generated */
            n_generated: number;
            /**
             * Keep Mass
             * @description each stored row keeps its fewest top keys reaching this mass
             */
            keep_mass: number;
            /**
             * Max Keys
             * @description … and at most this many keys
             */
            max_keys: number;
            /**
             * Overview Block
             * @description the smallest block of the pooled overviews (the matrix's `block`)
             */
            overview_block: number;
            /** Tokens */
            tokens: components["schemas"]["TextTokenBody"][];
        };
        /**
         * TextMatrixBody
         * @description A pooled tile of the token × token matrix (queries down, keys across).
         */
        TextMatrixBody: {
            /** Text Id */
            text_id: string;
            /** Model */
            model: string;
            /** Layer */
            layer: number;
            /** Head */
            head: number | null;
            /**
             * Block
             * @description tokens per pooled cell side
             */
            block: number;
            /**
             * Reduce
             * @enum {string}
             */
            reduce: "mean" | "max";
            /** Q0 */
            q0: number;
            /** Q1 */
            q1: number;
            /** K0 */
            k0: number;
            /** K1 */
            k1: number;
            /**
             * Shape
             * @description [rows, cols] = [ceil((q1-q0)/block), ceil((k1-k0)/block)]
             */
            shape: number[];
            /** Values */
            values: number[][];
        };
        /** TextPage */
        TextPage: {
            /** Texts */
            texts: components["schemas"]["TextSummary"][];
            /**
             * Total
             * @description texts matching the filters, over every page
             */
            total: number;
            /** Limit */
            limit: number;
            /** Offset */
            offset: number;
            /**
             * Categories
             * @description every category the catalog knows, for the filter
             */
            categories: string[];
        };
        /** TextReceivedBody */
        TextReceivedBody: {
            /** Text Id */
            text_id: string;
            /** Model */
            model: string;
            /** Layer */
            layer: number;
            /** Head */
            head: number | null;
            /**
             * Values
             * @description per token, the attention every later token pays it (summed)
             */
            values: number[];
        };
        /**
         * TextRowBody
         * @description One query token's attention: its kept keys (ascending) with their exact probabilities.
         */
        TextRowBody: {
            /** Text Id */
            text_id: string;
            /** Model */
            model: string;
            /** Layer */
            layer: number;
            /**
             * Head
             * @description null: fused over heads (mean)
             */
            head: number | null;
            /** Query */
            query: number;
            /**
             * Keys
             * @description kept key token indices, ascending (all ≤ query: causal)
             */
            keys: number[];
            /**
             * Values
             * @description their attention probabilities
             */
            values: number[];
            /**
             * Residual
             * @description the mass on the keys not kept: values + residual = 1
             */
            residual: number;
            /**
             * Entropy
             * @description entropy of the full row, in nats
             */
            entropy: number;
            /**
             * Sink
             * @description attention on the first token
             */
            sink: number;
        };
        /** TextStatsBody */
        TextStatsBody: {
            /** Text Id */
            text_id: string;
            /** Model */
            model: string;
            /** Layers */
            layers: number;
            /** Heads */
            heads: number;
            /** Stats */
            stats: components["schemas"]["HeadStatBody"][];
        };
        /** TextSummary */
        TextSummary: {
            /** Text Id */
            text_id: string;
            /** Model */
            model: string;
            /**
             * Category
             * @description the text's category in the texts file (e.g. math, code); '' when none
             */
            category: string;
            /** N Tokens */
            n_tokens: number;
            /**
             * N Generated
             * @description tokens the model generated (`precompute --generate N`); 0 when teacher-forced
             */
            n_generated: number;
            /**
             * Preview
             * @description the text's first characters
             */
            preview: string;
        };
        /** TextToken */
        TextToken: {
            /**
             * Index
             * @description the `token` parameter: 0-based among the stored text tokens
             */
            index: number;
            /**
             * Id
             * @description the tokenizer's id
             */
            id: number;
            /** Text */
            text: string;
            /**
             * Role
             * @description template (chat scaffolding, markers), prompt (the user's text) or answer
             */
            role: string;
            /**
             * Position
             * @description position in the model's input sequence
             */
            position: number;
        };
        /** TextTokenBody */
        TextTokenBody: {
            /**
             * Id
             * @description the tokenizer's id
             */
            id: number;
            /**
             * Text
             * @description the token as it reads (decoded)
             */
            text: string;
            /**
             * Role
             * @description system | user | assistant | tool | text (a plain text) | generated
             */
            role: string;
            /**
             * Message
             * @description index of the chat message the token belongs to; -1 for plain text
             */
            message: number;
        };
        /**
         * TokenList
         * @description The text tokens of one VLM prompt on one image, with each token's share of attention on the image.
         */
        TokenList: {
            /** Image Id */
            image_id: string;
            /** Model */
            model: string;
            /** Weights */
            weights: string;
            /** Prompt */
            prompt: number;
            /** Prompt Text */
            prompt_text: string;
            /**
             * Answer
             * @description the answer whose tokens are listed (another model's when teacher-forced)
             */
            answer: string;
            /**
             * Answer From
             * @description the model whose answer ids this one was teacher-forced through (precompute --answer-from); null: it generated its own
             */
            answer_from?: string | null;
            /**
             * Own Answer
             * @description the answer this model generated by itself (equals `answer` when not forced)
             */
            own_answer?: string | null;
            /**
             * Text Id
             * @description its tokens' text → text attention: GET /texts/{text_id}?model (null: none stored)
             */
            text_id?: string | null;
            /**
             * Prompts
             * @description the prompts done for this image
             */
            prompts: components["schemas"]["PromptRef"][];
            /**
             * Grid
             * @description [gh, gw] of the text maps: the merged grid, one cell per image token
             */
            grid: number[];
            /**
             * Vision Grid
             * @description [gh, gw] of the vision tower's maps (mean, rollout)
             */
            vision_grid: number[];
            /**
             * Resized
             * @description [height, width] in pixels the model saw
             */
            resized: number[];
            /**
             * Image Tokens
             * @description [start, stop) positions of the image tokens in the sequence
             */
            image_tokens: number[];
            /** Layers */
            layers: number;
            /** Heads */
            heads: number;
            /**
             * Head
             * @description null: image_mass is the mean over heads
             */
            head: number | null;
            /**
             * Tokens
             * @description the text tokens after the image, in sequence order
             */
            tokens: components["schemas"]["TextToken"][];
            /**
             * Image Mass
             * @description [token][layer]: Σ over image tokens of the token's attention (mean over heads, or `head`)
             */
            image_mass: number[][];
        };
        /** ValidationError */
        ValidationError: {
            /** Location */
            loc: (string | number)[];
            /** Message */
            msg: string;
            /** Error Type */
            type: string;
            /** Input */
            input?: unknown;
            /** Context */
            ctx?: Record<string, never>;
        };
    };
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
    health_health_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Health"];
                };
            };
        };
    };
    get_served_served_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Served"];
                };
            };
        };
    };
    list_models_models_get: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ModelList"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_model_info_models__model__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description model key, as listed by /models */
                model: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ModelInfo"];
                };
            };
            /** @description Not Found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
            /** @description Service Unavailable */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_images_images_get: {
        parameters: {
            query?: {
                /** @description page size */
                limit?: number;
                /** @description images to skip */
                offset?: number;
                /** @description substring of the id or path */
                q?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ImagePage"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
            /** @description the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_image_images__image_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description image id: its path in the gallery without extension, `/` replaced by `__` */
                image_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ImageDetail"];
                };
            };
            /** @description unknown image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
            /** @description the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_file_images__image_id__file_get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description image id: its path in the gallery without extension, `/` replaced by `__` */
                image_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the original file */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/*": unknown;
                };
            };
            /** @description unknown image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the file is not a usable image, or is gone */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_thumbnail_images__image_id__thumbnail_get: {
        parameters: {
            query?: {
                /** @description longer side in pixels (never upscaled) */
                size?: number;
            };
            header?: never;
            path: {
                /** @description image id: its path in the gallery without extension, `/` replaced by `__` */
                image_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description a JPEG, the longer side `size` pixels at most */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/jpeg": unknown;
                };
            };
            /** @description unknown image */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the file is not a usable image, or is gone */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_raw_attention__image_id__raw_get: {
        parameters: {
            query: {
                /** @description none: the stored probabilities; minmax: rescaled to [0, 1] */
                normalize?: "none" | "minmax";
                /** @description json, or f16: row-major little-endian float16 bytes with X-Shape */
                format?: "json" | "f16";
                /** @description an index into the model's `prompts`: a VLM's prompt (method=text or gradrollout; /tokens lists those done for the image) or a ViT's gradrollout target (method=gradrollout); default: the first done for the image */
                prompt?: number | null;
                /** @description method=text: a token index `t` or an inclusive range `a-b` (indices as in /tokens); a range gives the mean of those tokens' maps. Default: the answer tokens. method=gradrollout: only the token its map explains (the default) */
                token?: string | null;
                /** @description model key, as listed by /models */
                model: string;
                /** @description map method; default: the model's first (cls, or mean without CLS) */
                method?: ("cls" | "mean" | "rollout" | "pool" | "text" | "gradrollout" | "gradcam") | null;
                /** @description 0-based layer; default: the last */
                layer?: number | null;
                /** @description 0-based head; omitted: fused over heads */
                head?: number | null;
                /** @description how heads are fused when head is omitted (default mean; max|min need per-head data) */
                fusion?: ("mean" | "max" | "min") | null;
            };
            header?: never;
            path: {
                /** @description image id: its path in the gallery without extension, `/` replaced by `__` */
                image_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description MapSlice as JSON, or float16 bytes with `format=f16` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["MapSlice"];
                    "application/octet-stream": string;
                };
            };
            /** @description a parameter this model or method does not allow */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unknown image or model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the image is not precomputed yet for this model, or its stored maps are damaged (the message names the precompute command that recomputes them) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description an invalid parameter, or an image precompute could not use */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_heads_attention__image_id__heads_get: {
        parameters: {
            query: {
                /** @description none: the stored probabilities; minmax: rescaled to [0, 1] */
                normalize?: "none" | "minmax";
                /** @description json, or f16: row-major little-endian float16 bytes with X-Shape */
                format?: "json" | "f16";
                /** @description an index into the model's `prompts`: a VLM's prompt (method=text or gradrollout; /tokens lists those done for the image) or a ViT's gradrollout target (method=gradrollout); default: the first done for the image */
                prompt?: number | null;
                /** @description method=text: a token index `t` or an inclusive range `a-b` (indices as in /tokens); a range gives the mean of those tokens' maps. Default: the answer tokens. method=gradrollout: only the token its map explains (the default) */
                token?: string | null;
                /** @description model key, as listed by /models */
                model: string;
                /** @description map method; default: the model's first (cls, or mean without CLS) */
                method?: ("cls" | "mean" | "rollout" | "pool" | "text" | "gradrollout" | "gradcam") | null;
                /** @description 0-based layer; default: the last */
                layer?: number | null;
            };
            header?: never;
            path: {
                /** @description image id: its path in the gallery without extension, `/` replaced by `__` */
                image_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description HeadMaps as JSON, or float16 bytes with `format=f16` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HeadMaps"];
                    "application/octet-stream": string;
                };
            };
            /** @description a parameter this model or method does not allow */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unknown image or model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the image is not precomputed yet for this model, or its stored maps are damaged (the message names the precompute command that recomputes them) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description an invalid parameter, or an image precompute could not use */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_tokens_attention__image_id__tokens_get: {
        parameters: {
            query: {
                /** @description an index into the model's `prompts` that is done for the image; default: the first done (0) */
                prompt?: number | null;
                /** @description 0-based head of the language model; omitted: mean over heads */
                head?: number | null;
                /** @description model key, as listed by /models */
                model: string;
            };
            header?: never;
            path: {
                /** @description image id: its path in the gallery without extension, `/` replaced by `__` */
                image_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TokenList"];
                };
            };
            /** @description a parameter this model or method does not allow */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unknown image or model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the image is not precomputed yet for this model, or its stored maps are damaged (the message names the precompute command that recomputes them) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description an invalid parameter, or an image precompute could not use */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_prefix_attention__image_id__prefix_get: {
        parameters: {
            query: {
                /** @description model key, as listed by /models */
                model: string;
            };
            header?: never;
            path: {
                /** @description image id: its path in the gallery without extension, `/` replaced by `__` */
                image_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["PrefixShares"];
                };
            };
            /** @description a parameter this model or method does not allow */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unknown image or model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the image is not precomputed yet for this model, or its stored maps are damaged (the message names the precompute command that recomputes them) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description an invalid parameter, or an image precompute could not use */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_heatmap_attention__image_id__heatmap_png_get: {
        parameters: {
            query: {
                /** @description an index into the model's `prompts`: a VLM's prompt (method=text or gradrollout; /tokens lists those done for the image) or a ViT's gradrollout target (method=gradrollout); default: the first done for the image */
                prompt?: number | null;
                /** @description method=text: a token index `t` or an inclusive range `a-b` (indices as in /tokens); a range gives the mean of those tokens' maps. Default: the answer tokens. method=gradrollout: only the token its map explains (the default) */
                token?: string | null;
                /** @description model key, as listed by /models */
                model: string;
                /** @description map method; default: the model's first (cls, or mean without CLS) */
                method?: ("cls" | "mean" | "rollout" | "pool" | "text" | "gradrollout" | "gradcam") | null;
                /** @description 0-based layer; default: the last */
                layer?: number | null;
                /** @description 0-based head; omitted: fused over heads */
                head?: number | null;
                /** @description how heads are fused when head is omitted (default mean; max|min need per-head data) */
                fusion?: ("mean" | "max" | "min") | null;
                /** @description matplotlib colormap */
                colormap?: "viridis" | "magma" | "inferno" | "plasma" | "cividis" | "turbo" | "gray";
                /** @description longer side in pixels; the image's aspect ratio */
                size?: number;
                /** @description minmax: the map's own range; none: probabilities 0..1 */
                normalize?: "none" | "minmax";
                /** @description value at the colormap's low end */
                vmin?: number | null;
                /** @description value at the colormap's high end */
                vmax?: number | null;
                /** @description blend over the image (else a transparent RGBA map) */
                overlay?: boolean;
                /** @description weight of the heatmap colours */
                opacity?: number;
                /** @description draw the image's annotation boxes */
                boxes?: boolean;
                /** @description how the patch grid is upsampled */
                interpolation?: "nearest" | "bilinear" | "bicubic";
            };
            header?: never;
            path: {
                /** @description image id: its path in the gallery without extension, `/` replaced by `__` */
                image_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description the rendered heatmap */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "image/png": unknown;
                };
            };
            /** @description a parameter this model or method does not allow */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unknown image or model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the image is not precomputed yet for this model, or its stored maps are damaged (the message names the precompute command that recomputes them) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description an invalid parameter, or an image precompute could not use */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the store or the catalog cannot be read, or too many heatmaps are being drawn (retry after the `Retry-After` seconds) */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_shift_attention__image_id__shift_get: {
        parameters: {
            query: {
                /** @description json, or f16: row-major little-endian float16 bytes with X-Shape */
                format?: "json" | "f16";
                /** @description the model to subtract, as listed by /models; default: the model's base_key (for a named variant) */
                base?: string | null;
                /** @description an index into the model's `prompts`: a VLM's prompt (method=text or gradrollout; /tokens lists those done for the image) or a ViT's gradrollout target (method=gradrollout); default: the first done for the image */
                prompt?: number | null;
                /** @description method=text: a token index `t` or an inclusive range `a-b` (indices as in /tokens); a range gives the mean of those tokens' maps. Default: the answer tokens. method=gradrollout: only the token its map explains (the default) */
                token?: string | null;
                /** @description model key, as listed by /models */
                model: string;
                /** @description map method; default: the model's first (cls, or mean without CLS) */
                method?: ("cls" | "mean" | "rollout" | "pool" | "text" | "gradrollout" | "gradcam") | null;
                /** @description 0-based layer; default: the last */
                layer?: number | null;
                /** @description 0-based head; omitted: fused over heads */
                head?: number | null;
                /** @description how heads are fused when head is omitted (default mean; max|min need per-head data) */
                fusion?: ("mean" | "max" | "min") | null;
            };
            header?: never;
            path: {
                /** @description image id: its path in the gallery without extension, `/` replaced by `__` */
                image_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description ShiftSlice as JSON, or float16 bytes with `format=f16` */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShiftSlice"];
                    "application/octet-stream": string;
                };
            };
            /** @description a parameter this model or method does not allow */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unknown image or model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the image is not precomputed yet for this model, or its stored maps are damaged (the message names the precompute command that recomputes them) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description an invalid parameter, or an image precompute could not use */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_shift_metrics_metrics_shift_get: {
        parameters: {
            query: {
                /** @description model key, as listed by /models */
                model: string;
                /** @description the model to subtract, as listed by /models; default: the model's base_key (for a named variant) */
                base?: string | null;
                /** @description map method; default: the first with shift metrics */
                method?: string | null;
                /** @description the layer that ranks the images; default: the last */
                layer?: number | null;
                /** @description the head that ranks the images; default: fused */
                head?: number | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ShiftMetricsBody"];
                };
            };
            /** @description a parameter this model or method does not allow */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unknown image or model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description an image not precomputed yet for either model, or maps that do not line up (other grids; for VLMs, other answer tokens: use --answer-from) */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description an invalid parameter, or an image precompute could not use */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    faithfulness_summary_metrics_faithfulness_get: {
        parameters: {
            query?: {
                /** @description only this model; default: every model */
                model?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FaithfulnessSummaryBody"];
                };
            };
            /** @description an unknown image or model, or no curves computed for it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description an invalid parameter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    faithfulness_image_metrics_faithfulness__image_id__get: {
        parameters: {
            query: {
                /** @description model key, as listed by /models */
                model: string;
                /** @description map method; default: every one */
                method?: string | null;
                /** @description only this layer */
                layer?: number | null;
                /** @description only this head; -1: the fused maps only */
                head?: number | null;
            };
            header?: never;
            path: {
                /** @description image id: its path in the gallery without extension, `/` replaced by `__` */
                image_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["FaithfulnessImage"];
                };
            };
            /** @description an unknown image or model, or no curves computed for it */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description an invalid parameter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    leaderboard_metrics_leaderboard_get: {
        parameters: {
            query?: {
                /** @description map method; default: all */
                method?: string | null;
                /** @description 0-based layer */
                layer?: number | null;
                /** @description only images with boxes of this label */
                label?: string;
                /** @description metric name; default: the first available */
                metric?: string | null;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Leaderboard"];
                };
            };
            /** @description a metric or method that does not exist */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unknown image or model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description an invalid parameter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    layers_metrics_model__model__layers_get: {
        parameters: {
            query?: {
                /** @description map method; default: all */
                method?: string | null;
                /** @description only images with boxes of this label */
                label?: string;
                /** @description metric name; default: the first available */
                metric?: string | null;
            };
            header?: never;
            path: {
                /** @description model key, as listed by /models */
                model: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["LayerProgression"];
                };
            };
            /** @description a metric or method that does not exist */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unknown image or model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description an invalid parameter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    heads_metrics_model__model__heads_get: {
        parameters: {
            query?: {
                /** @description map method; default: all */
                method?: string | null;
                /** @description 0-based layer */
                layer?: number | null;
                /** @description only images with boxes of this label */
                label?: string;
                /** @description metric name; default: the first available */
                metric?: string | null;
            };
            header?: never;
            path: {
                /** @description model key, as listed by /models */
                model: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HeadRanking"];
                };
            };
            /** @description a metric or method that does not exist */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unknown image or model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description an invalid parameter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    images_metrics_model__model__images_get: {
        parameters: {
            query?: {
                /** @description map method; default: all */
                method?: string | null;
                /** @description 0-based layer */
                layer?: number | null;
                /** @description 0-based head; omitted: fused */
                head?: number | null;
                /** @description only images with boxes of this label */
                label?: string;
                /** @description metric name; default: the first available */
                metric?: string | null;
            };
            header?: never;
            path: {
                /** @description model key, as listed by /models */
                model: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ImageRanking"];
                };
            };
            /** @description a metric or method that does not exist */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unknown image or model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description an invalid parameter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    image_metrics_metrics__image_id__get: {
        parameters: {
            query?: {
                /** @description include per-head values (many) */
                heads?: boolean;
                /** @description only this model */
                model?: string | null;
                /** @description map method; default: all */
                method?: string | null;
            };
            header?: never;
            path: {
                /** @description image id: its path in the gallery without extension, `/` replaced by `__` */
                image_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ImageMetrics"];
                };
            };
            /** @description a metric or method that does not exist */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unknown image or model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description an invalid parameter */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_jobs_jobs_get: {
        parameters: {
            query?: {
                /** @description how many, newest first */
                limit?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobList"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
            /** @description the catalog or the gallery cannot be used right now */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    submit_job_jobs_post: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "multipart/form-data": {
                    /**
                     * Format: binary
                     * @description an image file
                     */
                    image?: string;
                    /** @description or a gallery image's id */
                    image_id?: string;
                    /** @description VLMs */
                    prompt?: string[];
                    /** @description models */
                    model: string[];
                };
            };
        };
        responses: {
            /** @description Successful Response */
            202: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["JobCreated"];
                };
            };
            /** @description a bad model or prompt (unknown, too many, too long, prompts for a ViT, none for a VLM) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description a token is set and the request does not carry it */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description no token is set and the client is not on this machine */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unknown image_id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description another file is stored under the upload's name */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the upload is over the size or the pixel limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the upload is not an image */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description too many jobs waiting (from this client, or in all) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the catalog or the gallery cannot be used right now */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_job_jobs__job_id__get: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the job's id */
                job_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description unknown image_id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
            /** @description the catalog or the gallery cannot be used right now */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    cancel_job_jobs__job_id__delete: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                /** @description the job's id */
                job_id: number;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["Job"];
                };
            };
            /** @description a bad model or prompt (unknown, too many, too long, prompts for a ViT, none for a VLM) */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description a token is set and the request does not carry it */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description no token is set and the client is not on this machine */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description unknown image_id */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description another file is stored under the upload's name */
            409: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the upload is over the size or the pixel limit */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the upload is not an image */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
            /** @description too many jobs waiting (from this client, or in all) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description the catalog or the gallery cannot be used right now */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    list_texts_texts_get: {
        parameters: {
            query?: {
                /** @description only this model's texts */
                model?: string | null;
                /** @description only this category */
                category?: string | null;
                /** @description substring of the id */
                q?: string | null;
                /** @description page size */
                limit?: number;
                /** @description texts to skip */
                offset?: number;
            };
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TextPage"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_text_detail_texts__text_id__get: {
        parameters: {
            query: {
                /** @description model key, as listed by /models */
                model: string;
            };
            header?: never;
            path: {
                /** @description the text's id in its texts file */
                text_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TextDetail"];
                };
            };
            /** @description a layer, head, query or window the text does not have */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description no such text for the model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_text_row_texts__text_id__row_get: {
        parameters: {
            query: {
                /** @description layer, 0-based */
                layer: number;
                /** @description the query token's index */
                query: number;
                /** @description head (needs `--per-head`); omitted: fused over heads */
                head?: number | null;
                /** @description model key, as listed by /models */
                model: string;
            };
            header?: never;
            path: {
                /** @description the text's id in its texts file */
                text_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TextRowBody"];
                };
            };
            /** @description a layer, head, query or window the text does not have */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description no such text for the model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_text_matrix_texts__text_id__matrix_get: {
        parameters: {
            query: {
                /** @description layer, 0-based */
                layer: number;
                /** @description head (needs `--per-head`); omitted: fused over heads */
                head?: number | null;
                /** @description tokens per pooled cell side */
                block?: number;
                q0?: number;
                q1?: number;
                k0?: number;
                k1?: number;
                /** @description how a block pools its cells */
                reduce?: "mean" | "max";
                /** @description json, or f16: row-major float16 bytes with X-Shape */
                format?: "json" | "f16";
                /** @description model key, as listed by /models */
                model: string;
            };
            header?: never;
            path: {
                /** @description the text's id in its texts file */
                text_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description TextMatrixBody as JSON, or float16 bytes with `format=f16` (X-Shape: rows,cols) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TextMatrixBody"];
                    "application/octet-stream": string;
                };
            };
            /** @description a layer, head, query or window the text does not have */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description no such text for the model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_text_stats_texts__text_id__stats_get: {
        parameters: {
            query: {
                /** @description model key, as listed by /models */
                model: string;
            };
            header?: never;
            path: {
                /** @description the text's id in its texts file */
                text_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TextStatsBody"];
                };
            };
            /** @description a layer, head, query or window the text does not have */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description no such text for the model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
    get_text_received_texts__text_id__received_get: {
        parameters: {
            query: {
                /** @description layer, 0-based */
                layer: number;
                /** @description head (needs `--per-head`); omitted: fused over heads */
                head?: number | null;
                /** @description model key, as listed by /models */
                model: string;
            };
            header?: never;
            path: {
                /** @description the text's id in its texts file */
                text_id: string;
            };
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Successful Response */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["TextReceivedBody"];
                };
            };
            /** @description a layer, head, query or window the text does not have */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description no such text for the model */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
            /** @description Validation Error */
            422: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["HTTPValidationError"];
                };
            };
            /** @description the store or the catalog cannot be read */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["ErrorBody"];
                };
            };
        };
    };
}
