import { useModels } from '../api/hooks';
import { EmptyState, ErrorState, Loading } from '../components/StatusViews';
import { TextsSection } from '../components/texts/TextsSection';
import { useTextUrlSync } from '../state/textStore';

/** `/text?model=…&open=…&text=…&layer=…&head=…&token=…&view=…`: text language models, their state in the URL. */
export function TextsPage() {
  useTextUrlSync();
  const models = useModels();
  if (models.isPending) return <Loading label="Loading models…" />;
  if (models.isError) return <ErrorState error={models.error} onRetry={() => void models.refetch()} />;
  // text language models, then VLMs: their prompt and answer tokens are texts too (category vlm)
  const lms = models.data.models.filter((m) => m.kind === 'lm' || m.kind === 'vlm');
  if (lms.length === 0) {
    return (
      <EmptyState title="No text language models precomputed yet" precompute="--models smollm2 --texts data/samples/texts.jsonl">
        <p>Precompute runs a causal language model over a texts file and stores where every token looks.</p>
      </EmptyState>
    );
  }
  return <TextsSection models={lms} />;
}
