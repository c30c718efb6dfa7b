import './ExportMenu.css';
import { api, urls } from '../../api/client';
import type { ImageDetail, TokensBody } from '../../api/types';
import { downloadBytes, renderViewPng } from '../../lib/exportView';
import { encodeNpy } from '../../lib/npy';
import { asciiJson, exportBaseName, makeProvenance, textProvenance } from '../../lib/provenance';
import type { ResolvedView } from '../../state/resolveView';
import type { ViewParams } from '../../state/viewParams';
import type { MapDisplay } from './useMapDisplay';
import { copyText, useMenu } from './useMenu';

/**
 * Export what is on screen: the view as a PNG (with the provenance in its metadata and caption),
 * the raw slice as .npy (the API's float16 bytes unchanged) or JSON with its provenance; in the
 * heads grid, every head of the layer. Also copies the link of the view or the API URL.
 */
export function ExportMenu({
  view,
  params,
  image,
  display,
  tokens,
}: {
  view: ResolvedView;
  params: ViewParams;
  image: ImageDetail;
  display: MapDisplay;
  /** a VLM's token list (method text): the prompt's and the tokens' text go into the provenance */
  tokens?: TokensBody | undefined;
}) {
  const { open, setOpen, status, root, run } = useMenu();
  const allHeads = params.mode === 'heads' && view.perHead;
  const map = display.map;
  const heads = display.heads;
  const ready = allHeads ? heads !== undefined : map !== undefined && display.range !== null && !display.stale;
  const source = window.location.origin + (allHeads ? urls.heads(display.query) : urls.raw(display.query));
  const provenance = () => {
    const data = allHeads ? heads! : map!;
    return makeProvenance({
      imageId: image.id,
      imageSha256: image.sha256,
      model: view.model,
      weights: data.weights,
      method: view.method,
      text: textProvenance(view, tokens),
      layer: view.layer,
      head: allHeads ? 'all' : view.head,
      fusion: view.fusion,
      shape: allHeads ? [heads!.heads, heads!.gh, heads!.gw] : [map!.gh, map!.gw],
      min: data.min,
      max: data.max,
      source,
      display:
        display.range !== null
          ? {
              normalisation: display.range.mode,
              range: [display.range.lo, display.range.hi],
              colormap: params.cmap,
              opacity: params.opacity,
              cells: params.interp,
            }
          : undefined,
    });
  };

  const exportPng = () =>
    run('PNG', async () => {
      const p = provenance();
      const bytes = await renderViewPng({
        imageUrl: urls.imageFile(image.id),
        imageWidth: image.width ?? 1,
        imageHeight: image.height ?? 1,
        values: map!.values,
        gh: map!.gh,
        gw: map!.gw,
        range: display.range!,
        cmap: params.cmap,
        opacity: params.opacity,
        smooth: params.interp === 'smooth',
        boxes: params.boxes ? image.annotations : [],
        provenance: p,
      });
      downloadBytes(bytes, `${exportBaseName(p)}.png`, 'image/png');
    });

  const exportNpy = () =>
    run('.npy', async () => {
      const p = provenance();
      const data = allHeads ? heads! : map!;
      downloadBytes(encodeNpy(data.bytes, p.shape), `${exportBaseName(p)}.npy`, 'application/octet-stream');
    });

  const exportJson = () =>
    run('JSON', async () => {
      const p = provenance();
      const body = allHeads ? await api.headsJson(display.query) : await api.rawJson(display.query);
      const text = asciiJson({ provenance: p, ...body }, 1);
      downloadBytes(text, `${exportBaseName(p)}.json`, 'application/json');
    });

  return (
    <div className="export-menu" ref={root}>
      <button
        type="button"
        className="button"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((o) => !o)}
        data-testid="export-button"
      >
        Export ▾
      </button>
      {open && (
        <div className="menu" role="menu" data-testid="export-menu">
          {!allHeads && (
            <button type="button" role="menuitem" disabled={!ready || params.mode === 'compare'} onClick={() => void exportPng()} data-testid="export-png">
              PNG of this view
              <span className="muted">image, map, boxes, colour bar, provenance</span>
            </button>
          )}
          <button type="button" role="menuitem" disabled={!ready || params.mode === 'compare'} onClick={() => void exportNpy()} data-testid="export-npy">
            {allHeads ? 'All heads (.npy)' : 'Raw slice (.npy)'}
            <span className="muted">float16 {allHeads ? '[heads, gh, gw]' : '[gh, gw]'}, as stored</span>
          </button>
          <button type="button" role="menuitem" disabled={!ready || params.mode === 'compare'} onClick={() => void exportJson()} data-testid="export-json">
            {allHeads ? 'All heads + provenance (.json)' : 'Raw slice + provenance (.json)'}
            <span className="muted">model, checkpoint, weights, method, layer, head</span>
          </button>
          <hr />
          <button type="button" role="menuitem" onClick={() => void run('Link', async () => void (await copyText(window.location.href)))}>
            Copy link to this view
          </button>
          <button type="button" role="menuitem" disabled={params.mode === 'compare'} onClick={() => void run('API URL', async () => void (await copyText(source)))}>
            Copy API URL of the slice
            <span className="muted">for curl and notebooks</span>
          </button>
          {params.mode === 'compare' && <p className="hint">Exports work on one map: open it in Map.</p>}
        </div>
      )}
      {status !== null && (
        <span className="export-status" role="status" data-testid="export-status">
          {status}
        </span>
      )}
    </div>
  );
}
