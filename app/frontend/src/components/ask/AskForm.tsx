import { useState } from 'react';
import { ApiError } from '../../api/client';
import { useModels } from '../../api/hooks';
import { useSubmitJob } from '../../api/jobHooks';
import type { JobRequest } from '../../api/jobs';
import type { ModelInfo } from '../../api/types';
import { useAskStore } from '../../state/askStore';
import { ImagePicker, type ImageChoice } from './ImagePicker';
import { ModelChoice } from './ModelChoice';
import { PromptFields } from './PromptFields';
import { TokenField } from './TokenField';

/** The request the form describes, or the one line that says what is missing. */
export function jobRequest(image: ImageChoice, prompts: string[], chosen: string[], models: ModelInfo[]): JobRequest | string {
  if (image.file === null && image.imageId === null) return 'Choose an image: drop a file, pick one, or choose a gallery image.';
  if (chosen.length === 0) return 'Choose at least one model.';
  const vlms = models.filter((m) => m.kind === 'vlm' && chosen.includes(m.key));
  const asked = vlms.length > 0 ? prompts.map((p) => p.trim()).filter((p) => p !== '') : [];
  if (vlms.length > 0 && asked.length === 0) return `Type a prompt for ${vlms.map((m) => m.key).join(', ')}.`;
  return { image: image.file, imageId: image.file === null ? image.imageId : null, prompts: [...new Set(asked)], models: chosen };
}

/** The Ask form: image, prompts, models, Submit. `onQueued` gets the new job's id. */
export function AskForm({ initialImageId, onQueued }: { initialImageId: string | null; onQueued: (jobId: number) => void }) {
  const models = useModels();
  const submit = useSubmitJob();
  const [image, setImage] = useState<ImageChoice>(() => {
    const file = useAskStore.getState().takePendingFile();
    return { file, imageId: file === null ? initialImageId : null };
  });
  const [prompts, setPrompts] = useState<string[]>(['']);
  const [chosen, setChosen] = useState<string[]>([]);
  const list = models.data?.models ?? [];
  const vlms = list.filter((m) => m.kind === 'vlm' && chosen.includes(m.key)).map((m) => m.key);
  const request = jobRequest(image, prompts, chosen, list);
  return (
    <form
      className="ask-form"
      data-testid="ask-form"
      onSubmit={(event) => {
        event.preventDefault();
        if (typeof request === 'string') return;
        submit.mutate(request, { onSuccess: (queued) => onQueued(queued.id) });
      }}
    >
      <ImagePicker value={image} onChange={setImage} />
      <ModelChoice models={list} chosen={chosen} onChange={setChosen} />
      <PromptFields prompts={prompts} vlms={vlms} onChange={setPrompts} />
      <div className="ask-submit">
        <button type="submit" className="button button-primary" disabled={typeof request === 'string' || submit.isPending} data-testid="ask-submit">
          {submit.isPending ? 'Submitting…' : 'Submit'}
        </button>
        <TokenField needed={submit.error instanceof ApiError && (submit.error.status === 401 || submit.error.status === 403)} />
      </div>
      {typeof request === 'string' && <p className="hint" data-testid="ask-missing">{request}</p>}
      {submit.isError && (
        <p className="ask-error" role="alert" data-testid="ask-submit-error">
          {submit.error.message}
        </p>
      )}
    </form>
  );
}
