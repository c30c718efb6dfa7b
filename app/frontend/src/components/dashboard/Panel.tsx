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

/** The precompute command that writes what the dashboard shows. */
export const METRICS_COMMAND = 'precompute --models all --per-head --metrics';
