import './AppHeader.css';
import { useQuery } from '@tanstack/react-query';
import { Link, NavLink } from 'react-router';
import { api } from '../api/client';
import { useModels } from '../api/hooks';

function StoreStatus() {
  const health = useQuery({ queryKey: ['health'], queryFn: ({ signal }) => api.health(signal), staleTime: 15_000, retry: false });
  const models = useModels();
  if (health.isPending) return null;
  const ok = health.data?.status === 'ok';
  const count = models.data?.models.length;
  const random = models.data?.models.filter((m) => m.weights === 'random').length ?? 0;
  const title = ok
    ? `store ${health.data?.store.url}`
    : (health.data?.store.detail ?? health.data?.catalog.detail ?? (health.error instanceof Error ? health.error.message : 'unavailable'));
  return (
    <span className={`store-status${ok ? '' : ' store-down'}`} title={title ?? undefined} data-testid="store-status">
      <span className="dot" aria-hidden="true" />
      <span className="store-status-text">
        {ok ? `${count ?? '…'} models${random > 0 ? ` · ${random} with random weights` : ''}` : 'store unavailable'}
      </span>
    </span>
  );
}

export function AppHeader() {
  return (
    <header className="app-header">
      <Link to="/" className="brand" aria-label="ssl-attention: gallery">
        <img src="/favicon.svg" alt="" width={22} height={22} />
        <span>ssl-attention</span>
      </Link>
      <nav className="app-nav">
        <NavLink to="/" end>
          Gallery
        </NavLink>
        <NavLink to="/dashboard" data-testid="nav-dashboard">
          Dashboard
        </NavLink>
        <NavLink to="/ask" data-testid="nav-ask">
          Ask
        </NavLink>
        <NavLink to="/text" data-testid="nav-texts">
          Texts
        </NavLink>
        <a href="/docs" target="_blank" rel="noreferrer">
          API docs
        </a>
      </nav>
      <StoreStatus />
    </header>
  );
}
