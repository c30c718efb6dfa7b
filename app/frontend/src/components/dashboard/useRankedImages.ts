import { useMemo } from 'react';
import { useImageDetails, useImageRanking } from '../../api/hooks';
import type { ImageDetail, ImageRankingQuery } from '../../api/types';
import { bestAndWorst } from '../../lib/charts';
import { RANKED_SHOWN } from './RankedImages';

/**
 * The best and worst images of one model's fused maps at one layer, with the shown images'
 * details (their boxes' labels: the label filter suggests them).
 */
export function useRankedImages(query: ImageRankingQuery | null) {
  const ranking = useImageRanking(query);
  const shownIds = useMemo(() => {
    const { best, worst } = bestAndWorst(ranking.data?.images ?? [], RANKED_SHOWN);
    return [...best, ...worst].map((s) => s.image_id);
  }, [ranking.data]);
  const details = useImageDetails(shownIds);
  const detailById = new Map<string, ImageDetail>();
  for (const d of details) if (d.data) detailById.set(d.data.id, d.data);
  const labels = [...new Set([...detailById.values()].flatMap((d) => d.annotations.map((a) => a.label)))].sort();
  return { ranking, detail: (imageId: string) => detailById.get(imageId), labels };
}
