import type { ServerContext } from '../context';
import type { FleetLink } from '../mqtt/link';
import type { ServerPart } from '../part';
import { type DeviceChange, DeviceSessions } from './device-sessions';
import { registerDeviceSessionMetrics } from './metrics';

export {
  type DesiredPublish,
  type DesiredPublishResult,
  type DeviceChange,
  type DeviceSessionStats,
  DeviceSessions,
} from './device-sessions';

/**
 * The device-state side of a server: presence, hellos and desired states over the MQTT link, kept in the database.
 * No routes of its own (the devices part serves what it stores).
 */
export interface DeviceState extends ServerPart {
  name: 'device-state';
  /** The running sessions; throws before `start`. */
  readonly sessions: DeviceSessions;
  /** Subscribes to presence and reported topics of every device on `link`. */
  start(link: FleetLink): Promise<DeviceSessions>;
  /** Presence and reported-state changes, from `start` on (a listener may be added before). */
  onDeviceChange(listener: (changes: DeviceChange[]) => void): void;
  /** A device's learned clock offset (device − server, ms); undefined before `start` or before its hello. */
  clockOffsetOf(deviceId: string): number | undefined;
}

/** Creates the device-state part; the sessions exist once `start` has the link. */
export function createDeviceState(ctx: ServerContext): DeviceState {
  let running: DeviceSessions | null = null;
  const listeners: ((changes: DeviceChange[]) => void)[] = [];
  return {
    name: 'device-state',
    routes: () => {},
    get sessions() {
      if (!running) throw new Error('device state is not started');
      return running;
    },
    async start(link) {
      const sessions = new DeviceSessions({
        link,
        fleet: ctx.config.fleet,
        db: ctx.db,
        logger: ctx.logger,
        now: ctx.now,
      });
      for (const listener of listeners) sessions.onDeviceChange(listener);
      registerDeviceSessionMetrics(ctx.metrics.registry, sessions.stats);
      running = sessions;
      await sessions.start();
      return sessions;
    },
    onDeviceChange(listener) {
      listeners.push(listener);
      running?.onDeviceChange(listener);
    },
    clockOffsetOf: (deviceId) => running?.clocks.offsetOf(deviceId),
    close: async () => running?.stop(),
  };
}
