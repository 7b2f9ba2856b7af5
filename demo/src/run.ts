import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type AgentProcess, enrollStations, startAgentProcess, stations } from './agents';
import { AdminApi } from './api';
import type { DemoConfig } from './config';
import { dataLoopSummary } from './data-loop';
import { Line2Lights, runDataLoopPhase } from './data-loop-phase';
import { Feeder } from './feeder';
import { listenForKeys } from './keys';
import { type Running, type Stop, say, warn } from './lifecycle';
import { registerVersions } from './models';
import { AgentUrl, Operator } from './operator';
import {
  APP_ID,
  createApp,
  deployInitialAppVersion,
  deployInitialVersion,
  deployToNewStations,
  getRollout,
  startAppCanary,
  startCanary,
} from './rollouts';
import { type DemoServer, dashboardDist, startDemoServer } from './server';
import { type DemoState, readState, writeState } from './state';
import { formatStatus, newAuditLines, readStatus } from './status';
import { TruthLog } from './truth';
import { buildDashboard, demoPageUrl, startWebDemo } from './web';

/** Share of labels a demo operator gets wrong. */
const OPERATOR_SLIP_RATE = 0.005;
/** Share of line 2's parts the new fixture turns (the concept-drift episode, key `c`). */
const CONCEPT_TURNED_SHARE = 0.3;

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const AGENT_BIN = join(REPO_ROOT, 'agent', 'bin', 'edgefleet-agent.js');

function openState(config: DemoConfig, server: DemoServer, saved: DemoState | null): DemoState {
  const adminToken = server.server.adminToken ?? saved?.adminToken;
  if (!adminToken) {
    throw new Error(
      `${config.dataDir} holds a fleet but not the demo's saved admin token (demo-state.json); run with --fresh`,
    );
  }
  // A new admin token means a new database: whatever the old state file said is gone with it.
  const state: DemoState =
    server.server.adminToken || !saved ? { adminToken, bootstrapped: [], rollouts: {} } : { ...saved };
  const ports = { http: server.server.httpPort, mqtt: Number(new URL(server.mqttUrl).port) };
  if (saved?.ports && saved.ports.http !== ports.http && !server.server.adminToken) {
    warn(
      `the fleet's HTTP port was ${saved.ports.http} and is ${ports.http} now: enrolled agents download from the ` +
        'old URL (new versions fail to download until it is back); run with --fresh to start over',
    );
  }
  state.ports = ports;
  writeState(config.dataDir, state);
  return state;
}

/** A resumed fleet keeps its ports (agents were enrolled with them) unless a flag names others. */
function portsOf(config: DemoConfig, saved: DemoState | null): DemoConfig {
  if (!saved?.ports) return config;
  return {
    ...config,
    httpPort: config.httpPort.explicit ? config.httpPort : { port: saved.ports.http, explicit: false },
    mqttPort: config.mqttPort.explicit ? config.mqttPort : { port: saved.ports.mqtt, explicit: false },
  };
}

/**
 * The dashboard to serve: `dashboard/dist`, built first (a second or two, so a checkout never serves a stale
 * build) unless `--no-dashboard-build`; a failed build is a warning and an earlier build, if any, is served.
 */
async function prepareDashboard(config: DemoConfig): Promise<string | null> {
  if (!config.dashboardBuild) return dashboardDist(REPO_ROOT);
  say('building the dashboard…');
  const problem = await buildDashboard(REPO_ROOT, join(config.dataDir, 'dashboard-build.log'));
  if (problem) warn(`dashboard build failed: ${problem}`);
  return dashboardDist(REPO_ROOT);
}

function superviseAgent(agent: AgentProcess, stop: Stop): void {
  void agent.exited.then(({ code, signal }) => {
    if (stop.stopping) return;
    warn(
      `agent ${agent.station.deviceId} exited unexpectedly (${signal ?? `code ${code}`}); its log: ${agent.station.logFile}`,
    );
    stop.request(1, `agent ${agent.station.deviceId} died`);
  });
}

/** Polls the fleet until `done` says so, `timeoutMs` passed or the demo stops; true when done. */
async function waitForFleet(
  api: AdminApi,
  done: (status: Awaited<ReturnType<typeof readStatus>>) => boolean,
  timeoutMs: number,
  stop: Stop,
): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!stop.stopping && Date.now() < end) {
    if (done(await readStatus(api, null, null))) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return false;
}

const FINAL = ['completed', 'rolled_back', 'aborted'];

/** Polls a rollout until it is final, `timeoutMs` passed or the demo stops; returns its last status. */
async function settle(api: AdminApi, id: string, timeoutMs: number, stop: Stop): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const { status } = await getRollout(api, id);
    if (FINAL.includes(status) || stop.stopping || Date.now() >= end) return status;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/**
 * Sets the demo up step by step (server, versions, stations, agents, app, page, canary), checking `stop`
 * between steps, and returns once everything runs; `running` collects what was started, for shutdown.
 */
export async function runDemo(config: DemoConfig, running: Running, stop: Stop): Promise<void> {
  if (config.fresh) rmSync(config.dataDir, { recursive: true, force: true });
  mkdirSync(config.dataDir, { recursive: true });
  const saved = readState(config.dataDir);
  say(`EdgeFleet demo — ${saved ? 'resuming the fleet in' : 'a new fleet in'} ${config.dataDir}`);

  const dashboard = await prepareDashboard(config);
  if (stop.stopping) return;
  const server = await startDemoServer(portsOf(config, saved), dashboard).catch((error: Error) => {
    // A data dir from an older build of the server (its schema is one squashed migration until release).
    const hint = saved ? ` (a fleet made by another build of the server? --fresh starts over)` : '';
    throw new Error(`the fleet server did not start: ${error.message}${hint}`);
  });
  running.server = server;
  const state = openState(config, server, saved);
  const save = () => writeState(config.dataDir, state);
  const api = new AdminApi(server.url, state.adminToken);
  const dashboardUrl = server.dashboardDir ? `${server.url}/` : null;
  const dashboardLine = dashboardUrl
    ? dashboardUrl
    : `(not served: ${dashboard ? 'this server build has no dashboard setting' : 'no dashboard/dist'})`;
  say(`  fleet server  ${server.url}  (API docs ${server.url}/docs)`);
  say(`  mqtt          ${server.mqttUrl}`);
  say(`  admin token   ${state.adminToken}  (kept in ${join(config.dataDir, 'demo-state.json')})`);
  say(`  dashboard     ${dashboardLine}`);

  if (stop.stopping) return;
  const added = await registerVersions(api);
  if (added.length > 0) say(`registered cls ${added.join(', ')} (baselines from generated reference images)`);

  const fleet = stations(config.dataDir, config.devices);
  if (stop.stopping) return;
  const enrolled = await enrollStations(api, AGENT_BIN, fleet);
  if (enrolled.length > 0) say(`enrolled ${enrolled.join(', ')}`);
  if (stop.stopping) return;
  const ids = fleet.map((s) => s.deviceId);
  // Stations a resumed fleet did not have (more --devices than before): they get a version further down.
  const joined = state.bootstrapped.length > 0 ? ids.filter((id) => !state.bootstrapped.includes(id)) : [];
  if (state.bootstrapped.length === 0) {
    // A rollout with no baseline is a first deployment: every station of the selector gets 1.0.0.
    const initial = await deployInitialVersion(api);
    state.rollouts.initial = initial.id;
    state.bootstrapped = [...ids];
    save();
    if (initial.created)
      say(`rolling out cls 1.0.0 to every station: all-at-once first deployment ${initial.id}`);
  }

  // What the generators fed, by sha256: the data loop's labelling team looks the true answers up here.
  const truth = new TruthLog();
  for (const [i, station] of fleet.entries()) {
    if (stop.stopping) return;
    const agent = startAgentProcess(AGENT_BIN, station, {
      windowMs: config.windowMs,
      mqttUrl: server.mqttUrl,
    });
    running.agents.push(agent);
    superviseAgent(agent, stop);
    const feeder = new Feeder({
      watchDir: station.watchDir,
      outDir: station.outDir,
      intervalMs: config.intervalMs,
      seed: 1_000_000 * (i + 1) + (Math.floor(Date.now() / 1000) % 100_000),
      operator: new Operator(
        new AgentUrl(station.logFile),
        { spotCheckShare: config.spotCheckShare, slipRate: OPERATOR_SLIP_RATE, seed: 7_000 + i },
        (message) => warn(`feedback on ${station.deviceId} refused: ${message}`),
      ),
      truth,
      onError: (error) => warn(`images for ${station.deviceId}: ${error.message}`),
    });
    running.feeders.push(feeder);
    feeder.start();
  }
  say(`started ${fleet.length} agents (logs in ${join(config.dataDir, 'agents', '<id>', 'agent.log')})`);
  const lights = new Line2Lights(running.feeders.filter((_, i) => fleet[i]!.labels.line === '2'));

  state.app ??= await createApp(api);
  save();
  if (!state.rollouts.appInitial) {
    // No minimum reporting targets or inferences: it completes without a browser (plan: none → 1.0.0).
    const appInitial = await deployInitialAppVersion(api);
    state.rollouts.appInitial = appInitial.id;
    save();
    if (appInitial.created) {
      say(`rolling out cls 1.0.0 to the app ${APP_ID}: all-at-once first deployment ${appInitial.id}`);
    }
  }
  if (stop.stopping) return;
  const webPromise = config.web
    ? startWebDemo(REPO_ROOT, join(config.dataDir, 'web-demo')).then(
        (web) => {
          // Built after a stop was asked for: shutdown may have passed already, so close it here.
          if (stop.stopping) {
            void web.close();
            return null;
          }
          running.web = web;
          return web;
        },
        (error: Error) => {
          warn(`no demo page: ${error.message}`);
          return null;
        },
      )
    : Promise.resolve(null);

  const printed = new Set<string>();
  const tick = async () => {
    try {
      const status = await readStatus(
        api,
        state.rollouts.canary ?? state.rollouts.initial ?? null,
        state.rollouts.appCanary ?? state.rollouts.appInitial ?? null,
      );
      if (stop.stopping) return;
      for (const r of [status.rollout, status.appRollout])
        if (r) for (const l of newAuditLines(r, printed)) say(l);
      say(formatStatus({ ...status, ...(state.dataLoop ? { dataLoop: state.dataLoop } : {}) }));
    } catch (error) {
      if (!stop.stopping) warn(`status: ${(error as Error).message}`);
    }
  };
  running.statusTimer = setInterval(() => void tick(), config.statusEveryS * 1000);

  let fleetVersion = '1.0.0';
  if (state.rollouts.canary) {
    // A resumed fleet whose canary was rolled back (lights dimmed) or aborted gets a new one; a completed
    // one stays: every station runs 1.1.0 and --fresh shows it again.
    const previous = await getRollout(api, state.rollouts.canary);
    if (previous.status === 'rolled_back' || previous.status === 'aborted') {
      say(`the canary ${previous.id} was ${previous.status.replace('_', ' ')}: starting a new one`);
      delete state.rollouts.canary;
    } else if (previous.status === 'completed') {
      say(`the canary ${previous.id} completed: every station runs 1.1.0 (--fresh starts over)`);
      fleetVersion = '1.1.0';
    }
  }
  if (joined.length > 0) {
    // A first deployment of what the fleet runs, unless an active rollout covers them (it gives them theirs).
    const id = await deployToNewStations(api, joined, fleetVersion);
    say(
      id === 'covered'
        ? `${joined.join(', ')}: an active rollout covers them, they get cls when it reaches them`
        : id === 'running'
          ? `${joined.join(', ')}: already run cls (a completed rollout reached them)`
          : `rolling out cls ${fleetVersion} to ${joined.join(', ')}: all-at-once first deployment ${id}`,
    );
    state.bootstrapped = [...state.bootstrapped, ...joined];
    save();
  }
  if (!state.rollouts.canary) {
    const initial = state.rollouts.initial;
    if (initial) {
      const status = await settle(api, initial, 120_000, stop);
      if (status !== 'completed' && !stop.stopping) {
        warn(`the first deployment ${initial} is ${status.replace('_', ' ')}; starting the canary anyway`);
      }
    }
    await waitForFleet(api, (s) => (s.running['1.0.0'] ?? 0) >= ids.length, 90_000, stop);
    if (stop.stopping) return;
    const line2 = fleet.filter((s) => s.labels.line === '2').map((s) => s.deviceId);
    const { rollout, firstStage } = await startCanary(api, ids, line2, config);
    state.rollouts.canary = rollout.id;
    save();
    say(
      `started the canary of cls 1.1.0: ${rollout.id} (stages ${config.stages}; first: ${firstStage.join(', ')})`,
    );
  }
  if (stop.stopping) return;
  if (!state.rollouts.appCanary) {
    // One active rollout per target: the app's first deployment completes before its canary starts.
    const status = state.rollouts.appInitial
      ? await settle(api, state.rollouts.appInitial, 60_000, stop)
      : 'completed';
    if (stop.stopping) return;
    if (status === 'completed') {
      state.rollouts.appCanary = (await startAppCanary(api, config)).id;
      save();
    } else {
      warn(
        `the app's first deployment ${state.rollouts.appInitial} is ${status.replace('_', ' ')}: no app canary`,
      );
    }
  }

  // "Running" means the stations are up: connected, and past the point where SIGTERM would find no handler.
  if (!(await waitForFleet(api, (s) => s.online >= ids.length, 60_000, stop)) && !stop.stopping) {
    warn(
      `not every agent came online within 60 s; see ${join(config.dataDir, 'agents', '<id>', 'agent.log')}`,
    );
  }
  const web = await webPromise;
  if (stop.stopping) return;
  say('');
  say('EdgeFleet demo is running');
  say(`  dashboard     ${dashboardLine}`);
  if (web) {
    const page = demoPageUrl(web.url, {
      server: server.url,
      app: state.app.id,
      key: state.app.publishableKey,
    });
    say(`  demo page     ${page}`);
  }
  say(`  admin token   ${state.adminToken}`);
  say(`  rollout       ${state.rollouts.canary}  (app: ${state.rollouts.appCanary ?? 'none'})`);
  if (state.dataLoop) for (const line of dataLoopSummary(state.dataLoop, dashboardUrl)) say(`  ${line}`);
  else if (lights.present && config.dimAfter.kind !== 'off') {
    say(
      `  data loop     a lamp fails on line 2 ${config.dimAfter.kind === 'canary' ? 'once the canary is over' : `in ${config.dimAfter.seconds} s`}: its images are captured, labelled, exported, and 1.2.0 registered`,
    );
  }
  say(config.durationS > 0 ? `  stopping in ${config.durationS} s` : '  Ctrl-C stops everything');
  if (process.stdin.isTTY)
    say('  press d to dim the lights on line 2 (input drift: the PSI gate rolls a running canary back)');
  if (process.stdin.isTTY)
    say("  press c to change how line 2 labels (concept drift: only the operators' labels can show it)");
  say('');
  running.restoreTerminal = listenForKeys({
    quit: () => stop.request(0, 'Ctrl-C'),
    toggleDrift: () => {
      if (!lights.present) return say('no station on line 2 (run with --devices 2 or more)');
      lights.dark = !lights.dark;
      say(
        lights.dark
          ? 'line 2: lights dimmed (brightness −70, contrast ×0.8)'
          : 'line 2: lights back to normal',
      );
    },
    toggleConcept: () => {
      const line2 = running.feeders.filter((_, i) => fleet[i]!.labels.line === '2');
      const operators = line2.flatMap((f) => (f.operator ? [f.operator] : []));
      if (operators.length === 0) return say('no station on line 2 (run with --devices 2 or more)');
      const change = operators[0]!.rule.kind === 'camera';
      for (const o of operators)
        o.rule = change ? { kind: 'part', turnedShare: CONCEPT_TURNED_SHARE } : { kind: 'camera' };
      say(
        change
          ? `line 2: a new fixture turns ${CONCEPT_TURNED_SHARE * 100} % of parts; operators label the text relative to the part`
          : 'line 2: operators label as the camera sees it again',
      );
    },
  });
  await tick();
  if (!state.dataLoop && lights.present) {
    running.tasks.push(
      runDataLoopPhase({
        api,
        lights,
        truth,
        dimAfter: config.dimAfter,
        canaryOver: async () =>
          !!state.rollouts.canary && FINAL.includes((await getRollout(api, state.rollouts.canary)).status),
        exportDir: join(config.dataDir, 'datasets'),
        dashboard: dashboardUrl,
        say,
        warn,
        stopping: () => stop.stopping,
        save: (loop) => {
          state.dataLoop = loop;
          save();
        },
      }),
    );
  }
  if (config.durationS > 0) {
    setTimeout(() => stop.request(0, `--duration ${config.durationS} s`), config.durationS * 1000).unref();
  }
}
