import { createContext, useContext, type ReactNode } from 'react';
import type { ModelyardApi } from './client';

const ApiContext = createContext<ModelyardApi | null>(null);

export function ApiProvider({ api, children }: { api: ModelyardApi; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

export function useApi(): ModelyardApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi() outside <ApiProvider>');
  return api;
}
