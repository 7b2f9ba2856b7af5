// Device side of bench/rollout.ts, in a child process so the clients share neither the server's event loop
// nor its file descriptors (10,000 clients + 10,000 server sockets exceed one process's limit):
// light MQTT clients that apply every desired state (a newer rev) and report it as applied.
// Plain JS so it runs without a TypeScript loader. Started by fork(); gets its work as the first IPC message.
import mqtt from 'mqtt';

const { port, fleet, ids, model } = await new Promise((resolve) => process.once('message', resolve));
const parentPort = { postMessage: (m) => process.send(m), on: (event, fn) => process.on(event, fn) };
const topic = (id, kind) => `ef/v1/${fleet}/dev/${id}/${kind}`;
const version = (ref) => (ref ? { name: model, version: ref.manifest.version } : null);

let applied = 0;
const clients = [];
/** Connects, retrying: thousands of connects on a loaded machine can overflow the listen backlog. */
async function connect(id) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await mqtt.connectAsync({
        host: '127.0.0.1',
        port,
        clientId: id,
        username: id,
        password: 'secret',
        protocolVersion: 4,
        reconnectPeriod: 0,
        queueQoSZero: false,
        connectTimeout: 30_000,
      });
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

for (let i = 0; i < ids.length; i += 100) {
  const batch = await Promise.all(
    ids.slice(i, i + 100).map(async (id) => {
      const client = await connect(id);
      let appliedRev = 0;
      client.on('message', (_topic, payload) => {
        if (payload.length === 0) return;
        const desired = JSON.parse(payload.toString());
        if (desired.rev <= appliedRev) return;
        appliedRev = desired.rev;
        const state = {
          v: 1,
          type: 'state',
          deviceId: id,
          epoch: 1,
          appliedRev,
          agentVersion: 'bench',
          at: Date.now(),
          running: {
            active: version(desired.models.active),
            shadow: version(desired.models.shadow),
            standby: version(desired.models.standby),
          },
          errors: [],
        };
        client.publish(topic(id, 'reported'), JSON.stringify(state), { qos: 1 });
        applied++;
      });
      await client.subscribeAsync(topic(id, 'desired'), { qos: 1 });
      return client;
    }),
  );
  clients.push(...batch);
}
parentPort.postMessage({ type: 'ready' });
const timer = setInterval(() => parentPort.postMessage({ type: 'applied', applied }), 100);
parentPort.on('message', async (m) => {
  if (m.type !== 'close') return;
  clearInterval(timer);
  await Promise.all(clients.map((c) => c.endAsync(true)));
  parentPort.postMessage({ type: 'closed' });
  process.exit(0);
});
