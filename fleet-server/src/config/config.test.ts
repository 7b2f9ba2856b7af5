import { describe, expect, it } from 'vitest';
import { loadConfig } from '.';

describe('loadConfig', () => {
  it('uses the embedded defaults', () => {
    const config = loadConfig([], {});
    expect(config).toMatchObject({ httpPort: 8080, mqttPort: 1884, fleet: 'default', logLevel: 'info' });
    expect(config.dataDir).toMatch(/\.edgefleet$/);
    expect(config.mqttUrl).toBeUndefined();
  });

  it('takes env over defaults and flags over env', () => {
    const env = { EDGEFLEET_HTTP_PORT: '9000', EDGEFLEET_FLEET: 'plant', EDGEFLEET_MQTT_PORT: '0' };
    expect(loadConfig([], env)).toMatchObject({ httpPort: 9000, fleet: 'plant', mqttPort: 0 });
    const config = loadConfig(
      ['--http-port', '0', '--mqtt-url', 'mqtt://user:pw@127.0.0.1:1883', '--data-dir', '/tmp/x'],
      env,
    );
    expect(config).toMatchObject({
      httpPort: 0,
      fleet: 'plant',
      mqttUrl: 'mqtt://user:pw@127.0.0.1:1883',
      dataDir: '/tmp/x',
    });
  });

  it('names the flag and env var of a bad value, and refuses unknown flags', () => {
    expect(() => loadConfig(['--http-port', '70000'], {})).toThrow(/--http-port \/ EDGEFLEET_HTTP_PORT/);
    expect(() => loadConfig([], { EDGEFLEET_FLEET: 'a/b' })).toThrow(/--fleet/);
    expect(() => loadConfig(['--max-model-bytes', '-1'], {})).toThrow(/max-model-bytes/);
    expect(() => loadConfig(['--nope', '1'], {})).toThrow(/nope/);
  });
});
