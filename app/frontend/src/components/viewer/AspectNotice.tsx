import type { ImageDetail, ModelInfo } from '../../api/types';
import { aspectWarning, formatCell, MAX_ASPECT } from '../../lib/aspect';

/**
 * Says when the models on screen see this image squashed: a fixed-grid model (a ViT) resizes the
 * whole image to its square input, so beyond 2:1 its cells are far from square in the image.
 */
export function AspectNotice({ image, models }: { image: ImageDetail; models: ModelInfo[] }) {
  const warning = aspectWarning(image.width, image.height, models);
  if (warning === null) return null;
  const [gh, gw] = warning.grid;
  const names = warning.models.join(', ');
  return (
    <div className="notice notice-warn" role="note" data-testid="aspect-notice">
      <span>
        This image is {warning.aspect} ({image.width}×{image.height}), beyond {MAX_ASPECT}:1: {names}{' '}
        {warning.models.length === 1 ? 'sees' : 'see'} it squashed to {gh === gw ? 'a square' : 'a fixed'} input,
        so each cell of the {gh}×{gw} map covers {formatCell(warning.cell)} px of the image. Vision-language models keep the aspect.
      </span>
    </div>
  );
}
