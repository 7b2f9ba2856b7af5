import type { Context, Hono } from 'hono';
import { STATION_SCRIPT } from './client';
import { STATION_CSS, STATION_HTML } from './page';

/**
 * Only this agent's own files, nothing inline, no framing: a page of another site cannot frame the station and
 * steer an operator's Enter presses (clickjacking), and nothing injected into the page could run.
 */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
  'cross-origin-resource-policy': 'same-origin',
} as const;

const send = (c: Context, body: string, type: string) =>
  c.body(body, 200, { ...SECURITY_HEADERS, 'content-type': `${type}; charset=utf-8` });

/**
 * The station page (`GET /station`): the operator's review queue in a browser on the station, served by the agent
 * itself (works with the fleet server unreachable and no internet). It reads and labels through the local API
 * (`/v1/review`), behind the same host/origin check.
 */
export function addStationRoutes(app: Hono): void {
  app.get('/station', (c) => send(c, STATION_HTML, 'text/html'));
  app.get('/station/station.js', (c) => send(c, STATION_SCRIPT, 'text/javascript'));
  app.get('/station/station.css', (c) => send(c, STATION_CSS, 'text/css'));
}
