import type { Leaderboard, MetricStat } from '../../api/types';
import type { MethodNamer } from '../../lib/methods';
import { LeaderboardChart, type ModelStyle } from './LeaderboardChart';
import { Panel } from './Panel';

/** Every model's fused maps scored at one layer, best first, with CIs and the baselines; a bar picks the model of the panels below. */
export function LeaderboardPanel({
  board,
  metric,
  scope,
  label,
  chosenMethod,
  fetching,
  styles,
  methodName,
  barMethodName,
  selected,
  onSelect,
}: {
  board: Leaderboard;
  metric: string;
  /** what the scores are of: method, layer, label */
  scope: string;
  label: string;
  chosenMethod: string | null;
  fetching: boolean;
  styles: (model: string) => ModelStyle;
  methodName: MethodNamer;
  barMethodName: MethodNamer;
  selected: string | null;
  onSelect: (model: string) => void;
}) {
  return (
    <Panel
      title={
        <>
          Leaderboard <span className="panel-sub">{scope}</span>
        </>
      }
      actions={fetching ? <span className="spinner" aria-label="updating" /> : undefined}
      testId="leaderboard"
    >
      {board.rows.length === 0 ? (
        <p className="panel-empty" data-testid="leaderboard-empty">
          No scores for {scope}
          {label ? ': no scored image has a box with this label' : chosenMethod ? `: no model has ${chosenMethod} maps scored` : ''}.
        </p>
      ) : (
        <LeaderboardChart
          rows={board.rows}
          baselines={board.baselines}
          metric={metric}
          styles={styles}
          methodName={methodName}
          barMethodName={barMethodName}
          selected={selected}
          onSelect={(row: MetricStat) => onSelect(row.model)}
        />
      )}
    </Panel>
  );
}
