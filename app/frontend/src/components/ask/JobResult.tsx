import { Link } from 'react-router';
import { urls } from '../../api/client';
import { useModels, useTokens } from '../../api/hooks';
import type { Job } from '../../api/jobs';
import type { ModelInfo } from '../../api/types';
import { viewPath } from '../../state/viewParams';

/** What one result shows: a model, and for a VLM one of its prompts (by the index the store gave it). */
export interface ResultItem {
  model: ModelInfo;
  method: string;
  prompt: number | null;
  promptText: string | null;
}

/** One item per model of the job, per prompt for a VLM (the prompt's index in the model's `prompts`). */
export function resultItems(job: Job, models: ModelInfo[]): ResultItem[] {
  const items: ResultItem[] = [];
  for (const key of job.models) {
    const model = models.find((m) => m.key === key);
    if (model === undefined) continue;
    if (model.kind === 'vlm') {
      for (const text of job.prompts) {
        const index = model.prompts.indexOf(text);
        if (index >= 0) items.push({ model, method: 'text', prompt: index, promptText: text });
      }
    } else {
      items.push({ model, method: model.methods[0] ?? 'cls', prompt: null, promptText: null });
    }
  }
  return items;
}

function Answer({ imageId, model, prompt }: { imageId: string; model: string; prompt: number }) {
  const tokens = useTokens({ imageId, model, prompt, head: null });
  if (tokens.isError) return <p className="ask-error">{tokens.error.message}</p>;
  return (
    <p className="ask-answer" data-testid="ask-answer">
      <span className="muted">Answer </span>
      {tokens.data ? tokens.data.answer || '(empty)' : '…'}
    </p>
  );
}

function ResultCard({ imageId, item }: { imageId: string; item: ResultItem }) {
  const { model, method, prompt } = item;
  const layer = (model.method_layers[method] ?? model.layers) - 1;
  const png = urls.heatmapPng({ imageId, model: model.key, method, prompt, layer, head: null, size: 320, colormap: 'viridis', boxes: false });
  const link = viewPath(imageId, { model: model.key, method, prompt });
  return (
    <div className="ask-result" data-testid="ask-result" data-model={model.key}>
      <Link to={link} title="Open in the viewer">
        <img src={png} alt={`${model.key} ${method} map, last layer`} className="ask-result-map" data-testid="ask-result-map" />
      </Link>
      <div className="ask-result-text">
        <strong>{model.key}</strong> <span className="muted">· {method} · last layer</span>
        {item.promptText !== null && (
          <p className="ask-question">
            <span className="muted">Prompt </span>
            {item.promptText}
          </p>
        )}
        {prompt !== null && <Answer imageId={imageId} model={model.key} prompt={prompt} />}
        <Link to={link} className="button button-small" data-testid="ask-open-viewer">
          Open in the viewer
        </Link>
      </div>
    </div>
  );
}

/** A finished job's maps (and answers): one card per model and prompt, each opening the viewer there. */
export function JobResult({ job }: { job: Job }) {
  const models = useModels();
  const items = resultItems(job, models.data?.models ?? []);
  if (models.isPending) return <p className="muted">Loading the models…</p>;
  if (items.length === 0) return <p className="muted">The store has no maps of this job any more.</p>;
  return (
    <div className="ask-results">
      {items.map((item) => (
        <ResultCard key={`${item.model.key}:${item.prompt ?? ''}`} imageId={job.image_id} item={item} />
      ))}
    </div>
  );
}
