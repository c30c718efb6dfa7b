import { Link } from 'react-router';
import { EmptyState } from '../components/StatusViews';

export function NotFoundPage() {
  return (
    <EmptyState title="There is no page here">
      <p>
        <Link to="/">Go to the gallery</Link>
      </p>
    </EmptyState>
  );
}
