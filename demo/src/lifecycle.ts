import type { AgentProcess } from './agents';
import { stopAgentProcess } from './agents';
import type { Feeder } from './feeder';
import type { DemoServer } from './server';
import type { WebDemo } from './web';

export const say = (line = '') => process.stdout.write(`${line}\n`);
export const warn = (line: string) => process.stderr.write(`demo: ${line}\n`);

/** Why the demo stops: 0 for Ctrl-C / SIGTERM / --duration, non-zero for a failure. */
export class Stop {
  private resolveCode!: (code: number) => void;
  readonly code = new Promise<number>((resolve) => {
    this.resolveCode = resolve;
  });
  stopping = false;
  request(code: number, why: string): void {
    if (this.stopping) return;
    this.stopping = true;
    say(`\nstopping (${why})…`);
    this.resolveCode(code);
  }
}

/** Everything the demo started, closed in reverse order. */
export class Running {
  server: DemoServer | null = null;
  agents: AgentProcess[] = [];
  feeders: Feeder[] = [];
  web: WebDemo | null = null;
  statusTimer: NodeJS.Timeout | null = null;
  /** Phases running beside the status lines (the data loop): they end soon after a stop was asked for. */
  tasks: Promise<unknown>[] = [];
  restoreTerminal: () => void = () => {};

  async close(): Promise<void> {
    this.restoreTerminal();
    if (this.statusTimer) clearInterval(this.statusTimer);
    await Promise.all(this.feeders.map((f) => f.stop()));
    await Promise.all(this.tasks);
    // Agents first, while the server still runs: they flush their window and say offline.
    const exits = await Promise.all(this.agents.map((a) => stopAgentProcess(a)));
    if (exits.length > 0) {
      const codes = exits.map((e, i) => `${this.agents[i]!.station.deviceId}:${e.signal ?? e.code}`);
      say(`stopped ${exits.length} agent${exits.length === 1 ? '' : 's'} (exit ${codes.join(' ')})`);
    }
    await this.web?.close().catch((e: Error) => warn(`demo page server: ${e.message}`));
    await this.server?.server.close();
  }
}
