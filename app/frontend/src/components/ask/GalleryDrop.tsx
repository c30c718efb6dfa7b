import './Ask.css';
import { useState, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { useAskStore } from '../../state/askStore';
import { droppedImage } from './ImagePicker';

/** Wraps the gallery: an image file dropped on it opens the Ask panel with that file. */
export function GalleryDrop({ children }: { children: ReactNode }) {
  const navigate = useNavigate();
  const setPendingFile = useAskStore((s) => s.setPendingFile);
  const [over, setOver] = useState(false);
  const files = (event: React.DragEvent) => Array.from(event.dataTransfer?.types ?? []).includes('Files');
  return (
    <div
      className={`gallery-drop${over ? ' over' : ''}`}
      data-testid="gallery-drop"
      onDragOver={(event) => {
        if (!files(event)) return;
        event.preventDefault();
        setOver(true);
      }}
      onDragLeave={(event) => {
        if (event.currentTarget === event.target) setOver(false);
      }}
      onDrop={(event) => {
        const file = droppedImage(event.dataTransfer?.files);
        setOver(false);
        if (file === null) return;
        event.preventDefault();
        setPendingFile(file);
        void navigate('/ask');
      }}
    >
      {over && (
        <div className="gallery-drop-hint" aria-hidden="true">
          Drop the image to ask about it
        </div>
      )}
      {children}
    </div>
  );
}
