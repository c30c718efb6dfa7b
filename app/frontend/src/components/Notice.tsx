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
