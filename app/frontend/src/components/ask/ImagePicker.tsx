import { useEffect, useState } from 'react';
import { urls } from '../../api/client';
import { useImages } from '../../api/hooks';

/** What the job is about: a file to upload, or an image already in the gallery. */
export interface ImageChoice {
  file: File | null;
  imageId: string | null;
}

/** The first image file of a drop (or null: nothing that calls itself an image). */
export function droppedImage(files: FileList | null | undefined): File | null {
  for (const file of Array.from(files ?? [])) if (file.type === '' || file.type.startsWith('image/')) return file;
  return null;
}

function FilePreview({ file }: { file: File }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (typeof URL.createObjectURL !== 'function') return;
    const next = URL.createObjectURL(file);
    setUrl(next);
    return () => URL.revokeObjectURL(next);
  }, [file]);
  return url ? <img src={url} alt={file.name} className="ask-preview-img" /> : null;
}

/** A search of the gallery with a few thumbnails to pick from. */
function GalleryChoice({ chosen, onChoose }: { chosen: string | null; onChoose: (imageId: string) => void }) {
  const [q, setQ] = useState('');
  const images = useImages(q, 0, 8);
  return (
    <div className="ask-gallery-choice">
      <input
        type="search"
        placeholder="…or search the gallery"
        aria-label="Search the gallery for an image"
        value={q}
        onChange={(event) => setQ(event.target.value)}
        data-testid="ask-gallery-search"
      />
      <div className="ask-thumbs">
        {images.data?.items.map((image) => (
          <button
            key={image.id}
            type="button"
            className={`ask-thumb${chosen === image.id ? ' active' : ''}`}
            title={image.id}
            aria-pressed={chosen === image.id}
            onClick={() => onChoose(image.id)}
            data-testid="ask-gallery-image"
            data-id={image.id}
          >
            <img src={urls.thumbnail(image.id, 160)} alt={image.id} loading="lazy" />
          </button>
        ))}
      </div>
    </div>
  );
}

/** The image of a job: drop a file, choose one with the file picker, or pick a gallery image. */
export function ImagePicker({ value, onChange }: { value: ImageChoice; onChange: (value: ImageChoice) => void }) {
  const [over, setOver] = useState(false);
  const take = (files: FileList | null | undefined) => {
    const file = droppedImage(files);
    if (file !== null) onChange({ file, imageId: null });
  };
  return (
    <fieldset className="ask-field">
      <legend>Image</legend>
      <label
        className={`ask-drop${over ? ' over' : ''}`}
        data-testid="ask-drop"
        onDragOver={(event) => {
          event.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(event) => {
          event.preventDefault();
          setOver(false);
          take(event.dataTransfer?.files);
        }}
      >
        <input type="file" accept="image/*" className="ask-file-input" onChange={(event) => take(event.target.files)} data-testid="ask-file" />
        {value.file !== null ? (
          <span className="ask-preview">
            <FilePreview file={value.file} />
            <span data-testid="ask-chosen">{value.file.name}</span>
          </span>
        ) : value.imageId !== null ? (
          <span className="ask-preview">
            <img src={urls.thumbnail(value.imageId, 160)} alt={value.imageId} className="ask-preview-img" />
            <span data-testid="ask-chosen">{value.imageId} (gallery)</span>
          </span>
        ) : (
          <span className="muted">Drop an image here, or click to choose a file</span>
        )}
      </label>
      <GalleryChoice chosen={value.imageId} onChoose={(imageId) => onChange({ file: null, imageId })} />
    </fieldset>
  );
}
