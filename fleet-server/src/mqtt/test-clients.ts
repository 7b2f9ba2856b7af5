import { connectAsync, type IClientOptions, type MqttClient } from 'mqtt';

/** mqtt.js for tests outside this package (WebSocket logins, raw options). */
export { connectAsync, type MqttClient };

/** Connects a real mqtt.js client over TCP to 127.0.0.1 without reconnecting (tests and benches). */
export function connectClient(port: number, options: IClientOptions = {}): Promise<MqttClient> {
  return connectAsync({
    host: '127.0.0.1',
    port,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 5_000,
    queueQoSZero: false,
    ...options,
  });
}

/** Resolves with the first `count` messages that arrive on `client` matching `topic`, or rejects after `timeoutMs`. */
export function collectMessages(
  client: MqttClient,
  count: number,
  timeoutMs = 5_000,
  topic?: string,
): Promise<{ topic: string; payload: Buffer }[]> {
  return new Promise((resolve, reject) => {
    const got: { topic: string; payload: Buffer }[] = [];
    const timer = setTimeout(() => {
      client.off('message', onMessage);
      reject(new Error(`expected ${count} messages, got ${got.length}`));
    }, timeoutMs);
    function onMessage(t: string, payload: Buffer) {
      if (topic !== undefined && t !== topic) return;
      got.push({ topic: t, payload });
      if (got.length >= count) {
        clearTimeout(timer);
        client.off('message', onMessage);
        resolve(got);
      }
    }
    client.on('message', onMessage);
  });
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 10 ms until it holds, or rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}
