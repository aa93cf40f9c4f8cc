// The demo's survey flown through the real pipeline (runFlight) at the chosen speed, to the embedded broker, with a
// first Ctrl-C or SIGTERM stopping it gracefully so the results so far can still be scored.
import { rm } from 'node:fs/promises';
import { runFlight, type RunOutcome } from '../app/run-flight.js';
import type { Config } from '../config/schema.js';
import { resolveSecrets } from '../config/resolve-secrets.js';
import type { RecordedFlight } from '../flight/flight-reader.js';
import { RecordingFrameSource } from '../flight/recording-frame-source.js';
import { RecordingPositionSource } from '../flight/recording-position-source.js';
import type { Logger } from '../platform/logger.js';
import { startProgress } from '../platform/progress.js';
import type { Result } from '../publish/result-schema.js';
import type { DemoOutputPaths } from './demo-config.js';
import type { DemoOutput } from './demo-output.js';

export interface DemoFlightPlan {
  /** The demo's Config (demoConfig). */
  config: Config;
  flight: RecordedFlight;
  modelPath: string;
  /** The embedded broker's address, which may be another port than the configured one. */
  brokerUrl: string;
  dashboardUrl: string;
  speed: number | 'max';
  resultsPath: string;
}

export interface DemoFlown {
  outcome: RunOutcome;
  results: Result[];
  /** Stopped by a signal before the survey's end. */
  stopped: boolean;
}

/** This run's own outputs: a fresh results file and map, and an outbox with nothing an earlier, interrupted demo left. */
export async function clearDemoOutputs(paths: DemoOutputPaths, outboxPath: string): Promise<void> {
  for (const f of [paths.results, paths.map, paths.footprints, ...['', '-wal', '-shm'].map((s) => `${outboxPath}${s}`)]) await rm(f, { force: true });
}

/** The first signal stops the flight gracefully; a second one, while it winds down, exits at once. */
function stopOnSignal(out: DemoOutput): { signal: AbortSignal; release(): void } {
  const stop = new AbortController();
  const onSignal = () => {
    if (stop.signal.aborted) process.exit(130);
    out.say('stopping: the frame in flight finishes, then the results so far are scored');
    stop.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: stop.signal,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}

/** The recording's own drone and flight ids, so what the dashboard and broker show is the survey's. */
function flightConfig(plan: DemoFlightPlan): Config {
  const { config, flight } = plan;
  return {
    ...config,
    droneId: flight.manifest.droneId,
    flightId: flight.manifest.flightId,
    model: { ...config.model, path: plan.modelPath },
    sinks: { ...config.sinks, mqtt: { ...config.sinks.mqtt, url: plan.brokerUrl } },
  };
}

function announce(plan: DemoFlightPlan, out: DemoOutput): void {
  const { frames } = plan.flight;
  const total = frames.length;
  const flightS = total > 1 ? ((frames[total - 1]?.capturedAtMs ?? 0) - (frames[0]?.capturedAtMs ?? 0)) / 1000 : 0;
  const speed = plan.speed;
  out.say(
    `flying the survey: ${total} frames over ${flightS.toFixed(0)} s of flight at ${speed === 'max' ? 'full speed' : `${speed}x real time (about ${(flightS / speed).toFixed(0)} s)`}; watch it on ${plan.dashboardUrl}`,
  );
}

export async function flyDemoSurvey(plan: DemoFlightPlan, quiet: Logger, out: DemoOutput): Promise<DemoFlown> {
  const { config, flight, speed } = plan;
  const stop = stopOnSignal(out);
  const results: Result[] = [];
  const total = flight.frames.length;
  announce(plan, out);
  // A bar on a terminal; elsewhere a line about every tenth of the survey (the end is said by the report).
  const progress = startProgress('flying the survey', total);
  let outcome: RunOutcome;
  try {
    outcome = await runFlight(flightConfig(plan), resolveSecrets(config), quiet, {
      input: async () => ({
        source: new RecordingFrameSource(flight, { speed, signal: stop.signal }),
        position: new RecordingPositionSource(flight.telemetry, config.position.track),
      }),
      outPath: plan.resultsPath,
      signal: stop.signal,
      // The broker is the demo's own aedes (demo-servers.ts): nobody has set ACLs on it.
      ownBroker: true,
      onResult: (result) => {
        results.push(result);
        progress.tick();
        if (!progress.visible && results.length % Math.max(1, Math.round(total / 10)) === 0 && results.length < total)
          out.say(`flown ${results.length} of ${total} frames`);
      },
    });
  } finally {
    progress.done();
    stop.release();
  }
  return { outcome, results, stopped: stop.signal.aborted };
}
