import './TokenStrip.css';
import { useCallback, useEffect, useMemo, useState, type KeyboardEvent, type PointerEvent } from 'react';
import type { ModelInfo, TokensBody } from '../../api/types';
import { isTyping } from '../../lib/keys';
import {
  anchorOf,
  defaultTokens,
  describeSelection,
  displayToken,
  formatShare,
  groupTokens,
  IDLE_PICKER,
  isSelected,
  massAt,
  massScaleMax,
  massTint,
  pickerDown,
  pickerOver,
  pickerUp,
  sameRange,
  selectionText,
  stepSelection,
  type PickerState,
  type TokenRange,
} from '../../lib/tokens';
import { ErrorState } from '../StatusViews';
import { TeacherForcedAnswers } from '../shift/TeacherForcedAnswers';
import { TokenStripHead } from './TokenStripHead';

const ROLE_LABELS: Record<string, string> = { prompt: 'Prompt', answer: 'Answer', template: 'Template' };

const MAX_SELECTION_TEXT = 160;

function tokenIndexAt(event: PointerEvent<HTMLElement>): number | null {
  // elementFromPoint, not the event's target: a touch pointer stays captured by the first token
  const element = document.elementFromPoint(event.clientX, event.clientY);
  const token = element instanceof HTMLElement ? element.closest<HTMLElement>('[data-index]') : null;
  if (token === null || !event.currentTarget.contains(token)) return null;
  const index = Number(token.dataset.index);
  return Number.isInteger(index) ? index : null;
}

export interface TokenStripProps {
  model: ModelInfo;
  /** the prompt shown */
  prompt: number;
  /** the tokens the map is of; null = the whole answer */
  token: TokenRange | null;
  /** the layer whose image mass tints the tokens */
  layer: number;
  /** the token list (the previous one while the next loads: `stale`) */
  data: TokensBody | undefined;
  stale: boolean;
  error: unknown;
  onRetry: () => void;
  onSelect: (token: TokenRange | null) => void;
  onPrompt: (prompt: number) => void;
}

/**
 * A VLM's text tokens after the image — the prompt and the generated answer, grouped by role (the
 * chat template's tokens folded away) — each tinted by its image mass at the current layer. Click
 * a token for its map, drag or shift-click for the mean over a range, *Whole answer* for the
 * default; ←/→ in the strip (or , and . anywhere) move the selection, with shift to extend it.
 */
export function TokenStrip({ model, prompt, token, layer, data, stale, error, onRetry, onSelect, onPrompt }: TokenStripProps) {
  const [picker, setPicker] = useState<PickerState>(IDLE_PICKER);
  const [showTemplate, setShowTemplate] = useState(false);
  const tokens = useMemo(() => data?.tokens ?? [], [data]);
  const defaults = useMemo(() => defaultTokens(tokens), [tokens]);
  const order = useMemo(
    () => tokens.filter((t) => showTemplate || t.role !== 'template').map((t) => t.index),
    [tokens, showTemplate],
  );
  const shown = picker.dragging ? picker.range : token;

  // a drag ends wherever the button is released
  useEffect(() => {
    if (!picker.dragging) return;
    const up = () => {
      const { state, commit } = pickerUp(picker);
      setPicker(state);
      if (commit !== null && !sameRange(commit, token)) onSelect(commit);
    };
    window.addEventListener('pointerup', up);
    window.addEventListener('pointercancel', up);
    return () => {
      window.removeEventListener('pointerup', up);
      window.removeEventListener('pointercancel', up);
    };
  }, [picker, token, onSelect]);

  const step = useCallback(
    (direction: -1 | 1, extend: boolean) => {
      const next = stepSelection(token, direction, order, { extend, anchor: picker.anchor, defaults });
      if (next === null || sameRange(next, token)) return;
      const anchor = extend && token !== null ? anchorOf(token, picker.anchor) : next.start;
      setPicker({ anchor, range: next, dragging: false });
      onSelect(next);
    },
    [token, order, picker.anchor, defaults, onSelect],
  );

  // , and . (with shift: < and >) anywhere on the page
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey || isTyping(event.target)) return;
      const direction = event.key === ',' || event.key === '<' ? -1 : event.key === '.' || event.key === '>' ? 1 : 0;
      if (direction === 0) return;
      event.preventDefault();
      step(direction, event.shiftKey);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [step]);

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === 'ArrowLeft' || event.key === 'ArrowRight') {
      step(event.key === 'ArrowLeft' ? -1 : 1, event.shiftKey);
    } else if (event.key === 'Escape' && token !== null) {
      onSelect(null);
    } else {
      return;
    }
    event.preventDefault();
    event.stopPropagation(); // the viewer's ←/→ step layers
  };

  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    if (event.button !== 0) return;
    const index = tokenIndexAt(event);
    if (index === null) return;
    setPicker((state) => pickerDown(state, index, event.shiftKey, token));
  };
  const onPointerMove = (event: PointerEvent<HTMLDivElement>) => {
    if (!picker.dragging) return;
    const index = tokenIndexAt(event);
    if (index !== null) setPicker((state) => pickerOver(state, index));
  };

  if (data === undefined) {
    return (
      <section className="token-strip" data-testid="token-strip" aria-busy={error === null || error === undefined}>
        {error !== null && error !== undefined ? <ErrorState error={error} onRetry={onRetry} compact /> : <p className="hint">Loading the tokens…</p>}
      </section>
    );
  }

  const scaleMax = massScaleMax(data.image_mass, layer);
  const groups = groupTokens(tokens);
  const templates = tokens.filter((t) => t.role === 'template').length;
  const prompts = data.prompts.length > 0 ? data.prompts : (model.prompts ?? []).map((text, index) => ({ index, text }));
  const chosenText = selectionText(shown, tokens);
  const headNote = data.head === null ? 'mean over heads' : `head ${data.head}`;
  const forced = data.answer_from ?? null;
  return (
    <section className={`token-strip${stale ? ' stale' : ''}`} data-testid="token-strip" aria-label="Text tokens">
      <TokenStripHead
        prompts={prompts}
        prompt={prompt}
        listPrompt={data.prompt}
        listPromptText={data.prompt_text}
        token={token}
        templates={templates}
        showTemplate={showTemplate}
        onToggleTemplate={() => setShowTemplate((s) => !s)}
        layer={layer}
        scaleMax={scaleMax}
        onSelect={onSelect}
        onPrompt={onPrompt}
      />
      <div
        className="token-list"
        role="listbox"
        aria-multiselectable="true"
        aria-label="Text tokens: click one, drag or shift-click a range"
        tabIndex={0}
        data-token-strip=""
        onKeyDown={onKeyDown}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        data-testid="token-list"
      >
        {groups.map((group) => {
          if (group.role === 'template' && !showTemplate) return null;
          const first = group.tokens[0]!.index;
          return (
            <div key={first} className={`token-group token-group-${group.role}`} data-role={group.role} title={group.role === 'answer' ? data.answer : undefined}>
              <span className="token-role">{ROLE_LABELS[group.role] ?? group.role}</span>
              <span className="token-run">
                {group.tokens.map((t) => {
                  const mass = massAt(data.image_mass, t.index, layer);
                  const selected = isSelected(t.index, shown, defaults);
                  const isForced = forced !== null && t.role === 'answer';
                  return (
                    <span
                      key={t.index}
                      role="option"
                      aria-selected={selected}
                      className={`token token-${t.role}${selected ? ' selected' : ''}${isForced ? ' token-forced' : ''}`}
                      style={{ ['--tint' as string]: String(massTint(mass, scaleMax)) }}
                      data-index={t.index}
                      data-testid="token"
                      title={`#${t.index} · ${t.role}${isForced ? ` (teacher-forced from ${forced})` : ''} · “${t.text}” · image mass ${formatShare(mass)} at layer ${layer} (${headNote})`}
                    >
                      {displayToken(t.text)}
                    </span>
                  );
                })}
              </span>
            </div>
          );
        })}
        {defaults.length === 0 && <p className="hint">No text tokens after the image.</p>}
      </div>
      <TeacherForcedAnswers data={data} />
      <p className="token-selection" data-testid="token-selection">
        <span>
          Map of <b>{describeSelection(shown, tokens)}</b>
        </span>
        {chosenText.trim() !== '' && (
          <span className="muted">
            “{chosenText.length > MAX_SELECTION_TEXT ? `${chosenText.slice(0, MAX_SELECTION_TEXT)}…` : chosenText}”
          </span>
        )}
      </p>
    </section>
  );
}
