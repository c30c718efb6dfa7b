import { useCallback, useMemo } from 'react';
import { useSearchParams } from 'react-router';
import { parseDashboardParams, serializeDashboardParams, type DashboardParams } from './dashboardParams';

export type DashboardUpdate = (patch: Partial<DashboardParams>, options?: { replace?: boolean }) => void;

/**
 * The dashboard's state lives in the URL alone (no store): every change is a navigation, so
 * links, back and forward just work. Changes that leave the canonical query unchanged do nothing.
 */
export function useDashboardParams(): [DashboardParams, DashboardUpdate] {
  const [search, setSearch] = useSearchParams();
  const key = search.toString();
  const params = useMemo(() => parseDashboardParams(key), [key]);
  const update = useCallback<DashboardUpdate>(
    (patch, options) => {
      const current = parseDashboardParams(window.location.search);
      const next = serializeDashboardParams({ ...current, ...patch });
      if (next === serializeDashboardParams(current) && next === window.location.search.replace(/^\?/, '')) return;
      setSearch(next, { replace: options?.replace ?? false });
    },
    [setSearch],
  );
  return [params, update];
}
