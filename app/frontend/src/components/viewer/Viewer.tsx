import './Viewer.css';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { usePrefetchNeighbours, useTokens } from '../../api/hooks';
import type { ImageDetail, ModelList, TokensBody, TokensQuery } from '../../api/types';
import { formatTokenParam, type TokenRange } from '../../lib/tokens';
import { canonicalParams, isResolved, resolveView, textContextOf, type ResolvedView } from '../../state/resolveView';
import { sameParams, type ViewParams } from '../../state/viewParams';
import { useViewStore } from '../../state/viewStore';
import { AspectNotice } from './AspectNotice';
import { CompareView } from './CompareView';
import { ControlsPanel } from './ControlsPanel';
import { AskAboutLink } from '../ask/AskAboutLink';
import { ExportMenu } from './ExportMenu';
import { ShiftExportMenu } from '../shift/ShiftExportMenu';
import { ShiftView } from '../shift/ShiftView';
import { HeadsGrid } from './HeadsGrid';
import { FaithfulnessSection } from './FaithfulnessSection';
import { ImageMetricsSection } from './ImageMetricsSection';
import { MapView } from './MapView';
import { RandomWeightsBadge } from '../RandomWeightsBadge';
import { EmptyState, Notice } from '../StatusViews';
import { TokenStrip } from './TokenStrip';
import { VlmTokenFlow } from './VlmTokenFlow';
import { useMapDisplay } from './useMapDisplay';
import { usePlayback } from './usePlayback';
import { useViewerKeys } from './useViewerKeys';
import { ViewTabs } from './ViewTabs';

/** The server state of a VLM's token list, as the viewer passes it on. */
export interface TokensState {
  data: TokensBody | undefined;
  stale: boolean;
  error: unknown;
  refetch: () => void;
}

function ViewerBody({
  view,
  params,
  image,
  notes,
  tokens,
}: {
  view: ResolvedView;
  params: ViewParams;
  image: ImageDetail;
  notes: string[];
  tokens: TokensState;
}) {
  const update = useViewStore((s) => s.update);
  const setPlaying = useViewStore((s) => s.setPlaying);
  const playing = usePlayback(view);
  useViewerKeys(view, params);
  const [dismissed, setDismissed] = useState<string[]>([]);

  const compare = params.mode === 'compare';
  const vsBase = params.mode === 'map' && view.vs ? view.base : null;
  const text = view.method === 'text';
  const token = formatTokenParam(view.token);
  const display = useMapDisplay(
    compare
      ? null
      : {
          imageId: image.id,
          model: view.model.key,
          method: view.method,
          layer: view.layer,
          head: view.head,
          fusion: view.fusion,
          prompt: view.prompt,
          token,
        },
    { norm: params.norm, perHead: view.perHead, wantHeads: params.mode === 'heads' },
  );
  usePrefetchNeighbours(compare ? null : display.query, {
    layers: view.layers,
    heads: view.perHead ? view.heads : null,
    wholeDepth: playing,
    headsOfLayer: view.perHead && (params.mode === 'heads' || params.norm === 'layer'),
    tokens: text ? (tokens.data?.tokens.length ?? null) : null,
  });

  const compareKeys = view.compare.map((m) => m.key).join(', ');
  useEffect(() => {
    const what = compare
      ? `compare ${compareKeys}`
      : `${view.model.key}${vsBase !== null ? ` vs ${vsBase.key}` : ''} ${view.method}${text ? ` P${view.prompt ?? 0} T${token ?? 'answer'}` : ''} L${view.layer}${view.head !== null ? ` H${view.head}` : ''}`;
    document.title = `${image.id} · ${what} — ssl-attention`;
    return () => {
      document.title = 'ssl-attention';
    };
  }, [image.id, compare, compareKeys, vsBase, view.model.key, view.method, view.layer, view.head, text, view.prompt, token]);

  const onToken = useCallback((next: TokenRange | null) => update({ token: next }), [update]);
  const onPrompt = useCallback((prompt: number) => update({ prompt, token: null }), [update]);

  // the prompt a VLM's text maps are scored on: the image's first (the token list names the prompts done)
  const done = text && tokens.data?.image_id === image.id && tokens.data.model === view.model.key ? tokens.data.prompts : [];
  const firstPrompt = done.length > 0 ? Math.min(...done.map((p) => p.index)) : null;

  const shownNotes = notes.filter((n) => !dismissed.includes(n));
  const weights = display.map?.weights ?? view.model.weights;
  return (
    <div className="viewer" data-testid="viewer">
      <div className="viewer-bar">
        <div className="crumbs">
          <Link to="/" className="crumb-link">
            Gallery
          </Link>
          <span aria-hidden="true">›</span>
          <h1 className="image-title" data-testid="image-title">
            {image.id}
          </h1>
          {!compare && <RandomWeightsBadge weights={weights} />}
        </div>
        <ViewTabs mode={params.mode} vs={view.vs} hasBase={view.base !== null} onChange={update} />
        <AskAboutLink imageId={image.id} />
        {vsBase !== null ? (
          <ShiftExportMenu view={view} params={params} image={image} base={vsBase} query={display.query} tokens={text ? tokens.data : undefined} />
        ) : (
          <ExportMenu view={view} params={params} image={image} display={display} tokens={text ? tokens.data : undefined} />
        )}
      </div>
      <Notice notes={shownNotes} onDismiss={() => setDismissed([...dismissed, ...shownNotes])} />
      <AspectNotice image={image} models={compare ? view.compare : [view.model]} />
      <div className="viewer-body">
        <main className={`viewer-main${text && !compare ? ' with-tokens' : ''}`}>
          {params.mode === 'map' && vsBase === null && <MapView view={view} params={params} image={image} display={display} />}
          {vsBase !== null && <ShiftView view={view} params={params} image={image} base={vsBase} variant={display} />}
          {params.mode === 'heads' && (
            <HeadsGrid view={view} params={params} image={image} display={display} onSelect={(head) => update({ head, mode: 'map' })} />
          )}
          {compare && <CompareView view={view} params={params} image={image} onModels={(keys) => update({ compare: keys })} />}
          {text && !compare && (
            <TokenStrip
              model={view.model}
              prompt={view.prompt ?? 0}
              token={view.token}
              layer={view.layer}
              data={tokens.data}
              stale={tokens.stale}
              error={tokens.error}
              onRetry={tokens.refetch}
              onSelect={onToken}
              onPrompt={onPrompt}
            />
          )}
          {text && !compare && tokens.data !== undefined && <VlmTokenFlow model={view.model.key} textId={tokens.data.text_id} layer={view.layer} />}
        </main>
        <ControlsPanel
          view={view}
          params={params}
          update={update}
          playing={playing}
          onTogglePlay={() => setPlaying(!playing)}
          annotations={image.annotations.length}
        >
          <ImageMetricsSection image={image} view={view} compare={compare} firstPrompt={firstPrompt} />
          <FaithfulnessSection image={image} view={view} compare={compare} />
        </ControlsPanel>
      </div>
    </div>
  );
}

/** The viewer of one image once the models and the image are known. */
export function Viewer({ image, models }: { image: ImageDetail; models: ModelList }) {
  const params = useViewStore((s) => s.params);
  const update = useViewStore((s) => s.update);
  const base = useMemo(() => resolveView(params, models.models, image), [params, models, image]);
  // a VLM's text maps: the token list says which prompts were run on this image and how many tokens there are
  const text = isResolved(base) && base.method === 'text';
  const modelKey = isResolved(base) ? base.model.key : '';
  const prompt = isResolved(base) ? (base.prompt ?? 0) : 0;
  const head = isResolved(base) && base.perHead ? base.head : null;
  const tokensQuery = useMemo<TokensQuery | null>(
    () => (text ? { imageId: image.id, model: modelKey, prompt, head } : null),
    [text, image.id, modelKey, prompt, head],
  );
  const tokens = useTokens(tokensQuery);
  const context = useMemo(() => textContextOf(tokensQuery, tokens.data, tokens.error), [tokensQuery, tokens.data, tokens.error]);
  const view = useMemo(
    () => (context === null ? base : resolveView(params, models.models, image, context)),
    [base, context, params, models, image],
  );
  const [notes, setNotes] = useState<string[]>([]);

  // Write the resolved choices into the URL (replacing it), so the link reproduces this view.
  useEffect(() => {
    if (!isResolved(view)) return;
    const canonical = canonicalParams(params, view);
    if (!sameParams(canonical, params)) {
      if (view.notes.length > 0) setNotes(view.notes);
      update(canonical, 'replace');
    }
  }, [view, params, update]);

  if (!isResolved(view)) {
    if (view.kind === 'unreadable') {
      return (
        <EmptyState title={`precompute could not use ${image.id}`} icon="broken" precompute="--models all --per-head">
          <p>{view.error}</p>
          <p>Replace the file and run precompute again; changed files are recomputed.</p>
          <p>
            <Link to="/">Back to the gallery</Link>
          </p>
        </EmptyState>
      );
    }
    if (view.kind === 'no-models') {
      return (
        <EmptyState title="No attention maps precomputed yet" precompute="--models all --per-head">
          <p>The store has no models. Precompute writes them; ./dev.sh precomputes the sample gallery.</p>
        </EmptyState>
      );
    }
    const keys = view.models.map((m) => m.key).join(',');
    return (
      <EmptyState title={`${image.id} is not precomputed yet`} precompute={`--models ${keys} --per-head`}>
        <p>No model has maps for this image yet (a running precompute will get to it).</p>
        <p>
          <Link to="/">Back to the gallery</Link>
        </p>
      </EmptyState>
    );
  }
  const tokensState: TokensState = {
    data: tokens.data,
    stale: tokens.isPlaceholderData || (tokens.data !== undefined && tokens.data.prompt !== view.prompt),
    error: tokens.error,
    refetch: () => void tokens.refetch(),
  };
  return <ViewerBody view={view} params={params} image={image} notes={notes} tokens={tokensState} />;
}
