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

  it('reads the default telemetry window of desired states and app plans, within bounds', () => {
    expect(loadConfig([], {}).telemetryWindowMs).toBe(60_000);
    expect(loadConfig(['--telemetry-window-ms', '1500'], {}).telemetryWindowMs).toBe(1_500);
    expect(loadConfig([], { EDGEFLEET_TELEMETRY_WINDOW_MS: '5000' }).telemetryWindowMs).toBe(5_000);
    for (const bad of ['99', '86400001', '1.5', 'soon']) {
      expect(() => loadConfig(['--telemetry-window-ms', bad], {})).toThrow(/--telemetry-window-ms/);
    }
  });

  it('reads the dashboard, alert, event-stream and timeseries settings, within bounds', () => {
    expect(loadConfig([], {})).toMatchObject({
      alertTickMs: 15_000,
      alertSilentMs: 300_000,
      alertDriftWindowMs: 3_600_000,
      alertDriftPsi: 0.25,
      maxEventStreams: 100,
    });
    expect(loadConfig([], {}).dashboardDir).toBeUndefined();
    const config = loadConfig(
      ['--alert-tick-ms', '0', '--dashboard-dir', '/srv/dash', '--alert-drift-psi', '0.1'],
      { EDGEFLEET_ALERT_SILENT_MS: '60000', EDGEFLEET_TIMESERIES_ROW_BUDGET: '1000' },
    );
    expect(config).toMatchObject({
      alertTickMs: 0,
      dashboardDir: '/srv/dash',
      alertDriftPsi: 0.1,
      alertSilentMs: 60_000,
      timeseriesRowBudget: 1_000,
    });
    for (const [flag, bad] of [
      ['--alert-tick-ms', '50'],
      ['--alert-tick-ms', '-1'],
      ['--alert-silent-ms', '10'],
      ['--alert-drift-psi', '0'],
      ['--alert-drift-window-ms', 'soon'],
      ['--max-event-streams', '0'],
      ['--timeseries-row-budget', '1'],
    ]) {
      expect(() => loadConfig([flag!, bad!], {}), `${flag} ${bad}`).toThrow(flag!);
    }
  });

  it('reads the tier retentions as durations, 0 keeping forever', () => {
    const config = loadConfig([], {});
    expect(config).toMatchObject({
      rawRetentionMs: 48 * 3_600_000,
      hourlyRetentionMs: 30 * 86_400_000,
      dailyRetentionMs: 400 * 86_400_000,
      telemetryMaintenanceMs: 60_000,
    });
    expect(loadConfig(['--raw-retention', '72h'], {}).rawRetentionMs).toBe(72 * 3_600_000);
    expect(loadConfig([], { EDGEFLEET_HOURLY_RETENTION: '7d' }).hourlyRetentionMs).toBe(7 * 86_400_000);
    expect(loadConfig(['--daily-retention', '0'], {}).dailyRetentionMs).toBe(0);
    expect(loadConfig(['--raw-retention', '10800000'], {}).rawRetentionMs).toBe(10_800_000);
    for (const bad of ['1h', 'soon', '-5h', '2w']) {
      expect(() => loadConfig(['--raw-retention', bad], {})).toThrow(/--raw-retention/);
    }
    expect(() => loadConfig(['--hourly-retention', '1d'], {})).toThrow(/--hourly-retention/);
  });
});
