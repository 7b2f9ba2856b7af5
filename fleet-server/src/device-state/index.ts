import type { ServerContext } from '../context';
import type { FleetLink } from '../mqtt/link';
import { DeviceSessions } from './device-sessions';

export {
  type DesiredPublish,
  type DesiredPublishResult,
  type DeviceChange,
  type DeviceSessionStats,
  DeviceSessions,
} from './device-sessions';

/** The device-state side of a server: presence, hellos and desired states over the MQTT link, kept in the database. */
export interface DeviceState {
  name: 'device-state';
  sessions: DeviceSessions;
  close(): Promise<void>;
}

/** Starts the device sessions on `link` (subscribes to presence and reported topics of every device). */
export async function startDeviceState(ctx: ServerContext, link: FleetLink): Promise<DeviceState> {
  const sessions = new DeviceSessions({
    link,
    fleet: ctx.config.fleet,
    db: ctx.db,
    logger: ctx.logger,
    now: ctx.now,
  });
  await sessions.start();
  return { name: 'device-state', sessions, close: () => sessions.stop() };
}
