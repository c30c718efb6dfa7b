import { useEffect, useRef, useState } from 'react';

/**
 * A drop-down menu's state: open/closed (closed by Escape or a click outside `root`), and a status
 * line for the action it ran (`run`: "PNG…", then "PNG: done" or the error, cleared after 2.5 s).
 */
export function useMenu() {
  const [open, setOpen] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const root = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent | KeyboardEvent) => {
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !root.current?.contains(event.target as Node)) setOpen(false);
    };
    window.addEventListener('mousedown', close);
    window.addEventListener('keydown', close);
    return () => {
      window.removeEventListener('mousedown', close);
      window.removeEventListener('keydown', close);
    };
  }, [open]);

  const run = async (what: string, action: () => Promise<void>) => {
    setOpen(false);
    setStatus(`${what}…`);
    try {
      await action();
      setStatus(`${what}: done`);
    } catch (error) {
      setStatus(`${what} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    setTimeout(() => setStatus(null), 2500);
  };

  return { open, setOpen, status, root, run };
}

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    window.prompt('Copy this:', text);
    return false;
  }
}
