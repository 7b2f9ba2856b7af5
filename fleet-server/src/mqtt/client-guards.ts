import type { Client } from 'aedes';

/** Limits applied to every broker connection. */
export interface ClientGuardOptions {
  maxPacketBytes: number;
  maxBufferedBytes: number;
  onOversized(): void;
  onSlowConsumer(): void;
}

// aedes internals we patch; kept narrow so an aedes upgrade that renames them fails loudly in tests.
interface ParserInternals {
  packet: { length: number };
  _parseLength(): boolean;
  _emitError(err: Error): boolean;
}
interface ClientInternals {
  _parser: ParserInternals;
  conn: { writableLength: number; destroy(err?: Error): void };
  waitForDrain(callback: (err: Error | null, client: unknown) => void): void;
}

/**
 * Hardens one aedes client:
 * - packets announcing more than `maxPacketBytes` close the connection before their payload is buffered
 *   (mqtt-packet would otherwise accept up to 256 MB);
 * - a subscriber that stops reading never holds a delivery slot: writes complete at once while its
 *   unsent bytes stay under `maxBufferedBytes`, and past that it is disconnected at once, instead of
 *   aedes' default of waiting for `drain` (which stalls delivery to everyone else once the broker's
 *   concurrency slots are all waiting on that one socket).
 */
export function protectClient(client: Client, options: ClientGuardOptions): void {
  const inner = client as unknown as ClientInternals;
  const parser = inner._parser;
  const parseLength = parser._parseLength;
  parser._parseLength = function parseLengthBounded(this: ParserInternals): boolean {
    const complete = parseLength.call(this);
    if (complete && this.packet.length > options.maxPacketBytes) {
      options.onOversized();
      this._emitError(new Error(`packet of ${this.packet.length} bytes exceeds ${options.maxPacketBytes}`));
      return false;
    }
    return complete;
  };

  inner.waitForDrain = (callback) => {
    if (inner.conn.writableLength <= options.maxBufferedBytes) {
      setImmediate(callback, null, client);
      return;
    }
    options.onSlowConsumer();
    const err = new Error('slow consumer');
    setImmediate(callback, err, client);
    inner.conn.destroy(err);
  };
}
