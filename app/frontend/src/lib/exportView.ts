/** Exports of the current view: a composed PNG (browser only), .npy and JSON files. */
import type { AnyColormap } from './colormaps';
import { colorAt } from './colormaps';
import { formatValue, NORM_LABELS, type ResolvedRange } from './normalise';
import { addPngText } from './png';
import { asciiJson, captionOf, type Provenance } from './provenance';
import { drawHeatmap } from './render';

export function downloadBytes(bytes: Uint8Array | string, filename: string, type: string): void {
  const blob = new Blob([bytes as BlobPart], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.rel = 'noopener';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function loadImage(src: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error(`cannot load ${src}`));
    image.src = src;
  });
}

const BOX_COLOR = '#00ff88';
const MIN_SIDE = 768;
const MAX_SIDE = 2048;

export interface PngView {
  imageUrl: string;
  imageWidth: number;
  imageHeight: number;
  values: Float32Array;
  gh: number;
  gw: number;
  range: ResolvedRange;
  /** the scale's words (default: the normalisation's name and the colormap) */
  scaleText?: string;
  cmap: AnyColormap;
  opacity: number;
  smooth: boolean;
  boxes: { label: string; box: [number, number, number, number] }[];
  provenance: Provenance;
}

/** The view as a PNG: image, heatmap, boxes, then a strip with the colour bar and a caption;
 * the provenance is in a tEXt chunk named `ssl-attention`. */
export async function renderViewPng(view: PngView): Promise<Uint8Array> {
  const image = await loadImage(view.imageUrl);
  const long = Math.max(view.imageWidth, view.imageHeight);
  const scale = Math.min(MAX_SIDE / long, Math.max(1, MIN_SIDE / long));
  const width = Math.round(view.imageWidth * scale);
  const height = Math.round(view.imageHeight * scale);
  const unit = Math.max(12, Math.round(width / 56));
  const strip = unit * 4;
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height + strip;
  const ctx = canvas.getContext('2d');
  if (ctx === null) throw new Error('no 2D canvas');
  ctx.drawImage(image, 0, 0, width, height);

  const heat = document.createElement('canvas');
  drawHeatmap(heat, view.values, { gh: view.gh, gw: view.gw }, view.range, view.cmap);
  ctx.save();
  ctx.imageSmoothingEnabled = view.smooth;
  ctx.imageSmoothingQuality = 'high';
  ctx.globalAlpha = view.opacity;
  ctx.drawImage(heat, 0, 0, width, height);
  ctx.restore();

  const line = Math.max(1, Math.round(Math.min(width, height) / 250));
  ctx.font = `${Math.round(unit * 0.9)}px system-ui, sans-serif`;
  ctx.textBaseline = 'top';
  for (const { label, box } of view.boxes) {
    const [x0, y0, x1, y1] = box;
    const left = Math.min(x0, x1) * width;
    const top = Math.min(y0, y1) * height;
    const w = Math.abs(x1 - x0) * width;
    const h = Math.abs(y1 - y0) * height;
    ctx.lineWidth = line * 3;
    ctx.strokeStyle = 'rgba(0,0,0,0.6)';
    ctx.strokeRect(left, top, w, h);
    ctx.lineWidth = line;
    ctx.strokeStyle = BOX_COLOR;
    ctx.strokeRect(left, top, w, h);
    if (label) {
      const m = ctx.measureText(label);
      ctx.fillStyle = 'rgba(0,0,0,0.75)';
      ctx.fillRect(left, top, m.width + 8, unit * 1.1);
      ctx.fillStyle = BOX_COLOR;
      ctx.fillText(label, left + 4, top + 2);
    }
  }

  // the strip: colour bar with its range, and the caption
  ctx.fillStyle = '#101318';
  ctx.fillRect(0, height, width, strip);
  const barX = unit;
  const barW = Math.min(width - 2 * unit, unit * 16);
  const barY = height + unit * 0.6;
  for (let i = 0; i < barW; i++) {
    const [r, g, b] = colorAt(view.cmap, i / Math.max(1, barW - 1));
    ctx.fillStyle = `rgb(${r},${g},${b})`;
    ctx.fillRect(barX + i, barY, 1, unit * 0.9);
  }
  ctx.fillStyle = '#e7e9ee';
  ctx.font = `${Math.round(unit * 0.8)}px system-ui, sans-serif`;
  ctx.fillText(formatValue(view.range.lo), barX, barY + unit);
  const hiText = formatValue(view.range.hi);
  ctx.fillText(hiText, barX + barW - ctx.measureText(hiText).width, barY + unit);
  const textX = barX + barW + unit;
  ctx.fillText(view.scaleText ?? `${NORM_LABELS[view.range.mode]} · ${view.cmap}`, textX, barY);
  ctx.fillStyle = view.provenance.weights === 'random' ? '#ffb454' : '#aab1bf';
  const caption = captionOf(view.provenance);
  ctx.fillText(caption, textX, barY + unit * 1.2, Math.max(unit * 4, width - textX - unit));

  const blob = await new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('PNG encoding failed'))), 'image/png'),
  );
  const bytes = new Uint8Array(await blob.arrayBuffer());
  return addPngText(bytes, 'ssl-attention', asciiJson(view.provenance));
}
