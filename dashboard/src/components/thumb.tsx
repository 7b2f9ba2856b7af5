import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client';

/**
 * A sample's thumbnail, fetched (with the admin token in a header) only once it scrolls near the view, shown
 * from an object URL that is released when the tile goes away.
 */
export function Thumb({ sha256, alt }: { sha256: string; alt: string }) {
  const box = useRef<HTMLDivElement>(null);
  const [visible, setVisible] = useState(false);
  const [url, setUrl] = useState<string | null>(null);
  const [failed, setFailed] = useState<string | null>(null);

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    if (typeof IntersectionObserver === 'undefined') {
      setVisible(true);
      return;
    }
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) {
          setVisible(true);
          observer.disconnect();
        }
      },
      { rootMargin: '200px' },
    );
    observer.observe(el);
    return () => observer.disconnect();
  }, []);

  useEffect(() => {
    if (!visible) return;
    const abort = new AbortController();
    let made: string | null = null;
    api.sampleThumb(sha256, abort.signal).then(
      (blob) => {
        made = URL.createObjectURL(blob);
        setUrl(made);
      },
      (error: Error) => {
        if (!abort.signal.aborted) setFailed(error.message);
      },
    );
    return () => {
      abort.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [visible, sha256]);

  return (
    <div class="thumb" ref={box}>
      {url ? (
        <img src={url} alt={alt} />
      ) : (
        <span class="muted small" title={failed ?? undefined}>
          {failed ? 'no preview' : '…'}
        </span>
      )}
    </div>
  );
}
