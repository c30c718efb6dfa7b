import './TokenStrip.css';
import type { PromptDone } from '../../api/types';
import { formatShare, type TokenRange } from '../../lib/tokens';

/** The image-mass tint's scale: from no tint to the strongest, 0 … the largest mass at this layer. */
function MassLegend({ layer, max }: { layer: number; max: number }) {
  return (
    <span
      className="mass-legend"
      data-testid="mass-legend"
      title="Each token's background: its image mass, the share of its attention on the image tokens at this layer (0 … the largest of any token here)"
    >
      <span className="mass-ramp" aria-hidden="true" />
      <span>
        image mass, layer {layer}: 0 – {formatShare(max)}
      </span>
    </span>
  );
}

export interface TokenStripHeadProps {
  /** the prompts to choose from (one: shown, not a choice) */
  prompts: PromptDone[];
  /** the prompt chosen */
  prompt: number;
  /** the prompt of the token list shown (the previous list's while the next loads), and its text */
  listPrompt: number;
  listPromptText: string;
  token: TokenRange | null;
  /** how many chat-template tokens there are, and whether they are shown */
  templates: number;
  showTemplate: boolean;
  onToggleTemplate: () => void;
  layer: number;
  /** the largest image mass at this layer: the tint's scale */
  scaleMax: number;
  onSelect: (token: TokenRange | null) => void;
  onPrompt: (prompt: number) => void;
}

/** The token strip's title row: the prompt (a choice when several were run), *Whole answer*, the template toggle, the tint's legend. */
export function TokenStripHead({ prompts, prompt, listPrompt, listPromptText, token, templates, showTemplate, onToggleTemplate, layer, scaleMax, onSelect, onPrompt }: TokenStripHeadProps) {
  return (
    <div className="token-strip-head">
      <h3>Tokens</h3>
      {prompts.length > 1 ? (
        <label className="token-prompt-choice">
          <span className="muted">Prompt</span>
          <select value={prompt} onChange={(event) => onPrompt(Number(event.target.value))} data-testid="prompt-select">
            {prompts.map((p) => (
              <option key={p.index} value={p.index}>
                {p.index}: {p.text}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <span className="muted token-prompt-choice" data-testid="prompt-text" title={listPromptText}>
          Prompt {listPrompt}
        </span>
      )}
      <button
        type="button"
        className={`button button-small${token === null ? ' active' : ''}`}
        aria-pressed={token === null}
        onClick={() => onSelect(null)}
        title="The mean of every answer token's map (the default)"
        data-testid="whole-answer"
      >
        Whole answer
      </button>
      {templates > 0 && (
        <button
          type="button"
          className="button button-small button-quiet"
          aria-pressed={showTemplate}
          onClick={onToggleTemplate}
          title="Chat-template tokens: the markers and scaffolding around the prompt and the answer"
          data-testid="toggle-template"
        >
          {showTemplate ? 'Hide' : 'Show'} {templates} template token{templates === 1 ? '' : 's'}
        </button>
      )}
      <MassLegend layer={layer} max={scaleMax} />
    </div>
  );
}
