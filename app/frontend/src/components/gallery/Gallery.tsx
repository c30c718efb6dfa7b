import './Gallery.css';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { prefetchImages, useImages, useModels, useServed } from '../../api/hooks';
import { isImageModel } from '../../api/texts';
import { precomputeCommand } from '../../lib/commands';
import { ImageCard } from './ImageCard';
import { EmptyState, ErrorState, Loading } from '../StatusViews';

export const PAGE_SIZE = 60;

function SearchBox({ value, onChange }: { value: string; onChange: (q: string) => void }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = setTimeout(() => onChange(text), 250);
    return () => clearTimeout(timer);
  }, [text, value, onChange]);
  return (
    <input
      type="search"
      className="search"
      placeholder="Search images by name…"
      aria-label="Search images by name"
      value={text}
      onChange={(event) => setText(event.target.value)}
      data-testid="search"
    />
  );
}

function Pager({ page, pages, onPage }: { page: number; pages: number; onPage: (page: number) => void }) {
  if (pages <= 1) return null;
  return (
    <nav className="pager" aria-label="Pages" data-testid="pager">
      <button type="button" className="button" disabled={page <= 0} onClick={() => onPage(0)} aria-label="First page">
        «
      </button>
      <button type="button" className="button" disabled={page <= 0} onClick={() => onPage(page - 1)} data-testid="prev-page">
        ‹ Previous
      </button>
      <span className="pager-label">
        Page{' '}
        <input
          type="number"
          min={1}
          max={pages}
          value={page + 1}
          onChange={(event) => {
            const n = Number(event.target.value);
            if (Number.isInteger(n) && n >= 1 && n <= pages) onPage(n - 1);
          }}
          aria-label="Page number"
        />{' '}
        of {pages}
      </span>
      <button type="button" className="button" disabled={page >= pages - 1} onClick={() => onPage(page + 1)} data-testid="next-page">
        Next ›
      </button>
      <button type="button" className="button" disabled={page >= pages - 1} onClick={() => onPage(pages - 1)} aria-label="Last page">
        »
      </button>
    </nav>
  );
}

/** Thumbnails of the gallery, a page at a time (the API pages; the next page is prefetched). */
export function Gallery({ q, page, onQuery, onPage }: { q: string; page: number; onQuery: (q: string) => void; onPage: (page: number) => void }) {
  const images = useImages(q, page, PAGE_SIZE);
  const models = useModels();
  const served = useServed();
  const precompute = precomputeCommand(served.data, '--models all --per-head');
  const client = useQueryClient();
  const total = images.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  useEffect(() => {
    if (page + 1 < pages) void prefetchImages(client, q, page + 1, PAGE_SIZE);
  }, [client, q, page, pages]);

  let body;
  if (images.isPending) body = <Loading label="Loading the gallery…" />;
  else if (images.isError) body = <ErrorState error={images.error} onRetry={() => void images.refetch()} />;
  else if (total === 0 && q)
    body = (
      <EmptyState title={`No image matches “${q}”`}>
        <button type="button" className="button" onClick={() => onQuery('')}>
          Clear the search
        </button>
      </EmptyState>
    );
  else if (total === 0)
    body = (
      <EmptyState title="The gallery is empty" precompute="--models all --per-head">
        <p>
          No images in the catalog yet. Precompute finds the images in the served gallery folder
          {served.data ? (
            <>
              {' '}
              <code>{served.data.images}</code>
            </>
          ) : null}{' '}
          (<code>SSL_ATTENTION_IMAGES</code>, default <code>data/samples</code>) and computes their maps; <code>./dev.sh</code> does
          it for the sample gallery.
        </p>
      </EmptyState>
    );
  else if (page >= pages)
    body = (
      <EmptyState title="No such page">
        <button type="button" className="button" onClick={() => onPage(0)}>
          Go to the first page
        </button>
      </EmptyState>
    );
  else {
    const start = page * PAGE_SIZE;
    body = (
      <>
        <div className="gallery-grid" data-testid="gallery-grid" aria-busy={images.isPlaceholderData}>
          {images.data.items.map((image) => (
            <ImageCard key={image.id} image={image} totalModels={models.data?.models.filter(isImageModel).length ?? image.models.length} />
          ))}
        </div>
        <div className="gallery-footer">
          <span className="muted" data-testid="gallery-count">
            {(start + 1).toLocaleString('en')}–{Math.min(total, start + images.data.items.length).toLocaleString('en')} of{' '}
            {total.toLocaleString('en')} images
          </span>
          <Pager page={page} pages={pages} onPage={onPage} />
        </div>
      </>
    );
  }
  const noModels = models.data !== undefined && models.data.models.filter(isImageModel).length === 0 && total > 0;
  return (
    <div className="gallery">
      <div className="gallery-toolbar">
        <h1>Gallery</h1>
        <SearchBox value={q} onChange={onQuery} />
        {images.data !== undefined && <span className="muted">{total.toLocaleString('en')} images</span>}
      </div>
      {noModels && (
        <div className="notice" role="status">
          No attention maps are precomputed yet: run <code>{precompute}</code>.
        </div>
      )}
      {body}
    </div>
  );
}
