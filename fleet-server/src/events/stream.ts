import type { EventBus, FleetEvent } from './bus';

/** Limits of the SSE streams of one server. */
export interface EventStreamOptions {
  /** Streams open at once; {@link EventStreams.open} returns null past it. */
  maxStreams: number;
  /** Bytes waiting for one slow client before it is dropped. Default 1 MiB (a burst of a few thousand events). */
  maxQueuedBytes?: number;
  /** Comment heartbeat interval (keeps proxies and the client's read loop alive). Default 15 s. */
  heartbeatMs?: number;
}

const encoder = new TextEncoder();

/** One event in SSE wire format: `event:` line, one `data:` line of JSON, blank line. */
export function formatSseEvent(event: FleetEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

interface Stream {
  /** The admin token the stream was opened with: revoking it ends the stream. */
  owner: string | undefined;
  controller: ReadableStreamDefaultController<Uint8Array>;
  queue: string[];
  queuedBytes: number;
  close(reason: 'client' | 'slow' | 'server'): void;
}

/**
 * The open `/events` streams: each is a pull-driven ReadableStream fed from the bus through a bounded queue.
 * The HTTP adapter pulls only when the socket drained, so a client that reads too slowly lets its queue fill
 * and is dropped (its stream errors, the socket is destroyed) instead of being buffered without end.
 */
export class EventStreams {
  readonly stats = { opened: 0, refused: 0, droppedSlow: 0 };
  private readonly streams = new Set<Stream>();
  private readonly maxQueuedBytes: number;
  private readonly heartbeatMs: number;
  private heartbeat: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly bus: EventBus,
    private readonly options: EventStreamOptions,
  ) {
    this.maxQueuedBytes = options.maxQueuedBytes ?? 1024 * 1024;
    this.heartbeatMs = options.heartbeatMs ?? 15_000;
  }

  /** Streams open now. */
  get size(): number {
    return this.streams.size;
  }

  /**
   * A new stream (starting with a `retry` hint and a comment), or null when the cap is reached. `drop` ends the
   * connection of a client dropped for reading too slowly (the HTTP route destroys its socket); without it the
   * stream errors.
   */
  open(drop?: () => void, owner?: string): ReadableStream<Uint8Array> | null {
    if (this.streams.size >= this.options.maxStreams) {
      this.stats.refused++;
      return null;
    }
    let stream: Stream | null = null;
    const body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          const entry: Stream = {
            owner,
            controller,
            queue: ['retry: 3000\n: connected\n\n'],
            queuedBytes: 0,
            close: (reason) => {
              if (!this.streams.delete(entry)) return;
              if (reason === 'slow') {
                this.stats.droppedSlow++;
                if (drop) drop();
                else controller.error(new Error('event stream dropped: client reads too slowly'));
              } else if (reason === 'server') {
                try {
                  controller.close();
                } catch {
                  // already closed by the client
                }
              }
              this.waiting.get(entry)?.();
              this.stopWhenIdle();
            },
          };
          stream = entry;
          this.streams.add(entry);
          this.stats.opened++;
          this.startWhenFirst();
        },
        pull: (controller) => {
          if (!stream) return;
          const chunk = this.take(stream);
          if (chunk !== undefined) controller.enqueue(encoder.encode(chunk));
          else return this.waitForChunk(stream, controller);
        },
        cancel: () => stream?.close('client'),
      },
      { highWaterMark: 1 },
    );
    return body;
  }

  /** Ends the streams opened with a revoked admin token; returns how many. */
  closeOwnedBy(owner: string): number {
    const owned = [...this.streams].filter((stream) => stream.owner === owner);
    for (const stream of owned) stream.close('server');
    return owned.length;
  }

  /** Ends every stream (server stop): each client sees a clean end of stream. */
  closeAll(): void {
    for (const stream of [...this.streams]) stream.close('server');
    this.stopWhenIdle();
  }

  private readonly waiting = new Map<Stream, () => void>();

  private waitForChunk(
    stream: Stream,
    controller: ReadableStreamDefaultController<Uint8Array>,
  ): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.set(stream, () => {
        this.waiting.delete(stream);
        const chunk = this.take(stream);
        if (chunk !== undefined && this.streams.has(stream)) controller.enqueue(encoder.encode(chunk));
        resolve();
      });
    });
  }

  private take(stream: Stream): string | undefined {
    const chunk = stream.queue.shift();
    if (chunk !== undefined) stream.queuedBytes -= chunk.length;
    return chunk;
  }

  private push(stream: Stream, chunk: string): void {
    if (stream.queuedBytes + chunk.length > this.maxQueuedBytes) {
      stream.close('slow');
      return;
    }
    stream.queue.push(chunk);
    stream.queuedBytes += chunk.length;
    this.waiting.get(stream)?.();
  }

  private broadcast(chunk: string): void {
    for (const stream of [...this.streams]) this.push(stream, chunk);
  }

  private startWhenFirst(): void {
    if (this.unsubscribe) return;
    this.unsubscribe = this.bus.subscribe((event) => this.broadcast(formatSseEvent(event)));
    this.heartbeat = setInterval(() => this.broadcast(`: heartbeat ${Date.now()}\n\n`), this.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopWhenIdle(): void {
    if (this.streams.size > 0) return;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    for (const wake of [...this.waiting.values()]) wake();
  }
}
