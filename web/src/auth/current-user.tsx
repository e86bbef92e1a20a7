import { Button, Spin } from 'antd';
import { createContext, useCallback, useContext, useMemo, type ReactNode } from 'react';
import { Outlet } from 'react-router';
import { useApi } from '../api/api-context';
import type { WhoAmI } from '../api/identity-types';
import { ErrorState } from '../common/error-state';
import { useRequest } from '../common/use-request';
import { useI18n } from '../i18n/i18n';
import { allows, type ConsolePermission } from './permissions';
import { useSession } from './session';

interface CurrentUserValue {
  me: WhoAmI;
  can(permission: ConsolePermission): boolean;
}

const CurrentUserContext = createContext<CurrentUserValue | null>(null);

/** Hands `me` to the pages below (the loader below does; tests hand in their own). */
export function CurrentUserProvider({ me, children }: { me: WhoAmI; children: ReactNode }) {
  const value = useMemo(() => ({ me, can: (permission: ConsolePermission) => allows(me, permission) }), [me]);
  return <CurrentUserContext.Provider value={value}>{children}</CurrentUserContext.Provider>;
}

export function useCurrentUser(): CurrentUserValue {
  const value = useContext(CurrentUserContext);
  if (!value) throw new Error('useCurrentUser() outside <CurrentUserProvider>');
  return value;
}

/**
 * Loads who the session's token stands for (GET /auth/me) before any page shows: the menus and
 * actions follow the role. A 401 here ends the session (the API client's handler) like anywhere else.
 */
export function CurrentUserGate() {
  const api = useApi();
  const { token } = useSession();
  const signOut = useSignOut();
  const { t } = useI18n();
  const me = useRequest(`me:${token}`, (signal) => api.whoAmI(undefined, signal));
  if (me.error) {
    return (
      <div style={{ padding: 48, textAlign: 'center' }}>
        <ErrorState error={me.error} onRetry={me.reload} />
        <Button onClick={() => void signOut()}>{t('auth.signOut')}</Button>
      </div>
    );
  }
  if (!me.data) {
    return (
      <div style={{ minHeight: '100vh', display: 'flex', alignItems: 'center', justifyContent: 'center' }}>
        <Spin size="large" aria-label={t('common.loading')} />
      </div>
    );
  }
  return (
    <CurrentUserProvider me={me.data}>
      <Outlet />
    </CurrentUserProvider>
  );
}

/**
 * Signs out: a password session is ended on the server too (POST /auth/logout), so the token stops
 * working at once; an API token stays valid (it is revoked on the tokens page). The console forgets
 * the token whatever the server answers: signing out must always work, even offline.
 */
export function useSignOut(): () => Promise<void> {
  const api = useApi();
  const { signOut } = useSession();
  const current = useContext(CurrentUserContext);
  const via = current?.me.via;
  return useCallback(async () => {
    if (via === 'session') await api.logout().catch(() => undefined);
    signOut('user');
  }, [api, signOut, via]);
}
