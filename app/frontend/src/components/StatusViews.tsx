import './StatusViews.css';
import { useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';
import { useServed } from '../api/hooks';
import { passwordNote, precomputeCommand } from '../lib/commands';

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

/** `precompute <args>` for the gallery, store and catalog this server serves (see lib/commands.ts), copyable. */
export function PrecomputeCommand({ args }: { args: string }) {
  const served = useServed();
  const note = passwordNote(served.data);
  return (
    <>
      <Command>{precomputeCommand(served.data, args)}</Command>
      {note !== null && <p className="state-text command-note">{note}</p>}
    </>
  );
}

/**
 * The empty state's icon: `empty` (nothing here yet: ∅), `broken` (a file that cannot be
 * used: a warning sign). Never a dotted ring, which reads as a loading spinner.
 */
export type StateIcon = 'empty' | 'broken';
const ICONS: Record<StateIcon, string> = { empty: '∅', broken: '!' };

/** Nothing to show yet, and what to do about it: a command, or `precompute` with these args for the served data. */
export function EmptyState({
  title,
  children,
  command,
  precompute,
  icon = 'empty',
}: {
  title: string;
  children?: ReactNode;
  command?: string;
  precompute?: string;
  icon?: StateIcon;
}) {
  return (
    <div className={`state state-empty state-icon-${icon}`} role="status" data-testid="empty-state">
      <div className="state-icon" aria-hidden="true" data-icon={icon}>
        {ICONS[icon]}
      </div>
      <h2>{title}</h2>
      {children !== undefined && <div className="state-text">{children}</div>}
      {command !== undefined && <Command>{command}</Command>}
      {precompute !== undefined && <PrecomputeCommand args={precompute} />}
    </div>
  );
}

function hintFor(error: unknown): { title: string; hint?: string; command?: string; precompute?: string; empty?: boolean } {
  if (!(error instanceof ApiError)) return { title: 'Something went wrong' };
  if (error.status === 0) return { title: 'The API cannot be reached', hint: 'Is the server running?', command: './dev.sh' };
  if (error.status === 503 && /precompute/.test(error.message))
    return {
      title: 'No precomputed attention maps yet',
      hint: 'The API has no store or catalog to read. Precompute writes them (./dev.sh does it for the sample gallery).',
      precompute: '--models all --per-head',
      empty: true,
    };
  if (error.status === 503)
    return {
      title: 'The attention store or catalog cannot be read',
      hint: 'Precompute creates them; the API reads the folders set by SSL_ATTENTION_STORE and SSL_ATTENTION_DB.',
      precompute: '--models all --per-head',
    };
  if (error.status === 404) return { title: 'Not found' };
  if (error.status === 409 && /damaged/.test(error.message)) return { title: 'The stored maps are damaged' };
  if (error.status === 409) return { title: 'Not precomputed yet' };
  return { title: `The API refused this request (${error.status})` };
}

/** A failed request: the API's own message, and a way forward when there is one. */
export function ErrorState({ error, onRetry, compact = false }: { error: unknown; onRetry?: () => void; compact?: boolean }) {
  const { title, hint, command, precompute, empty = false } = hintFor(error);
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div
      className={`state ${empty ? 'state-empty' : 'state-error'}${compact ? ' state-compact' : ''}`}
      role={empty ? 'status' : 'alert'}
      data-testid={empty ? 'empty-state' : 'error-state'}
    >
      {!compact && (
        <div className="state-icon" aria-hidden="true">
          {empty ? ICONS.empty : '!'}
        </div>
      )}
      <h2>{title}</h2>
      <p className="state-message">{message}</p>
      {hint !== undefined && !compact && <p className="state-text">{hint}</p>}
      {command !== undefined && !compact && <Command>{command}</Command>}
      {precompute !== undefined && !compact && <PrecomputeCommand args={precompute} />}
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
