import { App as AntApp } from 'antd';
import { useMemo, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Outlet, Route, Routes, useLocation } from 'react-router';
import { ApiProvider } from './api/api-context';
import { createHttpClient, createModelyardApi, type ModelyardApi } from './api/client';
import { AuditPage } from './audit/audit.page';
import { CurrentUserGate } from './auth/current-user';
import { RequirePermission } from './auth/require-permission';
import { readStoredToken, SessionProvider, useSession } from './auth/session';
import { SignInPage } from './auth/sign-in.page';
import { I18nProvider, type Language } from './i18n/i18n';
import { TeamsPage } from './identity/teams.page';
import { UsersPage } from './identity/users.page';
import { AppLayout } from './layout/app-layout';
import { ModelDetailPage } from './models/model-detail.page';
import { ModelListPage } from './models/model-list.page';
import { TokensPage } from './tokens/tokens.page';

/** The real API client, bound to the session: its token on every request, and a 401 ends the session. */
function SessionApi({ children }: { children: ReactNode }) {
  const { signOut } = useSession();
  // The session writes the token to sessionStorage before it re-renders: reading it there is never stale.
  const api = useMemo(
    () =>
      createModelyardApi(
        createHttpClient({
          getToken: readStoredToken,
          // Only a signed-in session can expire; a wrong token typed on the sign-in page is just refused.
          onUnauthorized: () => {
            if (readStoredToken()) signOut('expired');
          },
        }),
      ),
    [signOut],
  );
  return <ApiProvider api={api}>{children}</ApiProvider>;
}

function RequireSession() {
  const { token } = useSession();
  const location = useLocation();
  if (!token) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/sign-in${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`} replace />;
  }
  return <Outlet />;
}

export function ConsoleRoutes() {
  return (
    <Routes>
      <Route path="/sign-in" element={<SignInPage />} />
      <Route element={<RequireSession />}>
        <Route element={<CurrentUserGate />}>
          <Route element={<AppLayout />}>
            <Route path="/models" element={<ModelListPage />} />
            <Route path="/models/:id" element={<ModelDetailPage />} />
            <Route path="/tokens" element={<RequirePermission permission="tokens.own"><TokensPage /></RequirePermission>} />
            <Route path="/users" element={<RequirePermission permission="users.manage"><UsersPage /></RequirePermission>} />
            <Route path="/teams" element={<RequirePermission permission="users.manage"><TeamsPage /></RequirePermission>} />
            <Route path="/audit" element={<RequirePermission permission="audit.read"><AuditPage /></RequirePermission>} />
          </Route>
        </Route>
      </Route>
      <Route path="*" element={<Navigate to="/models" replace />} />
    </Routes>
  );
}

/** Providers around the routes. Tests pass their own `api` (and a fixed language). */
export function ConsoleProviders({ children, api, language }: { children: ReactNode; api?: ModelyardApi; language?: Language }) {
  return (
    <I18nProvider language={language}>
      <AntApp>
        <SessionProvider>{api ? <ApiProvider api={api}>{children}</ApiProvider> : <SessionApi>{children}</SessionApi>}</SessionProvider>
      </AntApp>
    </I18nProvider>
  );
}

export function ConsoleApp() {
  return (
    <ConsoleProviders>
      <BrowserRouter>
        <ConsoleRoutes />
      </BrowserRouter>
    </ConsoleProviders>
  );
}
