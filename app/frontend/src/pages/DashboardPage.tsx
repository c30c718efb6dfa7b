import { useModels } from '../api/hooks';
import { isImageModel } from '../api/texts';
import { Dashboard } from '../components/dashboard/Dashboard';
import { METRICS_ARGS } from '../components/dashboard/Panel';
import { EmptyState, ErrorState, Loading } from '../components/StatusViews';

/** `/dashboard?metric=…&method=…&layer=…&label=…&model=…`: the metrics dashboard, its state in the URL. */
export function DashboardPage() {
  const models = useModels();
  if (models.isPending) return <Loading label="Loading the dashboard…" />;
  if (models.isError) return <ErrorState error={models.error} onRetry={() => void models.refetch()} />;
  const imageModels = models.data.models.filter(isImageModel);
  if (imageModels.length === 0) {
    return (
      <EmptyState title="No attention maps precomputed yet" precompute={METRICS_ARGS}>
        <p>The store has no models. Precompute writes the maps and, with --metrics, scores them against the annotation boxes.</p>
      </EmptyState>
    );
  }
  return <Dashboard models={imageModels} />;
}
