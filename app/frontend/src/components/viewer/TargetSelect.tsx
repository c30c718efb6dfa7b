import { targetLabel } from '../../state/targets';

export interface TargetSelectProps {
  /** the model's gradrollout targets (its `prompts`), index = the `prompt` parameter */
  targets: readonly string[];
  target: number | null;
  onChange: (target: number) => void;
}

/** Which gradrollout target the map explains: a ViT's text prompt or class, or a VLM's prompt (its answer token). */
export function TargetSelect({ targets, target, onChange }: TargetSelectProps) {
  return (
    <div className="control">
      <div className="control-label">
        <label htmlFor="target-select">Target</label>
      </div>
      {targets.length > 1 ? (
        <select id="target-select" value={target ?? 0} onChange={(event) => onChange(Number(event.target.value))} data-testid="target-select">
          {targets.map((t, index) => (
            <option key={t} value={index}>
              {targetLabel(t)}
            </option>
          ))}
        </select>
      ) : (
        <p className="hint" data-testid="target-select">
          {targetLabel(targets[0])}
        </p>
      )}
      <p className="hint">what the map explains: the image–text similarity to a prompt, a class logit, or a VLM prompt's answer token</p>
    </div>
  );
}
