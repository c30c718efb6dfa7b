import { Link, useParams } from 'react-router';
import { ApiError } from '../api/client';
import { useImage, useModels } from '../api/hooks';
import { EmptyState, ErrorState, Loading } from '../components/StatusViews';
import { Viewer } from '../components/viewer/Viewer';
import { useViewUrlSync } from '../state/useViewUrlSync';

/** `/view/<image id>?model=…&method=…&layer=…&head=…`: the viewer, its state in the URL. */
export function ViewerPage() {
  const imageId = useParams().imageId ?? '';
  const synced = useViewUrlSync(imageId);
  const models = useModels();
  const image = useImage(imageId);
  if (!synced || models.isPending || image.isPending) return <Loading label="Loading the viewer…" />;
  if (image.isError) {
    if (image.error instanceof ApiError && image.error.status === 404) {
      return (
        <EmptyState title={`No image “${imageId}”`}>
          <p>The catalog has no image with this id. Ids are file names without extension (nested folders joined with __).</p>
          <p>
            <Link to="/">Back to the gallery</Link>
          </p>
        </EmptyState>
      );
    }
    return <ErrorState error={image.error} onRetry={() => void image.refetch()} />;
  }
  if (models.isError) return <ErrorState error={models.error} onRetry={() => void models.refetch()} />;
  return <Viewer image={image.data} models={models.data} />;
}
