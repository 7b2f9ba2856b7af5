/**
 * Offsets below this leave window times as the device sent them: transit time, jitter and a clock a few seconds
 * off do not move a stage's accounting (stages last minutes), and a window is never shifted by noise.
 */
export const MIN_CLOCK_OFFSET_MS = 60_000;

/**
 * Each device's clock offset (device clock − server clock, ms), learned from the `at` of its hello and state
 * messages against the server's receive time. Telemetry window times of a device are moved by it into the
 * server's clock, so a station whose clock is an hour off still counts in the stage it serves.
 */
export class ClockOffsets {
  private readonly offsets = new Map<string, number>();

  /** Records a message stamped `deviceAtMs` by the device and received at `serverNowMs`. */
  observe(deviceId: string, deviceAtMs: number, serverNowMs: number): void {
    if (this.offsets.size >= 1_000_000 && !this.offsets.has(deviceId)) this.offsets.clear();
    this.offsets.set(deviceId, deviceAtMs - serverNowMs);
  }

  /** The device's offset; 0 when it is within {@link MIN_CLOCK_OFFSET_MS}; undefined when never learned. */
  offsetOf(deviceId: string): number | undefined {
    const offset = this.offsets.get(deviceId);
    if (offset === undefined) return undefined;
    return Math.abs(offset) < MIN_CLOCK_OFFSET_MS ? 0 : offset;
  }
}
