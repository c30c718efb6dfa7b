import './StatusViews.css';
import { useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';

/** A command the user can copy. */
export function Command({ children }: { children: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="command">
      <code>{children}</code>
      <button
        type="button"
        className="button button-small"
        onClick={() => {
          void navigator.clipboard?.writeText(children).then(() => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          });
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

/** Nothing to show yet, and what to do about it. */
export function EmptyState({ title, children, command }: { title: string; children?: ReactNode; command?: string }) {
  return (
    <div className="state state-empty" role="status" data-testid="empty-state">
      <div className="state-icon" aria-hidden="true">
        ◌
      </div>
      <h2>{title}</h2>
      {children !== undefined && <div className="state-text">{children}</div>}
      {command !== undefined && <Command>{command}</Command>}
    </div>
  );
}

function hintFor(error: unknown): { title: string; hint?: string; command?: string; empty?: boolean } {
  if (!(error instanceof ApiError)) return { title: 'Something went wrong' };
  if (error.status === 0) return { title: 'The API cannot be reached', hint: 'Is the server running?', command: './dev.sh' };
  if (error.status === 503 && /precompute/.test(error.message))
    return {
      title: 'No precomputed attention maps yet',
      hint: 'The API has no store or catalog to read. Precompute writes them (./dev.sh does it for the sample gallery).',
      command: 'precompute --models all --per-head',
      empty: true,
    };
  if (error.status === 503)
    return {
      title: 'The attention store or catalog cannot be read',
      hint: 'Precompute creates them; the API reads the folders set by SSL_ATTENTION_STORE and SSL_ATTENTION_DB.',
      command: 'precompute --models all --per-head',
    };
  if (error.status === 404) return { title: 'Not found' };
  if (error.status === 409 && /damaged/.test(error.message)) return { title: 'The stored maps are damaged' };
  if (error.status === 409) return { title: 'Not precomputed yet' };
  return { title: `The API refused this request (${error.status})` };
}

/** A failed request: the API's own message, and a way forward when there is one. */
export function ErrorState({ error, onRetry, compact = false }: { error: unknown; onRetry?: () => void; compact?: boolean }) {
  const { title, hint, command, empty = false } = hintFor(error);
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div
      className={`state ${empty ? 'state-empty' : 'state-error'}${compact ? ' state-compact' : ''}`}
      role={empty ? 'status' : 'alert'}
      data-testid={empty ? 'empty-state' : 'error-state'}
    >
      {!compact && (
        <div className="state-icon" aria-hidden="true">
          {empty ? '◌' : '!'}
        </div>
      )}
      <h2>{title}</h2>
      <p className="state-message">{message}</p>
      {hint !== undefined && !compact && <p className="state-text">{hint}</p>}
      {command !== undefined && !compact && <Command>{command}</Command>}
      {onRetry !== undefined && (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Loading({ label = 'Loading…', overlay = false }: { label?: string; overlay?: boolean }) {
  return (
    <div className={`loading${overlay ? ' loading-overlay' : ''}`} role="status" aria-live="polite" data-testid="loading">
      <span className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}

/** Notes on what the app changed in a link it was given (an unknown model, a metric it does not have…), dismissable. */
export function Notice({ notes, onDismiss }: { notes: string[]; onDismiss: () => void }) {
  if (notes.length === 0) return null;
  return (
    <div className="notice" role="status" data-testid="notice">
      <ul>
        {notes.map((n) => (
          <li key={n}>{n}</li>
        ))}
      </ul>
      <button type="button" className="button button-small" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
