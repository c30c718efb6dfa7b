import '../viewer/ExportMenu.css';
import { api, urls } from '../../api/client';
import { useShift } from '../../api/hooks';
import type { ImageDetail, ModelInfo, MapQuery, ShiftMap, TokensBody } from '../../api/types';
import { DIVERGING, symmetricRange } from '../../lib/diverging';
import { downloadBytes, renderViewPng } from '../../lib/exportView';
import { encodeNpy } from '../../lib/npy';
import { asciiJson, exportBaseName, makeProvenance, textProvenance, type Provenance } from '../../lib/provenance';
import type { ResolvedView } from '../../state/resolveView';
import type { ViewParams } from '../../state/viewParams';
import { copyText, useMenu } from '../viewer/useMenu';

/** The provenance of a difference: the variant's identity as `model`, the base's as `base`, the distance. */
export function shiftProvenance(args: {
  image: Pick<ImageDetail, 'id' | 'sha256'>;
  view: Pick<ResolvedView, 'model' | 'method' | 'layer' | 'head' | 'fusion' | 'prompt' | 'token'>;
  base: ModelInfo;
  diff: ShiftMap;
  source: string;
  tokens?: TokensBody | undefined;
  now?: Date;
}): Provenance {
  const { view, diff, tokens } = args;
  const range = symmetricRange(diff.values);
  return makeProvenance({
    imageId: args.image.id,
    imageSha256: args.image.sha256,
    model: view.model,
    weights: diff.weights,
    method: view.method,
    text: textProvenance(view, tokens),
    layer: view.layer,
    head: view.head,
    fusion: view.fusion,
    shape: [diff.gh, diff.gw],
    min: diff.min,
    max: diff.max,
    source: args.source,
    base: { model: args.base, weights: diff.baseWeights, distance: Number.isFinite(diff.distance) ? diff.distance : null },
    display: { normalisation: 'symmetric', range: [range.lo, range.hi], colormap: 'RdBu_r', opacity: 1, cells: 'crisp' },
    now: args.now,
  });
}

/** Export in "vs base": the difference (PNG, .npy, JSON), each carrying both models' provenance. */
export function ShiftExportMenu({
  view,
  params,
  image,
  base,
  query,
  tokens,
}: {
  view: ResolvedView;
  params: ViewParams;
  image: ImageDetail;
  base: ModelInfo;
  /** the variant's map on screen */
  query: MapQuery;
  tokens?: TokensBody | undefined;
}) {
  const { open, setOpen, status, root, run } = useMenu();
  const shiftQuery = { ...query, base: base.key };
  const shift = useShift(shiftQuery);
  const diff = shift.isPlaceholderData ? undefined : shift.data;
  const source = window.location.origin + urls.shift(shiftQuery);
  const provenance = () => shiftProvenance({ image, view, base, diff: diff!, source, tokens });

  const exportPng = () =>
    run('PNG', async () => {
      const p = provenance();
      const range = symmetricRange(diff!.values);
      const bytes = await renderViewPng({
        imageUrl: urls.imageFile(image.id),
        imageWidth: image.width ?? 1,
        imageHeight: image.height ?? 1,
        values: diff!.values,
        gh: diff!.gh,
        gw: diff!.gw,
        range: { lo: range.lo, hi: range.hi, mode: 'map' },
        scaleText: `${view.model.key} − ${base.key} · symmetric ±max · RdBu_r`,
        cmap: DIVERGING,
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
      downloadBytes(encodeNpy(diff!.bytes, p.shape), `${exportBaseName(p)}.npy`, 'application/octet-stream');
    });
  const exportJson = () =>
    run('JSON', async () => {
      const p = provenance();
      const body = await api.shiftJson(shiftQuery);
      downloadBytes(asciiJson({ provenance: p, ...body }, 1), `${exportBaseName(p)}.json`, 'application/json');
    });

  const ready = diff !== undefined;
  return (
    <div className="export-menu" ref={root}>
      <button type="button" className="button" aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen((o) => !o)} data-testid="export-button">
        Export ▾
      </button>
      {open && (
        <div className="menu" role="menu" data-testid="export-menu">
          <button type="button" role="menuitem" disabled={!ready} onClick={() => void exportPng()} data-testid="export-png">
            PNG of the difference
            <span className="muted">image, {view.model.key} − {base.key}, scale, both models' provenance</span>
          </button>
          <button type="button" role="menuitem" disabled={!ready} onClick={() => void exportNpy()} data-testid="export-npy">
            Difference (.npy)
            <span className="muted">float16 [gh, gw], variant − base</span>
          </button>
          <button type="button" role="menuitem" disabled={!ready} onClick={() => void exportJson()} data-testid="export-json">
            Difference + provenance (.json)
            <span className="muted">both models, checkpoints, weights; the distance</span>
          </button>
          <hr />
          <button type="button" role="menuitem" onClick={() => void run('Link', async () => void (await copyText(window.location.href)))}>
            Copy link to this view
          </button>
          <button type="button" role="menuitem" onClick={() => void run('API URL', async () => void (await copyText(source)))}>
            Copy API URL of the difference
            <span className="muted">for curl and notebooks</span>
          </button>
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
