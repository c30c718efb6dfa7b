import type { UseQueryResult } from '@tanstack/react-query';
import { usePrecomputeCommand } from '../../api/hooks';
import type { ImageDetail, ImageRanking } from '../../api/types';
import type { ColormapName } from '../../lib/colormaps';
import { scoredMethodLabel } from '../../lib/methods';
import type { ResolvedPanels } from '../../state/dashboardParams';
import { ErrorState, Loading } from '../StatusViews';
import { METRICS_ARGS, Panel } from './Panel';
import { RankedImages } from './RankedImages';

/** The images the chosen model's fused map at the panels' layer scores best and worst on; each opens in the viewer. */
export function ImagesPanel({
  panels,
  ranking,
  label,
  cmap,
  details,
}: {
  panels: ResolvedPanels | null;
  ranking: UseQueryResult<ImageRanking>;
  label: string;
  cmap: ColormapName;
  details: (imageId: string) => ImageDetail | undefined;
}) {
  const methodName = panels ? scoredMethodLabel(panels.model, panels.method) : '';
  const metricsCommand = usePrecomputeCommand(METRICS_ARGS);
  return (
    <Panel
      title={
        <>
          Best and worst images{' '}
          <span className="panel-sub">
            {panels ? `${panels.model.key} · ${methodName} · layer ${panels.layer} · fused` : ''}
            {ranking.data ? ` · ${ranking.data.images.length} scored image${ranking.data.images.length === 1 ? '' : 's'}` : ''}
            {label ? ` with a “${label}” box` : ''}
          </span>
        </>
      }
      testId="images-panel"
    >
      {panels === null ? null : ranking.isPending ? (
        <Loading label="Loading the images…" />
      ) : ranking.isError ? (
        <ErrorState error={ranking.error} onRetry={() => void ranking.refetch()} compact />
      ) : ranking.data.images.length === 0 ? (
        <p className="panel-empty" data-testid="images-empty">
          No image is scored for {panels.model.key} · {methodName} · layer {panels.layer}: run <code>{metricsCommand}</code>.
        </p>
      ) : (
        <RankedImages ranking={ranking.data} methodName={methodName} cmap={cmap} details={details} />
      )}
    </Panel>
  );
}
