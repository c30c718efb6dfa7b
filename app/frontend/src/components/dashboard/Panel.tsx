import './Dashboard.css';
import type { ReactNode } from 'react';

/** One of the dashboard's boxes: a title (with its scope), actions on the right, the content. */
export function Panel({
  title,
  actions,
  children,
  testId,
  className = '',
}: {
  title: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  testId?: string;
  className?: string;
}) {
  return (
    <section className={`panel ${className}`} data-testid={testId}>
      <div className="panel-header">
        <h2>{title}</h2>
        {actions}
      </div>
      {children}
    </section>
  );
}

/** precompute's arguments that write every map and score it (the served gallery's flags are appended: lib/commands.ts). */
export const METRICS_ARGS = '--models all --per-head --metrics';
