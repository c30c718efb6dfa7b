import './TokenFlow.css';
import { useMemo, useState, type KeyboardEvent } from 'react';
import { useTextReceived, useTextRow, type TextSlice, type TextToken } from '../../api/texts';
import { normalised, rowWeights, tintColor, tokenDisplay } from '../../lib/tokenTint';
import type { TextMode } from '../../state/textParams';
import { ErrorState } from '../StatusViews';

export interface TokenFlowProps {
  slice: TextSlice;
  tokens: readonly TextToken[];
  /** the selected query token */
  token: number | null;
  mode: TextMode;
  onToken: (token: number, replace: boolean) => void;
}

/** The step a key makes: arrows one token, Home/End the ends; null for other keys. */
export function stepFor(key: string, token: number | null, n: number): number | null {
  const at = token ?? -1;
  if (key === 'ArrowRight' || key === 'ArrowDown') return Math.min(n - 1, at + 1);
  if (key === 'ArrowLeft' || key === 'ArrowUp') return Math.max(0, at - 1);
  if (key === 'Home') return 0;
  if (key === 'End') return n - 1;
  return null;
}

/**
 * The text as it reads, one span per token, shaded by role. With a token selected, every earlier token is
 * tinted by the attention the selected one pays it (mode `pays`), or every token by the attention it
 * receives from all later ones (mode `received`). Arrow keys step the selection.
 */
export function TokenFlow({ slice, tokens, token, mode, onToken }: TokenFlowProps) {
  // a hovered token previews its row; the selected one (click, keys) is in the URL
  const [hovered, setHovered] = useState<number | null>(null);
  const shownToken = hovered ?? token;
  const row = useTextRow(mode === 'pays' && shownToken !== null ? slice : null, shownToken);
  const received = useTextReceived(mode === 'received' ? slice : null);
  const n = tokens.length;
  const tints = useMemo(() => {
    if (mode === 'pays') return row.data === undefined ? null : normalised(rowWeights(row.data, n));
    return received.data === undefined ? null : normalised(received.data.values);
  }, [mode, row.data, received.data, n]);
  const weights = mode === 'pays' && row.data !== undefined ? rowWeights(row.data, n) : null;
  const error = mode === 'pays' ? row.error : received.error;

  function onKey(event: KeyboardEvent<HTMLDivElement>) {
    const next = stepFor(event.key, token, n);
    if (next === null) return;
    event.preventDefault();
    setHovered(null);
    onToken(next, true);
  }

  return (
    <div className="token-flow-wrap">
      {error !== null && <ErrorState error={error} compact />}
      <div
        className="token-flow"
        tabIndex={0}
        onKeyDown={onKey}
        onMouseLeave={() => setHovered(null)}
        data-testid="token-flow"
        aria-label="the text, one button per token"
      >
        {tokens.map((t, i) => {
          const { shown, breaks } = tokenDisplay(t.text);
          const tint = tints !== null && (mode === 'received' || i <= (shownToken ?? -1)) ? tints[i]! : 0;
          const paid = weights?.[i] ?? 0;
          return (
            <span key={i}>
              <span
                className={`token role-${t.role}${i === token ? ' token-selected' : ''}${i === hovered && i !== token ? ' token-hovered' : ''}`}
                style={{ background: tintColor(tint) }}
                title={`#${i} ${JSON.stringify(t.text)} · ${t.role}${mode === 'pays' && weights !== null ? ` · ${paid.toPrecision(3)}` : ''}`}
                data-token={i}
                data-tint={tint.toFixed(3)}
                onClick={() => onToken(i, false)}
                onMouseEnter={() => setHovered(i)}
              >
                {shown}
              </span>
              {breaks > 0 && <br />}
            </span>
          );
        })}
      </div>
      {mode === 'pays' && row.data !== undefined && (
        <p className="token-flow-readout" data-testid="row-readout">
          token #{row.data.query} keeps {row.data.keys.length} keys · residual {row.data.residual.toPrecision(3)} · entropy{' '}
          {row.data.entropy.toFixed(2)} nats · sink {row.data.sink.toPrecision(3)}
        </p>
      )}
      {mode === 'pays' && shownToken === null && <p className="token-flow-readout">Hover or click a token (or press →) to see where it looks.</p>}
    </div>
  );
}
