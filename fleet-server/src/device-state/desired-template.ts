import {
  type DesiredState,
  type DesiredStateInput,
  desiredStateSchema,
  isValidId,
  MAX_DESIRED_BYTES,
  PROTOCOL_VERSION,
  toParseError,
} from '@edgefleet/shared';
import { InvalidInput } from '../errors';

/** Id the template is validated with; every real id is checked with `isValidId` when stamped. */
const TEMPLATE_DEVICE_ID = 'template';

/**
 * One desired state validated once and stamped per device: a fan-out to 10,000 devices that share the same
 * models runs the shared schema once, not 10,000 times. Only `rev` (a positive integer the session computes),
 * `deviceId` (checked with `isValidId`) and the payload size differ per device, and those are checked per stamp.
 * The stamped text is byte for byte `JSON.stringify({ ...input, v, rev, deviceId, issuedAt })`.
 */
export class DesiredTemplate {
  private readonly head: string;

  private constructor(private readonly input: DesiredStateInput) {
    const {
      v: _v,
      rev: _rev,
      deviceId: _deviceId,
      issuedAt: _issuedAt,
      ...rest
    } = input as Partial<DesiredState>;
    // The head ends before the closing brace: `{…,"v":1`; stamp() appends rev, deviceId and issuedAt in order.
    this.head = JSON.stringify({ ...rest, v: PROTOCOL_VERSION }).slice(0, -1);
  }

  /** Validates `input` (issued at `issuedAt`) against the shared schema; throws InvalidInput naming the field at fault. */
  static of(input: DesiredStateInput, issuedAt: number): DesiredTemplate {
    const sample = { ...input, v: PROTOCOL_VERSION, rev: 1, deviceId: TEMPLATE_DEVICE_ID, issuedAt };
    const checked = desiredStateSchema.safeParse(sample);
    if (!checked.success) {
      const error = toParseError(checked.error);
      throw new InvalidInput(`desired state: ${error.message}`, { field: error.path });
    }
    return new DesiredTemplate(input);
  }

  /** The wire (and stored) JSON of this state for one device at `rev`; throws InvalidInput for a bad id or size. */
  stamp(deviceId: string, rev: number, issuedAt: number): { text: string; payload: Buffer } {
    if (!isValidId(deviceId))
      throw new InvalidInput(`desired state: invalid device id`, { field: 'deviceId' });
    const text = `${this.head},"rev":${rev},"deviceId":${JSON.stringify(deviceId)},"issuedAt":${issuedAt}}`;
    const payload = Buffer.from(text);
    if (payload.length > MAX_DESIRED_BYTES) {
      throw new InvalidInput(
        `desired state: message of ${payload.length} bytes exceeds ${MAX_DESIRED_BYTES} bytes`,
        {
          field: '',
        },
      );
    }
    return { text, payload };
  }

  /** The state object of a stamp (what `publishDesired` resolves with). */
  stateOf(deviceId: string, rev: number, issuedAt: number): DesiredState {
    return { ...this.input, v: PROTOCOL_VERSION, rev, deviceId, issuedAt };
  }
}
