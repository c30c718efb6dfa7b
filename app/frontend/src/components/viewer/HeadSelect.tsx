/** "All (fused)" or one head; the caller hides it where the method has no per-head maps. */
export function HeadSelect({
  head,
  heads,
  onChange,
}: {
  head: number | null;
  heads: number;
  onChange: (head: number | null) => void;
}) {
  return (
    <div className="control">
      <div className="control-label">
        <label htmlFor="head-select">Head</label>
        <span className="muted">↑/↓</span>
      </div>
      <select
        id="head-select"
        value={head === null ? 'fused' : String(head)}
        onChange={(event) => onChange(event.target.value === 'fused' ? null : Number(event.target.value))}
        data-testid="head-select"
      >
        <option value="fused">All (fused)</option>
        {Array.from({ length: heads }, (_, h) => (
          <option key={h} value={h}>
            Head {h}
          </option>
        ))}
      </select>
    </div>
  );
}
