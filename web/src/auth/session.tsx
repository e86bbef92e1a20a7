import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';

/** Kept for the browser tab's session only: closing the tab signs out, and no other site or tab reads it. */
const TOKEN_KEY = 'modelyard.token';

export type SignOutReason = 'user' | 'expired';

interface SessionValue {
  token: string | null;
  /** Why the last session ended, shown on the sign-in page. */
  endedBecause: SignOutReason | null;
  signIn(token: string): void;
  signOut(reason?: SignOutReason): void;
}

const SessionContext = createContext<SessionValue | null>(null);

export function readStoredToken(): string | null {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [token, setToken] = useState<string | null>(readStoredToken);
  const [endedBecause, setEndedBecause] = useState<SignOutReason | null>(null);
  const signIn = useCallback((next: string) => {
    window.sessionStorage.setItem(TOKEN_KEY, next);
    setEndedBecause(null);
    setToken(next);
  }, []);
  const signOut = useCallback((reason: SignOutReason = 'user') => {
    window.sessionStorage.removeItem(TOKEN_KEY);
    setEndedBecause(reason);
    setToken(null);
  }, []);
  const value = useMemo(() => ({ token, endedBecause, signIn, signOut }), [token, endedBecause, signIn, signOut]);
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession() outside <SessionProvider>');
  return value;
}
