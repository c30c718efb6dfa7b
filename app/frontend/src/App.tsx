import './App.css';
import { Route, Routes, useLocation } from 'react-router';
import { AppHeader } from './components/AppHeader';
import { ErrorBoundary } from './components/ErrorBoundary';
import { AskPage } from './pages/AskPage';
import { DashboardPage } from './pages/DashboardPage';
import { GalleryPage } from './pages/GalleryPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { TextsPage } from './pages/TextsPage';
import { ViewerPage } from './pages/ViewerPage';

export function App() {
  const { pathname } = useLocation();
  return (
    <div className="app">
      <AppHeader />
      <div className="app-content">
        <ErrorBoundary key={pathname}>
          <Routes>
            <Route path="/" element={<GalleryPage />} />
            <Route path="/view/:imageId" element={<ViewerPage />} />
            <Route path="/dashboard" element={<DashboardPage />} />
            <Route path="/ask" element={<AskPage />} />
            <Route path="/text" element={<TextsPage />} />
            <Route path="*" element={<NotFoundPage />} />
          </Routes>
        </ErrorBoundary>
      </div>
    </div>
  );
}
