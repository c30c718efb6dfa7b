export interface TextTabsProps {
  open: readonly string[];
  active: string | null;
  onShow: (textId: string) => void;
  onClose: (textId: string) => void;
}

/** One tab per open text: a click shows it, × closes it. */
export function TextTabs({ open, active, onShow, onClose }: TextTabsProps) {
  if (open.length === 0) return null;
  return (
    <div className="text-tabs" role="tablist" aria-label="open texts">
      {open.map((id) => (
        <div key={id} className={`text-tab${id === active ? ' active' : ''}`}>
          <button type="button" role="tab" aria-selected={id === active} onClick={() => onShow(id)} data-testid={`text-tab-${id}`}>
            {id}
          </button>
          <button type="button" className="text-tab-close" aria-label={`close ${id}`} onClick={() => onClose(id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
