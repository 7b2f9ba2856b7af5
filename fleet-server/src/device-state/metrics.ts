import type { Registry } from 'prom-client';
import { counterFrom } from '../metrics';
import type { DeviceSessionStats } from './device-sessions';

/** Registers the device session figures (presence, reported, desired) on the server's registry. */
export function registerDeviceSessionMetrics(registry: Registry, sessions: DeviceSessionStats): void {
  counterFrom(
    registry,
    'edgefleet_device_messages_total',
    'Presence and reported messages by outcome',
    ['outcome'],
    () => [
      [{ outcome: 'presence_applied' }, sessions.presenceApplied],
      [{ outcome: 'presence_stale' }, sessions.presenceStale],
      [{ outcome: 'reported_applied' }, sessions.reportsApplied],
      [{ outcome: 'desired_resent' }, sessions.desiredResent],
      [{ outcome: 'desired_published' }, sessions.desiredPublished],
      ...Object.entries(sessions.rejected).map(([reason, n]): [{ outcome: string }, number] => [
        { outcome: `rejected_${reason}` },
        n,
      ]),
    ],
  );
}
