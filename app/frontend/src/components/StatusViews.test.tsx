// @vitest-environment happy-dom
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { keys } from '../api/hooks';
import type { Served } from '../api/types';
import { render, type Rendered } from '../test/render';
import { EmptyState } from './StatusViews';

const OWN: Served = {
  images: '/home/me/photos',
  store: '/home/me/attention.zarr',
  db: 'postgresql://me:***@db.local/attention',
  precompute_flags: "--images /home/me/photos --store /home/me/attention.zarr --db 'postgresql://me:***@db.local/attention'",
  password_hidden: true,
};

let shown: Rendered | null = null;
afterEach(() => {
  shown?.unmount();
  shown = null;
});

/** Render with a query cache that already holds `/served`'s answer (no request is made). */
function withServed(served: Served | null, element: ReactNode): Rendered {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, enabled: served !== null } } });
  if (served !== null) client.setQueryData(keys.served, served);
  return render(<QueryClientProvider client={client}>{element}</QueryClientProvider>);
}

const command = (root: HTMLElement) => root.querySelector('.command code')?.textContent;

describe('EmptyState', () => {
  it("suggests precompute for the served gallery, store and catalog, and says the password is not shown", () => {
    shown = withServed(OWN, <EmptyState title="No metrics yet" precompute="--models all --per-head --metrics" />);
    expect(command(shown.container)).toBe(
      "precompute --models all --per-head --metrics --images /home/me/photos --store /home/me/attention.zarr --db 'postgresql://me:***@db.local/attention'",
    );
    expect(shown.container.textContent).toMatch(/password .* not shown/);
  });

  it('suggests the plain command on the sample gallery (precompute’s defaults)', () => {
    shown = withServed({ ...OWN, precompute_flags: '', password_hidden: false }, <EmptyState title="No maps" precompute="--models all --per-head" />);
    expect(command(shown.container)).toBe('precompute --models all --per-head');
    expect(shown.container.textContent).not.toMatch(/password/);
  });

  it('shows a static icon, never the dotted ring that reads as a spinner; a broken file gets a warning sign', () => {
    shown = withServed(null, <EmptyState title="Nothing" />);
    const icon = () => shown!.container.querySelector('.state-icon')!;
    expect(icon().textContent).not.toMatch(/[◌○◍◎]/);
    expect(icon().getAttribute('data-icon')).toBe('empty');
    shown.unmount();
    shown = withServed(null, <EmptyState title="precompute could not use x" icon="broken" />);
    expect(icon().textContent).toBe('!');
    expect(shown.container.querySelector('.state')!.className).toContain('state-icon-broken');
  });
});
