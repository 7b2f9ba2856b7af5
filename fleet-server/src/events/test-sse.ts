import { waitFor } from '../mqtt/test-clients';

// A minimal SSE reader over fetch streaming, as the dashboard reads the stream (tests only).

/** One parsed server-sent event (`comment` for `:` lines). */
export interface SseMessage {
  event: string;
  data: unknown;
}

/** An open stream collecting every event it reads. */
export interface SseReader {
  status: number;
  headers: Headers;
  events: SseMessage[];
  comments: string[];
  /** Resolves when the server ended the stream (or it failed). */
  ended: Promise<'closed' | 'error'>;
  waitFor(predicate: (e: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  close(): void;
}

/** Opens `url` and parses its `text/event-stream` body as it arrives. */
export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  const events: SseMessage[] = [];
  const comments: string[] = [];
  const ended = (async (): Promise<'closed' | 'error'> => {
    if (!res.body) return 'closed';
    const decoder = new TextDecoder();
    let buffer = '';
    const body = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await body.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) events.push({ event, data: JSON.parse(data) });
          end = buffer.indexOf('\n\n');
        }
      }
      return 'closed';
    } catch {
      return 'error';
    }
  })();
  return {
    status: res.status,
    headers: res.headers,
    events,
    comments,
    ended,
    async waitFor(predicate, timeoutMs = 10_000) {
      await waitFor(() => events.some(predicate), timeoutMs);
      return events.find(predicate)!;
    },
    close: () => abort.abort(),
  };
}
