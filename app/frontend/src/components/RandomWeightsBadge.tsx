import type { Weights } from '../api/types';

const HELP =
  'These maps come from an untrained model (precompute --weights random): the architecture with random weights. ' +
  'They show the pipeline working, not where a trained model looks.';

/** Shown wherever a map comes from random weights; nothing for pretrained ones. */
export function RandomWeightsBadge({ weights, compact = false }: { weights: Weights | undefined; compact?: boolean }) {
  if (weights !== 'random') return null;
  return (
    <span className="badge badge-random" title={HELP} data-testid="random-weights-badge">
      {compact ? 'random' : 'random weights'}
    </span>
  );
}
