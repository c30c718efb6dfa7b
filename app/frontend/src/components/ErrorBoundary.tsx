import { Component, type ErrorInfo, type ReactNode } from 'react';
import { ErrorState } from './StatusViews';

/** A bug in a view shows its message and a way out instead of a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };

  static getDerivedStateFromError(error: Error) {
    return { error };
  }

  override componentDidCatch(error: Error, info: ErrorInfo) {
    console.error('ssl-attention: a view failed', error, info.componentStack);
  }

  override render() {
    if (this.state.error !== null) {
      return <ErrorState error={this.state.error} onRetry={() => window.location.reload()} />;
    }
    return this.props.children;
  }
}
