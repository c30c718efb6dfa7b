import './FaithfulnessPanel.css';
import { useState } from 'react';
import { useFaithfulnessSummary, type FaithfulnessModel } from '../../api/faithfulness';
import { usePrecomputeCommand } from '../../api/hooks';
import { cellLabel, formatAuc, rankCells, type CurveKind, type RankScope, type RankedRow } from '../../lib/faithfulness';
import { ErrorState, Loading } from '../StatusViews';
import { Panel } from './Panel';

const SHOWN = 15;
const SCOPES: { value: RankScope; label: string }[] = [
  { value: 'maps', label: 'every map' },
  { value: 'models', label: 'models (best map)' },
  { value: 'methods', label: 'methods (best layer)' },
  { value: 'layers', label: 'layers (best head)' },
  { value: 'heads', label: 'heads only' },
];
const HELP: Record<CurveKind, string> = {
  deletion: 'deletion AUC: the target score while the most important patches are removed first — lower is more faithful',
  insertion: 'insertion AUC: the target score while the most important patches are revealed first — higher is more faithful',
};

/** A mean with its bootstrap 95% interval on the panel's shared scale. */
function IntervalBar({ row, kind, low, high }: { row: RankedRow; kind: CurveKind; low: number; high: number }) {
  const stat = row.cell[kind];
  const x = (v: number) => (((v - low) / (high - low || 1)) * 116 + 2).toFixed(1);
  return (
    <svg className="faith-bar" width={120} height={12} role="img" aria-label={`${formatAuc(stat.ci_low)} to ${formatAuc(stat.ci_high)}`}>
      <line x1={x(stat.ci_low)} x2={x(stat.ci_high)} y1={6} y2={6} className="faith-ci" />
      <circle cx={x(stat.mean)} cy={6} r={3} className={row.baseline ? 'faith-mean baseline' : 'faith-mean'} />
    </svg>
  );
}

function RankTable({ rows, kind }: { rows: RankedRow[]; kind: CurveKind }) {
  const low = Math.min(...rows.map((r) => r.cell[kind].ci_low));
  const high = Math.max(...rows.map((r) => r.cell[kind].ci_high));
  return (
    <table className="faith-table" data-testid="faithfulness-table">
      <thead>
        <tr>
          <th scope="col">#</th>
          <th scope="col">model</th>
          <th scope="col">map</th>
          <th scope="col" title={HELP[kind]}>
            {kind} AUC
          </th>
          <th scope="col">95% interval</th>
          <th scope="col">images</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row, i) => (
          <tr key={`${row.model}|${row.cell.method}|${row.cell.layer}|${row.cell.head}`} className={row.baseline ? 'baseline' : ''} data-testid="faithfulness-row">
            <td>{i + 1}</td>
            <td>{row.model}</td>
            <td>{cellLabel(row.cell)}</td>
            <td className="metric-value">{formatAuc(row.cell[kind].mean)}</td>
            <td title={`${formatAuc(row.cell[kind].ci_low)} – ${formatAuc(row.cell[kind].ci_high)}`}>
              <IntervalBar row={row} kind={kind} low={low} high={high} />
            </td>
            <td>{row.cell.n}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function targets(models: FaithfulnessModel[]): string {
  const found = [...new Set(models.map((m) => `${m.target}, ${m.steps} steps`))];
  return found.join('; ');
}

/**
 * Faithfulness (`precompute --faithfulness`): models, methods, layers and heads ranked by their mean
 * deletion or insertion AUC over images, with bootstrap intervals, beside the random and centre baselines.
 */
export function FaithfulnessPanel() {
  const summary = useFaithfulnessSummary();
  const command = usePrecomputeCommand('--per-head --faithfulness');
  const [kind, setKind] = useState<CurveKind>('deletion');
  const [scope, setScope] = useState<RankScope>('maps');
  const [model, setModel] = useState('');
  const [all, setAll] = useState(false);
  const models = summary.data?.models ?? [];
  const chosen = model === '' ? models : models.filter((m) => m.model === model);
  const rows = rankCells(chosen, kind, scope);
  const shown = all ? rows : rows.slice(0, SHOWN);

  return (
    <Panel
      title={
        <>
          Faithfulness <span className="panel-sub">{models.length > 0 ? targets(models) : 'deletion and insertion curves'}</span>
        </>
      }
      actions={
        <div className="panel-actions">
          <select aria-label="Curve" value={kind} onChange={(e) => setKind(e.target.value as CurveKind)} data-testid="faith-curve">
            <option value="deletion">deletion (lower is better)</option>
            <option value="insertion">insertion (higher is better)</option>
          </select>
          <select aria-label="Rank" value={scope} onChange={(e) => setScope(e.target.value as RankScope)} data-testid="faith-scope">
            {SCOPES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
          <select aria-label="Faithfulness model" value={model} onChange={(e) => setModel(e.target.value)} data-testid="faith-model">
            <option value="">all models</option>
            {models.map((m) => (
              <option key={m.model} value={m.model}>
                {m.model}
              </option>
            ))}
          </select>
        </div>
      }
      testId="faithfulness-panel"
    >
      {summary.isPending ? (
        <Loading label="Loading the faithfulness scores…" />
      ) : summary.isError ? (
        <ErrorState error={summary.error} onRetry={() => void summary.refetch()} compact />
      ) : rows.length === 0 ? (
        <p className="panel-empty" data-testid="faithfulness-empty">
          No faithfulness curves yet: run <code>{command}</code> (no annotations needed).
        </p>
      ) : (
        <>
          <p className="hint">{HELP[kind]}.</p>
          <RankTable rows={shown} kind={kind} />
          {rows.length > SHOWN && (
            <button type="button" className="button button-small" onClick={() => setAll(!all)} data-testid="faith-all">
              {all ? `Show the first ${SHOWN}` : `Show all ${rows.length}`}
            </button>
          )}
        </>
      )}
    </Panel>
  );
}
