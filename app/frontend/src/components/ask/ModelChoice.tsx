import type { ModelInfo } from '../../api/types';

/** Which models a job runs: a checkbox per model of `/models`; VLMs are marked as taking prompts. */
export function ModelChoice({ models, chosen, onChange }: { models: ModelInfo[]; chosen: string[]; onChange: (chosen: string[]) => void }) {
  const toggle = (key: string) => onChange(chosen.includes(key) ? chosen.filter((k) => k !== key) : [...chosen, key]);
  return (
    <fieldset className="ask-field">
      <legend>Models</legend>
      {models.length === 0 && <p className="muted">No models in the store yet: precompute one first.</p>}
      <div className="ask-models">
        {models.map((model) => (
          <label key={model.key} className="ask-model" data-testid="ask-model" data-key={model.key}>
            <input type="checkbox" checked={chosen.includes(model.key)} onChange={() => toggle(model.key)} />
            <span>{model.key}</span>
            {model.key !== model.base_key && <span className="muted">variant of {model.base_key}</span>}
            <span className={`ask-kind ask-kind-${model.kind}`}>{model.kind === 'vlm' ? 'VLM · takes prompts' : 'ViT · no prompt'}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
