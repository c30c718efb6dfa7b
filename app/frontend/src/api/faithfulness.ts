/**
 * `/metrics/faithfulness`: deletion and insertion AUCs of the stored maps (`precompute --faithfulness`),
 * per model (summaries with bootstrap intervals) and per image (the curves).
 */
import { useQuery } from '@tanstack/react-query';
import { getJson, query } from './client';
import type { components } from './schema.gen';

type Schemas = components['schemas'];
type Sent<T> = T extends object ? { [K in keyof T]-?: Sent<Exclude<T[K], undefined>> } : T;

/** A mean AUC over images with its bootstrap 95% interval. */
export type AucStat = Sent<Schemas['AucStat']>;
/** One map of a model (method · layer · head, null = fused; or a baseline `random`/`centre`) over its images. */
export type FaithfulnessCell = Sent<Schemas['FaithfulnessCell']>;
export type FaithfulnessModel = Sent<Schemas['FaithfulnessModel']>;
export type FaithfulnessSummary = Sent<Schemas['FaithfulnessSummaryBody']>;
export type FaithfulnessCurve = Sent<Schemas['FaithfulnessCurve']>;
export type FaithfulnessImage = Sent<Schemas['FaithfulnessImage']>;

export const faithfulnessUrls = {
  summary: () => '/metrics/faithfulness',
  image: (imageId: string, model: string) => `/metrics/faithfulness/${encodeURIComponent(imageId)}` + query({ model }),
};

const STALE_MS = 60_000;

/** Every model's faithfulness summary (an empty list until `precompute --faithfulness` has run). */
export function useFaithfulnessSummary() {
  return useQuery({
    queryKey: ['metrics', 'faithfulness'] as const,
    queryFn: ({ signal }) => getJson<FaithfulnessSummary>(faithfulnessUrls.summary(), signal),
    staleTime: STALE_MS,
  });
}

/** One image's curves for one model (404 until computed for that pair). */
export function useImageFaithfulness(imageId: string, model: string, enabled: boolean) {
  return useQuery({
    queryKey: ['metrics', 'faithfulness', imageId, model] as const,
    queryFn: ({ signal }) => getJson<FaithfulnessImage>(faithfulnessUrls.image(imageId, model), signal),
    enabled,
    staleTime: STALE_MS,
  });
}
