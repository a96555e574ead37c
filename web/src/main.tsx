// Entry point: i18n, react-query, the router, toasts, then the routes.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { QueryClientProvider } from '@tanstack/react-query';
import './i18n';
import './styles.css';
import { createQueryClient } from './api/queries';
import { App } from './App';
import { ToastProvider } from './components/Toast';
import { registerServiceWorker } from './lib/notifications';

const queryClient = createQueryClient();
registerServiceWorker();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <ToastProvider>
          <App />
        </ToastProvider>
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
