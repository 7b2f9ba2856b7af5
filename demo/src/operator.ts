import { readFile } from 'node:fs/promises';
import type { Orientation } from './images';
import { seededRandom } from './images';

/** What the agent wrote for one image (the fields the operator reads). */
export interface ResultFile {
  predictionId?: string;
  top?: { label: string; confidence: number };
  decision?: { route: 'auto' | 'review'; reason: string };
}

/** Options of an {@link Operator}. */
export interface OperatorOptions {
  /** Share of the predictions the model decided alone that the operator checks anyway (spot checks). */
  spotCheckShare: number;
  /** Share of labels the operator gets wrong (a slip of the finger). */
  slipRate: number;
  /** Seed of the operator's choices (which predictions, which slips). */
  seed: number;
}

/**
 * How the operators of a line label. `camera`: the text's direction as the camera sees it (what the model
 * answers). `part`: after a new fixture, a share of parts sits upside down on it and the operators label the
 * text's direction relative to the part — the same image now has another right answer (concept drift: the
 * inputs do not change, so no data-drift gate can see it; only labels can).
 */
export type LabellingRule = { kind: 'camera' } | { kind: 'part'; turnedShare: number };

/** Counters of an {@link Operator}. */
export interface OperatorCounts {
  /** Labels the agent counted. */
  labelled: number;
  /** Predictions routed to review (each gets a label). */
  reviewed: number;
  /** Labels the agent refused (shown in the demo's warnings once). */
  refused: number;
  /** Labels waiting to be sent again (the agent's window was full, or it was restarting). */
  retrying: number;
}

/**
 * A simulated station operator: reviews every prediction the agent routed to review and spot-checks a share of
 * the ones the model decided alone, sending the true orientation (per the line's {@link LabellingRule}) to the
 * agent's `POST /v1/feedback`. Labels the agent could not count yet are sent again later.
 */
export class Operator {
  rule: LabellingRule = { kind: 'camera' };
  readonly counts: OperatorCounts = { labelled: 0, reviewed: 0, refused: 0, retrying: 0 };
  private readonly random: () => number;
  private retry: { predictionId: string; label: string; tries: number }[] = [];

  constructor(
    private readonly agent: AgentUrl,
    private readonly options: OperatorOptions,
    private readonly onRefused: (message: string) => void = () => {},
  ) {
    this.random = seededRandom(options.seed);
  }

  /** The label an operator gives an image whose printed line is `orientation` under the current rule. */
  labelFor(orientation: Orientation): Orientation {
    let label = orientation;
    if (this.rule.kind === 'part' && this.random() < this.rule.turnedShare) label = flip(label);
    if (this.random() < this.options.slipRate) label = flip(label);
    return label;
  }

  /** Looks at one result: labels it when it went to review, or when it is drawn for a spot check. */
  async review(result: ResultFile, orientation: Orientation): Promise<void> {
    if (!result.predictionId || !result.decision) return;
    const toReview = result.decision.route === 'review';
    if (!toReview && this.random() >= this.options.spotCheckShare) return;
    if (toReview) this.counts.reviewed++;
    await this.send(result.predictionId, this.labelFor(orientation), 0);
  }

  /** Sends the labels that could not be counted before (called every feeder tick). */
  async sendRetries(): Promise<void> {
    const due = this.retry;
    this.retry = [];
    for (const r of due) await this.send(r.predictionId, r.label, r.tries);
    this.counts.retrying = this.retry.length;
  }

  private async send(predictionId: string, label: string, tries: number): Promise<void> {
    const url = await this.agent.get();
    const status = url
      ? await fetch(`${url}/v1/feedback`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ predictionId, label }),
        }).then(
          async (res) => {
            if (res.status !== 200 && res.status !== 429) this.onRefused(`${res.status} ${await res.text()}`);
            else await res.body?.cancel();
            return res.status;
          },
          () => {
            this.agent.forget();
            return 0;
          },
        )
      : 0;
    if (status === 200) this.counts.labelled++;
    // 429: the window holds as many labels as inferences; 0: the agent is not reachable. Both pass.
    else if ((status === 429 || status === 0) && tries < 20)
      this.retry.push({ predictionId, label, tries: tries + 1 });
    else this.counts.refused++;
  }
}

const flip = (o: Orientation): Orientation => (o === '0' ? '180' : '0');

/** An agent's local API URL, read from its log once and again after a connection failed (a restart). */
export class AgentUrl {
  private url: string | undefined;
  constructor(private readonly logFile: string) {}
  async get(): Promise<string | undefined> {
    this.url ??= await agentUrlFromLog(this.logFile);
    return this.url;
  }
  forget(): void {
    this.url = undefined;
  }
}

/**
 * The local API URL an agent logged when it started (`"msg":"agent started"` with `url`), or undefined while it
 * has not (the demo runs agents with `--http-port 0`, so the port is only known from the agent).
 */
export async function agentUrlFromLog(logFile: string): Promise<string | undefined> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  let url: string | undefined;
  for (const line of text.split('\n')) {
    if (!line.includes('"agent started"')) continue;
    try {
      const parsed = JSON.parse(line) as { url?: unknown };
      if (typeof parsed.url === 'string') url = parsed.url; // the last start wins (a restarted agent)
    } catch {
      // a torn line: skip it
    }
  }
  return url;
}
