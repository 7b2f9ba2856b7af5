import { statSync } from 'node:fs';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { FleetDatabase } from '../db';

/** Prometheus metrics of one server instance; other parts (mqtt/, telemetry/) register theirs on `registry`. */
export interface FleetMetrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpDurationS: Histogram<'method' | 'route'>;
}

/**
 * A counter whose value is read from a stats object when Prometheus scrapes (the parts keep plain counters, the
 * registry reads them): `read` returns `[labels, value]` pairs; zeros are left out.
 */
export function counterFrom<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => [Partial<Record<L, string>>, number][],
): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const [labels, value] of read()) if (value > 0) this.inc(labels as Record<L, string>, value);
    },
  });
}

/** Creates the registry with process, HTTP and database figures; one registry per instance (tests run several). */
export function createMetrics(database: FleetDatabase): FleetMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'edgefleet_' });
  const httpRequests = new Counter({
    name: 'edgefleet_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDurationS = new Histogram({
    name: 'edgefleet_http_request_duration_seconds',
    help: 'HTTP request duration by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  registerDatabaseFigures(registry, database);
  return { registry, httpRequests, httpDurationS };
}

const COUNTED_TABLES = [
  'devices',
  'apps',
  'models',
  'model_versions',
  'artifacts',
  'enrollment_tokens',
] as const;

// Read at scrape time: the figures stay exact without hooks in every write path.
function registerDatabaseFigures(registry: Registry, database: FleetDatabase): void {
  new Gauge({
    name: 'edgefleet_db_rows',
    help: 'Rows per table',
    labelNames: ['table'] as const,
    registers: [registry],
    collect() {
      if (!database.sqlite.open) return;
      for (const table of COUNTED_TABLES) {
        const row = database.sqlite.prepare(`select count(*) as n from ${table}`).get() as { n: number };
        this.set({ table }, row.n);
      }
    },
  });
  new Gauge({
    name: 'edgefleet_db_file_bytes',
    help: 'Size of the SQLite file and its WAL',
    labelNames: ['file'] as const,
    registers: [registry],
    collect() {
      for (const [file, path] of [
        ['db', database.path],
        ['wal', `${database.path}-wal`],
      ] as const) {
        try {
          this.set({ file }, statSync(path).size);
        } catch {
          this.set({ file }, 0);
        }
      }
    },
  });
  new Gauge({
    name: 'edgefleet_devices_online',
    help: 'Devices whose presence is online',
    registers: [registry],
    collect() {
      if (!database.sqlite.open) return;
      const row = database.sqlite.prepare('select count(*) as n from devices where online = 1').get() as {
        n: number;
      };
      this.set(row.n);
    },
  });
}
