import { useMemo, useState } from 'react';
import { useTexts, type TextSummary } from '../../api/texts';
import { EmptyState, ErrorState, Loading } from '../StatusViews';

/** Texts grouped by category (in the order categories first appear; '' last, as "uncategorised"). */
export function groupByCategory(texts: readonly TextSummary[]): [string, TextSummary[]][] {
  const groups = new Map<string, TextSummary[]>();
  for (const t of texts) {
    const list = groups.get(t.category) ?? [];
    list.push(t);
    groups.set(t.category, list);
  }
  return [...groups.entries()].sort(([a], [b]) => (a === '' ? 1 : b === '' ? -1 : a.localeCompare(b)));
}

export interface TextListProps {
  model: string;
  open: readonly string[];
  active: string | null;
  onOpen: (textId: string) => void;
}

/** The model's precomputed texts by category, filterable by id; a click opens one in a tab. */
export function TextList({ model, open, active, onOpen }: TextListProps) {
  const texts = useTexts(model);
  const [filter, setFilter] = useState('');
  const groups = useMemo(() => {
    const all = texts.data?.texts ?? [];
    const wanted = filter.trim().toLowerCase();
    return groupByCategory(wanted === '' ? all : all.filter((t) => t.text_id.toLowerCase().includes(wanted)));
  }, [texts.data, filter]);
  if (texts.isPending) return <Loading label="Loading texts…" />;
  if (texts.isError) return <ErrorState error={texts.error} compact onRetry={() => void texts.refetch()} />;
  if (texts.data.texts.length === 0) {
    return (
      <EmptyState title={`No texts for ${model} yet`} precompute={`--models ${model} --texts data/samples/texts.jsonl`}>
        <p>Precompute a texts file (JSON lines: chats, plain texts, agent trajectories) to see where the model looks.</p>
      </EmptyState>
    );
  }
  return (
    <nav className="text-list" aria-label="texts" data-testid="text-list">
      <input
        className="input"
        type="search"
        placeholder="Filter texts"
        value={filter}
        onChange={(e) => setFilter(e.target.value)}
        aria-label="filter texts by id"
      />
      {groups.map(([category, list]) => (
        <section key={category}>
          <h3>{category === '' ? 'uncategorised' : category}</h3>
          <ul>
            {list.map((t) => (
              <li key={t.text_id}>
                <button
                  type="button"
                  className={`${t.text_id === active ? 'active' : ''}${open.includes(t.text_id) ? ' open' : ''}`}
                  title={t.preview}
                  onClick={() => onOpen(t.text_id)}
                  data-testid={`text-item-${t.text_id}`}
                >
                  <span>{t.text_id}</span>
                  <small>{t.n_tokens} tok</small>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </nav>
  );
}
