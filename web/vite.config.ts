// Vite builds the app into web/dist, which the kantor binary embeds and serves (any non-/api
// path falls back to index.html). In development, API and health calls go to a local server.
import { defineConfig } from 'vitest/config';

const apiTarget = process.env.KANTOR_DEV_API ?? 'http://127.0.0.1:8080';

export default defineConfig({
  // JSX is compiled by Vite's own transformer (Oxc in Vite 8, automatic runtime): no React
  // plugin needed. (No fast refresh in `npm run dev`: a full reload on change.)
  oxc: { jsx: { runtime: 'automatic' } },
  server: {
    proxy: {
      '/api': { target: apiTarget, ws: true, changeOrigin: false },
      '/healthz': { target: apiTarget },
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
    rolldownOptions: {
      onwarn(warning, warn) {
        // react-query marks files "use client" for server components; meaningless in an SPA.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'scripts/**/*.test.mjs'],
  },
});
