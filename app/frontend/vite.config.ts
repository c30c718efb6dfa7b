/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In development (`npm run dev`) the API runs separately (`uvicorn app.backend.main:app --port 8000`);
// these are its path prefixes, proxied so the app talks to one origin exactly as in production.
const API = process.env.SSL_ATTENTION_API ?? 'http://127.0.0.1:8000';
const API_PREFIXES = ['/health', '/models', '/served', '/images', '/attention', '/metrics', '/jobs', '/texts', '/docs', '/redoc', '/openapi.json'];

export default defineConfig({
  plugins: [react()],
  server: {
    port: 5173,
    proxy: Object.fromEntries(API_PREFIXES.map((prefix) => [prefix, { target: API, changeOrigin: false }])),
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 800,
  },
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    environment: 'node',
  },
});
