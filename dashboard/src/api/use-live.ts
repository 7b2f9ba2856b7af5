import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { type EventKind, subscribeEvents } from './events';

/** What a page shows for one fetch: the last data, the last error, and whether a load is in flight. */
export interface Resource<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  /** Updated at every successful load (live refreshes included). */
  loadedAt: number | null;
  reload: () => void;
}

const DEBOUNCE_MS = 400;

/**
 * Loads `load()` when `deps` change and again, debounced, on server events of `kinds` (or the polling
 * fallback), keeping the previous data on screen while a refresh runs.
 */
export function useLive<T>(
  load: () => Promise<T>,
  deps: unknown[],
  kinds: readonly EventKind[] = [],
): Resource<T> {
  const [state, setState] = useState<Omit<Resource<T>, 'reload'>>({
    data: null,
    error: null,
    loading: true,
    loadedAt: null,
  });
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;

  const run = useCallback((fresh: boolean) => {
    const mine = ++generation.current;
    if (fresh) setState({ data: null, error: null, loading: true, loadedAt: null });
    else setState((s) => ({ ...s, loading: true }));
    loadRef.current().then(
      (data) => {
        if (mine === generation.current)
          setState({ data, error: null, loading: false, loadedAt: Date.now() });
      },
      (error: Error) => {
        if (mine === generation.current) setState((s) => ({ ...s, error, loading: false }));
      },
    );
  }, []);

  useEffect(() => run(true), deps);

  const kindsKey = kinds.join(',');
  useEffect(() => {
    if (kinds.length === 0) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = subscribeEvents(kinds, () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        run(false);
      }, DEBOUNCE_MS);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [kindsKey, run]);

  return { ...state, reload: () => run(false) };
}
