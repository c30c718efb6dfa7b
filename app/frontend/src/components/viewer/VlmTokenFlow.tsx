import './VlmTokenFlow.css';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { useText } from '../../api/texts';
import { DEFAULT_TEXT_PARAMS, serializeTextParams, type TextMode } from '../../state/textParams';
import { SegmentedControl } from '../controls/SegmentedControl';
import { ErrorState, Loading } from '../StatusViews';
import { TokenFlow } from '../texts/TokenFlow';

export interface VlmTokenFlowProps {
  /** the VLM */
  model: string;
  /** the prompt's text (`/tokens`' `text_id`); null: none stored for this prompt */
  textId: string | null | undefined;
  /** the viewer's layer: where the panel starts */
  layer: number;
}

const MODES = [
  { value: 'pays' as TextMode, label: 'pays', title: 'tint the tokens the selected token attends to' },
  { value: 'received' as TextMode, label: 'receives', title: 'tint each token by the attention all later tokens pay it' },
];

/**
 * A VLM prompt's text → text attention in the viewer: the same token flow as the Texts section over the
 * prompt and answer tokens (the chat template's too; the image tokens are left out), with its own layer,
 * head (or fused) and mode, and a link that opens the same text in the Texts section.
 */
export function VlmTokenFlow({ model, textId, layer: startLayer }: VlmTokenFlowProps) {
  const [open, setOpen] = useState(false);
  const [layer, setLayer] = useState<number | null>(null);
  const [head, setHead] = useState<number | null>(null);
  const [token, setToken] = useState<number | null>(null);
  const [mode, setMode] = useState<TextMode>('pays');
  const [seen, setSeen] = useState(textId);
  if (seen !== textId) {
    // another prompt (or image): its tokens are another text
    setSeen(textId);
    setToken(null);
  }
  const text = useText(open && textId ? model : null, open && textId ? textId : null);
  const info = text.data;
  const layers = info?.layers ?? 1;
  const shownLayer = Math.min(layer ?? startLayer, layers - 1);
  const shownHead = info?.per_head && head !== null && head < info.heads ? head : null;
  const slice = useMemo(() => ({ model, textId: textId ?? '', layer: shownLayer, head: shownHead }), [model, textId, shownLayer, shownHead]);
  const href = textId
    ? `/text?${serializeTextParams({ ...DEFAULT_TEXT_PARAMS, model, open: [textId], text: textId, layer: shownLayer, head: shownHead, token })}`
    : null;
  return (
    <details className="vlm-token-flow" open={open} onToggle={(e) => setOpen(e.currentTarget.open)} data-testid="vlm-token-flow">
      <summary>Token flow: where the prompt and answer tokens look in the text</summary>
      {!textId && (
        <p className="hint" data-testid="vlm-token-flow-missing">
          Not stored for this prompt: it was precomputed before VLM texts were kept. Run precompute again with <code>--force</code> to add it.
        </p>
      )}
      {textId && text.isPending && <Loading label="Loading the prompt's tokens…" />}
      {textId && text.isError && <ErrorState error={text.error} compact />}
      {textId && info !== undefined && (
        <>
          <div className="vlm-token-flow-controls">
            <label>
              layer{' '}
              <input
                type="range"
                min={0}
                max={Math.max(0, layers - 1)}
                value={shownLayer}
                onChange={(e) => setLayer(Number(e.target.value))}
                data-testid="vlm-flow-layer"
              />{' '}
              <output>{shownLayer}</output>
            </label>
            <label>
              head{' '}
              <select
                value={shownHead === null ? '' : String(shownHead)}
                disabled={!info.per_head}
                onChange={(e) => setHead(e.target.value === '' ? null : Number(e.target.value))}
                data-testid="vlm-flow-head"
              >
                <option value="">fused</option>
                {Array.from({ length: info.per_head ? info.heads : 0 }, (_, h) => (
                  <option key={h} value={h}>
                    {h}
                  </option>
                ))}
              </select>
            </label>
            <span id="vlm-flow-mode-label" className="sr-only">
              attention
            </span>
            <SegmentedControl options={MODES} value={mode} onChange={setMode} labelledBy="vlm-flow-mode-label" testId="vlm-flow-mode" />
            {href !== null && (
              <Link to={href} data-testid="vlm-flow-open">
                Open in Texts
              </Link>
            )}
          </div>
          <p className="muted vlm-token-flow-note">
            The image tokens are left out: a token&apos;s share on the image is in its residual (and in the token strip&apos;s tint).
          </p>
          <TokenFlow slice={slice} tokens={info.tokens} token={token} mode={mode} onToken={(t) => setToken(t)} />
        </>
      )}
    </details>
  );
}
