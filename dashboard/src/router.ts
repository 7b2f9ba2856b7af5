import { useEffect, useState } from 'preact/hooks';

/** Hash routes (`#/rollouts/ro_1?tab=x`), so any static server (and the server's SPA fallback) works. */
export interface Route {
  /** Path segments, decoded: `#/devices/st-1` → ['devices', 'st-1']. */
  parts: string[];
  query: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#/, '');
  const [path = '', search = ''] = text.split('?', 2);
  const parts = path
    .split('/')
    .filter((p) => p.length > 0)
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p;
      }
    });
  return { parts, query: new URLSearchParams(search) };
}

/** Builds a hash link: `href('devices', id)` → `#/devices/<id>`; `query` entries that are empty are left out. */
export function href(...parts: (string | Record<string, string | undefined>)[]): string {
  const segments: string[] = [];
  const params = new URLSearchParams();
  for (const part of parts) {
    if (typeof part === 'string') segments.push(encodeURIComponent(part));
    else for (const [k, v] of Object.entries(part)) if (v) params.set(k, v);
  }
  const search = params.toString();
  return `#/${segments.join('/')}${search ? `?${search}` : ''}`;
}

export function navigate(link: string): void {
  window.location.hash = link.replace(/^#/, '');
}

/** The current route, updated on every hash change. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
