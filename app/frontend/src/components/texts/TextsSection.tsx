import './TextsSection.css';
import { useText } from '../../api/texts';
import type { ModelInfo } from '../../api/types';
import { closeText, openText } from '../../state/textParams';
import { useTextStore } from '../../state/textStore';
import { EmptyState } from '../StatusViews';
import { TextList } from './TextList';
import { TextPanel } from './TextPanel';
import { TextTabs } from './TextTabs';
import { TextToolbar } from './TextToolbar';

/** The Texts section: the list by category, tabs of open texts, the controls, and one or two model panels. */
export function TextsSection({ models }: { models: readonly ModelInfo[] }) {
  const params = useTextStore((s) => s.params);
  const update = useTextStore((s) => s.update);
  const model = params.model !== null && models.some((m) => m.key === params.model) ? params.model : models[0]!.key;
  const shown = { ...params, model };
  const info = useText(model, params.text);
  const fallback = models.find((m) => m.key === model)!;
  const compare = params.compare !== null && params.compare !== model ? params.compare : null;
  return (
    <div className="texts-section">
      <aside className="texts-sidebar">
        <TextList model={model} open={params.open} active={params.text} onOpen={(id) => update({ model, ...openText(shown, id) })} />
      </aside>
      <main className="texts-main">
        <TextTabs
          open={params.open}
          active={params.text}
          onShow={(id) => update({ model, ...openText(shown, id) })}
          onClose={(id) => update({ model, ...closeText(shown, id) })}
        />
        <TextToolbar
          params={shown}
          models={models}
          layers={info.data?.layers ?? fallback.layers}
          heads={info.data?.heads ?? fallback.heads}
          perHead={info.data?.per_head ?? fallback.per_head}
          onChange={(patch) => update({ model, ...patch })}
        />
        {params.text === null ? (
          <EmptyState title="Open a text">
            <p>Pick a text on the left: its tokens, where each one looks, the token × token matrix and every head's pattern.</p>
          </EmptyState>
        ) : (
          <div className={`texts-panels${compare !== null ? ' texts-panels-two' : ''}`}>
            <TextPanel model={model} textId={params.text} params={shown} onChange={(patch, replace) => update({ model, ...patch }, replace)} />
            {compare !== null && (
              <TextPanel model={compare} textId={params.text} params={shown} onChange={(patch, replace) => update({ model, ...patch }, replace)} />
            )}
          </div>
        )}
      </main>
    </div>
  );
}
