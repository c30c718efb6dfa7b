import { useMemo } from 'react';
import { useText } from '../../api/texts';
import type { TextParams } from '../../state/textParams';
import { ErrorState, Loading } from '../StatusViews';
import { HeadStatsTable } from './HeadStatsTable';
import { TokenFlow } from './TokenFlow';
import { TokenMatrix } from './TokenMatrix';

export interface TextPanelProps {
  model: string;
  textId: string;
  params: TextParams;
  onChange: (patch: Partial<TextParams>, replace?: boolean) => void;
}

/** One model's view of one text: the token flow, the matrix or the heads table, at the chosen layer and head. */
export function TextPanel({ model, textId, params, onChange }: TextPanelProps) {
  const text = useText(model, textId);
  const info = text.data;
  const layer = info === undefined ? 0 : Math.min(params.layer ?? info.layers - 1, info.layers - 1);
  const head = info !== undefined && info.per_head && params.head !== null && params.head < info.heads ? params.head : null;
  const slice = useMemo(() => ({ model, textId, layer, head }), [model, textId, layer, head]);
  if (text.isPending) return <Loading label={`Loading ${textId}…`} />;
  if (text.isError || info === undefined) return <ErrorState error={text.error} compact />;
  return (
    <section className="text-panel" data-testid={`text-panel-${model}`}>
      <h2>
        {model} <small>
          {info.n_tokens} tokens{info.n_generated > 0 ? ` (${info.n_generated} generated)` : ''} · layer {layer} ·{' '}
          {head === null ? 'fused' : `head ${head}`}
        </small>
      </h2>
      {params.view === 'flow' && (
        <TokenFlow slice={slice} tokens={info.tokens} token={params.token} mode={params.mode} onToken={(token, replace) => onChange({ token }, replace)} />
      )}
      {params.view === 'matrix' && <TokenMatrix slice={slice} tokens={info.tokens} onToken={(token) => onChange({ token, view: 'flow' })} />}
      {params.view === 'stats' && (
        <HeadStatsTable model={model} textId={textId} layer={layer} head={head} onPick={(l, h) => onChange({ layer: l, head: h, view: 'flow' })} />
      )}
    </section>
  );
}
