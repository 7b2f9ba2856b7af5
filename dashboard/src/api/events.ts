import type { FleetEvent } from '@edgefleet/shared/api';
import { API_BASE } from './client';
import { getToken } from './session';

/** Kinds of server events the pages refresh on; `poll` is the 10 s fallback tick when the stream is down. */
export type EventKind = FleetEvent['type'] | 'poll';
export type LiveMode = 'connecting' | 'live' | 'polling' | 'off';

export interface ServerEvent {
  kind: EventKind;
  /** The event's `data` as sent, unchecked (pages only refresh on it); null for `poll`. */
  data: unknown;
}

type Listener = (event: ServerEvent) => void;

const POLL_MS = 10_000;
const KINDS = new Set<EventKind>(['rollout', 'telemetry', 'device', 'alert']);

const listeners = new Set<Listener>();
const modeListeners = new Set<(mode: LiveMode) => void>();
let mode: LiveMode = 'off';
let abort: AbortController | null = null;
let pollTimer: ReturnType<typeof setInterval> | null = null;
let retryTimer: ReturnType<typeof setTimeout> | null = null;
let retryMs = 2_000;

function setMode(next: LiveMode): void {
  mode = next;
  for (const listener of modeListeners) listener(next);
}

function emit(event: ServerEvent): void {
  for (const listener of listeners) listener(event);
}

/** Parses `text/event-stream` blocks (`event:` / `data:` lines, blank-line separated); returns the unparsed rest. */
export function parseEventBlocks(buffer: string, onEvent: (name: string, data: string) => void): string {
  const blocks = buffer.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let name = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') name = value || 'message';
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0 || name !== 'message') onEvent(name, data.join('\n'));
  }
  return rest;
}

function startPolling(): void {
  if (pollTimer) return;
  setMode('polling');
  pollTimer = setInterval(() => emit({ kind: 'poll', data: null }), POLL_MS);
}

function stopPolling(): void {
  if (pollTimer) clearInterval(pollTimer);
  pollTimer = null;
}

function scheduleRetry(): void {
  startPolling();
  if (retryTimer) return;
  retryTimer = setTimeout(() => {
    retryTimer = null;
    void connect();
  }, retryMs);
  retryMs = Math.min(retryMs * 2, 60_000);
}

async function connect(): Promise<void> {
  const token = getToken();
  if (!token) return;
  abort?.abort();
  const controller = new AbortController();
  abort = controller;
  if (mode === 'off') setMode('connecting');
  try {
    const res = await fetch(`${API_BASE}/events`, {
      headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
      signal: controller.signal,
      cache: 'no-store',
    });
    if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
    stopPolling();
    retryMs = 2_000;
    setMode('live');
    // Whatever changed while the stream was down is picked up once.
    emit({ kind: 'poll', data: null });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer = parseEventBlocks(buffer + value, (name, text) => {
        if (!KINDS.has(name as EventKind)) return;
        let data: unknown = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch {
          data = text;
        }
        emit({ kind: name as EventKind, data });
      });
      if (buffer.length > 1_000_000) buffer = ''; // a server that never ends a block must not eat memory
    }
    throw new Error('stream ended');
  } catch {
    if (controller.signal.aborted) return;
    scheduleRetry();
  }
}

/** Starts the event stream (after login); falls back to polling every 10 s while it is down. */
export function startLiveEvents(): void {
  if (abort && !abort.signal.aborted) return;
  void connect();
}

/** Stops the stream and the polling (logout). */
export function stopLiveEvents(): void {
  abort?.abort();
  abort = null;
  stopPolling();
  if (retryTimer) clearTimeout(retryTimer);
  retryTimer = null;
  setMode('off');
}

/** Calls `listener` for server events of the given kinds (and every `poll` tick). */
export function subscribeEvents(kinds: readonly EventKind[], listener: Listener): () => void {
  const wrapped: Listener = (event) => {
    if (event.kind === 'poll' || kinds.includes(event.kind)) listener(event);
  };
  listeners.add(wrapped);
  return () => listeners.delete(wrapped);
}

/** The stream's state, for the header indicator. */
export function liveMode(): LiveMode {
  return mode;
}

export function onLiveModeChange(listener: (mode: LiveMode) => void): () => void {
  modeListeners.add(listener);
  return () => modeListeners.delete(listener);
}
