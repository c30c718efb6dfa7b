import './Ask.css';
import { Link } from 'react-router';

/** The viewer's way into Ask with the image on screen (`/ask?image=<id>`). */
export function AskAboutLink({ imageId }: { imageId: string }) {
  return (
    <Link to={`/ask?image=${encodeURIComponent(imageId)}`} className="button ask-about" title="Ask models about this image" data-testid="ask-about">
      Ask…
    </Link>
  );
}
