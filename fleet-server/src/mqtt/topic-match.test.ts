import { describe, expect, it } from 'vitest';
import { topicMatches } from './topic-match';

describe('topicMatches', () => {
  it('matches + and # like an MQTT broker', () => {
    expect(topicMatches('ef/v1/f/dev/+/telemetry', 'ef/v1/f/dev/d1/telemetry')).toBe(true);
    expect(topicMatches('ef/v1/f/dev/+/telemetry', 'ef/v1/f/dev/d1/ack')).toBe(false);
    expect(topicMatches('ef/v1/f/#', 'ef/v1/f/dev/d1/ack')).toBe(true);
    expect(topicMatches('ef/v1/f/#', 'ef/v1/f')).toBe(true);
    expect(topicMatches('ef/+', 'ef/v1/f')).toBe(false);
    expect(topicMatches('#', '$SYS/broker')).toBe(false);
    expect(topicMatches('+/x', '$SYS/x')).toBe(false);
  });
});
