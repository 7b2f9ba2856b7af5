// The admin token lives in sessionStorage only: it is gone when the tab closes.

const KEY = 'edgefleet.adminToken';
type Listener = (token: string | null) => void;
const listeners = new Set<Listener>();

/** The admin token of this tab, or null when logged out. */
export function getToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** Stores (or with null, forgets) the token and tells every listener. */
export function setToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(KEY);
  else sessionStorage.setItem(KEY, token);
  for (const listener of listeners) listener(token);
}

/** Calls `listener` on every login and logout; returns the unsubscribe function. */
export function onTokenChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
