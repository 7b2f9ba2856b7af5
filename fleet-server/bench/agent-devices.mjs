// Device side of bench/connected.ts, in a child process: MQTT clients that open their session the way the agent's
// link does (agent/src/mqtt/link.ts): device id + secret, clean session, a retained `offline` presence as last will,
// subscriptions to desired and ack, a retained `online` presence, then a hello with the rev it runs; each newer
// desired state is applied and reported. Plain JS so it runs without a TypeScript loader. Started by fork(): each
// IPC message `{ type: 'connect', ids }` connects more devices (answered `connected`), `close` ends them all.
import mqtt from 'mqtt';

const { port, fleet, model } = await new Promise((resolve) => process.once('message', resolve));
const topic = (id, kind) => `ef/v1/${fleet}/dev/${id}/${kind}`;
const version = (ref) => (ref ? { name: model, version: ref.manifest.version } : null);
const presence = (status) => JSON.stringify({ v: 1, status, epoch: 1, at: Date.now() });

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
        clean: true,
        protocolVersion: 4,
        reconnectPeriod: 0,
        queueQoSZero: false,
        keepalive: 300,
        connectTimeout: 60_000,
        will: {
          topic: topic(id, 'presence'),
          payload: Buffer.from(presence('offline')),
          qos: 1,
          retain: true,
        },
      });
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}

async function openSession(id) {
  const client = await connect(id);
  let appliedRev = 0;
  const report = (type) => {
    const running = { active: null, shadow: null, standby: null };
    return { v: 1, type, deviceId: id, epoch: 1, appliedRev, agentVersion: 'bench', at: Date.now(), running };
  };
  client.on('message', (t, payload) => {
    if (payload.length === 0 || !t.endsWith('/desired')) return;
    const desired = JSON.parse(payload.toString());
    if (desired.rev <= appliedRev) return;
    appliedRev = desired.rev;
    const state = report('state');
    state.running = {
      active: version(desired.models.active),
      shadow: version(desired.models.shadow),
      standby: version(desired.models.standby),
    };
    state.errors = [];
    client.publish(topic(id, 'reported'), JSON.stringify(state), { qos: 1 });
    applied++;
  });
  await client.subscribeAsync([topic(id, 'desired'), topic(id, 'ack')], { qos: 1 });
  await client.publishAsync(topic(id, 'presence'), presence('online'), { qos: 1, retain: true });
  const hello = { ...report('hello'), capabilities: { platform: 'node', backends: ['cpu'] } };
  await client.publishAsync(topic(id, 'reported'), JSON.stringify(hello), { qos: 1 });
  return client;
}

process.on('message', async (m) => {
  if (m.type === 'connect') {
    for (let i = 0; i < m.ids.length; i += 100) {
      clients.push(...(await Promise.all(m.ids.slice(i, i + 100).map(openSession))));
    }
    process.send({ type: 'connected', clients: clients.length });
  } else if (m.type === 'applied') {
    process.send({ type: 'applied', applied });
  } else if (m.type === 'close') {
    await Promise.all(clients.map((c) => c.endAsync(true)));
    process.send({ type: 'closed' });
    process.exit(0);
  }
});
process.send({ type: 'ready' });
