// Labelled stations: the demo's camera (text-line images whose true orientation is known) and its simulated
// operator, pointed at a lifecycle station's watched folder and local API.
import { Feeder } from '../../demo/src/feeder';
import { AgentUrl, Operator } from '../../demo/src/operator';
import type { Station } from './stations';

/** The agent's URL is known from its banner here, not from a log file as in the demo. */
class KnownUrl extends AgentUrl {
  constructor(private readonly known: string) {
    super('');
  }
  override async get(): Promise<string> {
    return this.known;
  }
  override forget(): void {}
}

/**
 * Starts feeding `station` with labelled images from `seed` on (one every ~`intervalMs`), each result seen by an
 * operator who labels every prediction with the image's true orientation through `POST /v1/feedback`, without
 * slips; processed images and results are removed as they are labelled (the demo feeder's cleaning). A label
 * the agent refuses (other than "window full", which is sent again) goes to `onRefused`.
 */
export function startLabelledFeeder(
  station: Station,
  seed: number,
  intervalMs: number,
  onRefused: (message: string) => void,
): Feeder {
  const operator = new Operator(
    new KnownUrl(station.url),
    { spotCheckShare: 1, slipRate: 0, seed },
    (message) => onRefused(`${station.id}: ${message}`),
  );
  const feeder = new Feeder({
    watchDir: station.watch,
    outDir: station.out,
    intervalMs,
    seed,
    operator,
    onError: (error) => console.warn(`labelled feeder ${station.id}: ${error.message}`),
  });
  feeder.start();
  return feeder;
}
