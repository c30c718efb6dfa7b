/** Longest prompt the panel lets through (the API has its own limit and says so). */
export const MAX_PROMPT = 500;

/**
 * The prompts of a job: one or more, for the chosen VLMs (`vlms`); with only ViTs chosen the panel
 * says they take none and sends none.
 */
export function PromptFields({ prompts, vlms, onChange }: { prompts: string[]; vlms: string[]; onChange: (prompts: string[]) => void }) {
  if (vlms.length === 0) {
    return (
      <fieldset className="ask-field">
        <legend>Prompts</legend>
        <p className="muted" data-testid="ask-no-prompts">
          Prompts are for VLMs: choose one above to ask a question. Vision transformers take no prompt.
        </p>
      </fieldset>
    );
  }
  const set = (index: number, text: string) => onChange(prompts.map((p, i) => (i === index ? text : p)));
  return (
    <fieldset className="ask-field">
      <legend>Prompts</legend>
      <p className="hint" data-testid="ask-prompt-models">
        For {vlms.join(', ')} (every prompt runs on every chosen VLM; the ViTs ignore them).
      </p>
      {prompts.map((prompt, index) => (
        <div className="ask-prompt" key={index}>
          <input
            type="text"
            value={prompt}
            maxLength={MAX_PROMPT}
            placeholder="Ask a question about the image…"
            aria-label={`Prompt ${index + 1}`}
            onChange={(event) => set(index, event.target.value)}
            data-testid="ask-prompt"
          />
          {prompts.length > 1 && (
            <button type="button" className="button button-icon" aria-label={`Remove prompt ${index + 1}`} onClick={() => onChange(prompts.filter((_, i) => i !== index))}>
              ✕
            </button>
          )}
        </div>
      ))}
      <button type="button" className="button button-small" onClick={() => onChange([...prompts, ''])} data-testid="ask-add-prompt">
        + Another prompt
      </button>
    </fieldset>
  );
}
