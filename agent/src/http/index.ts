import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { AgentConfig } from '../config';
import type { OperatorFeedback } from '../feedback';
import { DecodeBudget } from '../image/decode';
import type { ServingEngine } from '../serving/engine';
import { createApi } from './app';

/** What `startLocalApi` needs. */
export interface LocalApiDeps {
  config: Pick<
    AgentConfig,
    'httpHost' | 'httpPort' | 'apiAllowedHosts' | 'maxBodyBytes' | 'maxImagePixels' | 'maxDecodeBytes'
  >;
  engine: ServingEngine;
  feedback?: OperatorFeedback;
  /** The agent's status (`GET /status`); the API adds its own `decode` figures. */
  status: () => Record<string, unknown>;
}

/** The local inference API of a running agent. */
export interface LocalApi {
  url: string;
  /** Stops accepting; requests in flight finish first. */
  close(): Promise<void>;
}

/** Starts the station software's inference API on `config.httpHost:httpPort`. */
export async function startLocalApi({ config, engine, feedback, status }: LocalApiDeps): Promise<LocalApi> {
  const decodeBudget = new DecodeBudget(config.maxDecodeBytes ?? 2 * 4 * config.maxImagePixels);
  const app = createApi({
    allowedHosts: config.apiAllowedHosts,
    engine,
    ...(feedback ? { feedback } : {}),
    maxBodyBytes: config.maxBodyBytes,
    maxImagePixels: config.maxImagePixels,
    decodeBudget,
    status: () => ({
      ...status(),
      decode: {
        inFlightBytes: decodeBudget.inFlightBytes,
        maxBytes: decodeBudget.maxBytes,
        maxImagePixels: config.maxImagePixels,
        refused: decodeBudget.refused,
      },
    }),
  });
  const server = await new Promise<Server>((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: config.httpHost, port: config.httpPort }, () =>
      resolve(s as Server),
    );
  });
  return {
    url: `http://${config.httpHost}:${(server.address() as AddressInfo).port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      (server as Server & { closeIdleConnections?: () => void }).closeIdleConnections?.();
      await closed;
    },
  };
}
