// Publisher side of bench/ingest.ts, in a worker thread so the clients do not share the broker's event loop.
// Plain JS so it runs in a worker without a TypeScript loader.
import { parentPort, workerData } from 'node:worker_threads';
import mqtt from 'mqtt';

const { port, fleet, clients, templates, reportsPerClient, window: windowSize } = workerData;
const topic = (id, kind) => `ef/v1/${fleet}/dev/${id}/${kind}`;

/** Payload of report `seq` of `clientId`: a template with its client id and seq filled in. */
const payloadOf = (clientId, seq) =>
  templates[seq % templates.length]
    .replaceAll('"__CLIENT__"', JSON.stringify(clientId))
    .replace('"__SEQ__"', String(seq));

const connections = await Promise.all(
  clients.map(async (id) => {
    const client = await mqtt.connectAsync({
      host: '127.0.0.1',
      port,
      clientId: id,
      username: id,
      password: `token-${id}`,
      protocolVersion: 4,
      reconnectPeriod: 0,
      queueQoSZero: false,
    });
    await client.subscribeAsync(topic(id, 'ack'), { qos: 1 });
    return { id, client, payloads: [] };
  }),
);

let acked = null;

parentPort.on('message', async (message) => {
  if (message.type === 'prepare') {
    // Build the payloads before the clock starts.
    for (const c of connections) {
      c.payloads = Array.from({ length: reportsPerClient }, (_, i) => payloadOf(c.id, message.firstSeq + i));
    }
    parentPort.postMessage({ type: 'prepared' });
    return;
  }
  if (message.type === 'run') {
    const lastSeq = message.firstSeq + reportsPerClient - 1;
    if (message.waitForAcks) {
      let remaining = connections.length;
      acked = new Promise((resolve) => {
        for (const c of connections) {
          const onAck = (_t, payload) => {
            if (JSON.parse(payload.toString()).seq >= lastSeq) {
              c.client.off('message', onAck);
              if (--remaining === 0) resolve();
            }
          };
          c.client.on('message', onAck);
        }
      });
    }
    await Promise.all(
      connections.map(async (c) => {
        // At most `windowSize` QoS 1 publishes in flight per client (a bounded outbox window).
        let next = 0;
        const lanes = Array.from({ length: windowSize }, async () => {
          while (next < c.payloads.length) {
            const payload = c.payloads[next++];
            await c.client.publishAsync(topic(c.id, 'telemetry'), payload, { qos: 1 });
          }
        });
        await Promise.all(lanes);
      }),
    );
    parentPort.postMessage({ type: 'published' });
    if (message.waitForAcks) {
      await acked;
      parentPort.postMessage({ type: 'acked' });
    }
    return;
  }
  if (message.type === 'close') {
    await Promise.all(connections.map((c) => c.client.endAsync(true)));
    parentPort.postMessage({ type: 'closed' });
  }
});

parentPort.postMessage({ type: 'ready' });
