import { useCallback, useEffect } from 'react';
import { useSearchParams } from 'react-router';
import { GalleryDrop } from '../components/ask/GalleryDrop';
import { Gallery } from '../components/gallery/Gallery';

/** `/?q=cat&page=2`: the search and the page are in the URL too. An image file dropped on it opens Ask. */
export function GalleryPage() {
  const [search, setSearch] = useSearchParams();
  const q = (search.get('q') ?? '').slice(0, 200);
  const pageParam = Number.parseInt(search.get('page') ?? '1', 10);
  const page = Number.isInteger(pageParam) && pageParam >= 1 ? pageParam - 1 : 0;
  useEffect(() => {
    document.title = q ? `“${q}” · gallery — ssl-attention` : 'Gallery — ssl-attention';
  }, [q]);
  const onQuery = useCallback(
    (next: string) => {
      const params = new URLSearchParams();
      if (next) params.set('q', next);
      setSearch(params, { replace: true });
    },
    [setSearch],
  );
  const onPage = useCallback(
    (next: number) => {
      const params = new URLSearchParams();
      if (q) params.set('q', q);
      if (next > 0) params.set('page', String(next + 1));
      setSearch(params);
      window.scrollTo({ top: 0 });
    },
    [q, setSearch],
  );
  return (
    <GalleryDrop>
      <Gallery q={q} page={page} onQuery={onQuery} onPage={onPage} />
    </GalleryDrop>
  );
}
