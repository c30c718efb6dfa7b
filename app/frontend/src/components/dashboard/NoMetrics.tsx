import type { ReactNode } from 'react';
import { EmptyState } from '../StatusViews';
import { METRICS_ARGS } from './Panel';

/** The API's hint as a sentence under the title (without repeating it), its `quoted commands` as code. */
function HintText({ text }: { text: string }) {
  const rest = text.replace(/^no metrics yet:\s*/i, '');
  const sentence = rest.charAt(0).toUpperCase() + rest.slice(1);
  return (
    <>
      {sentence.split('`').map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part))}
    </>
  );
}

/** The dashboard before anything is scored: what metrics are and the command that writes them. */
export function NoMetrics({ hint, children }: { hint: string | null; children?: ReactNode }) {
  return (
    <div className="dashboard" data-testid="dashboard">
      <EmptyState title="No metrics yet" precompute={METRICS_ARGS}>
        <p data-testid="metrics-hint">
          <HintText text={hint ?? 'nothing has been scored yet'} />.
        </p>
        <p>
          Metrics score every map against the annotation boxes of the gallery (a COCO <code>annotations.json</code> beside the images):
          does the model look where the boxes are?
        </p>
      </EmptyState>
      {children}
    </div>
  );
}
