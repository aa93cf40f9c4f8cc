// `fieldeye run --config FILE`: one flight through the pipeline, then the summary table. Under systemd it
// reports READY once the first frame is classified, pings the watchdog while frames flow, and stops
// gracefully on SIGTERM (no new frames, the frame in flight finishes, sinks flush, status goes offline).
import { loadConfig } from '../config/load-config.js';
import { resolveSecrets } from '../config/resolve-secrets.js';
import { createLogger } from '../platform/logger.js';
import { renderSummaryTable } from './summary-table.js';
import { SystemdNotifier } from '../platform/systemd-notifier.js';
import { ProgressWatchdog } from '../platform/progress-watchdog.js';
import { runFlight } from '../app/run-flight.js';
import { exitCodeFor } from '../platform/fieldeye-error.js';
import { EXIT } from '../platform/exit-codes.js';
import { RestartBackoff } from '../platform/restart-backoff.js';
import { deliveryRows, flightExitCode } from './flight-outcome.js';

export interface RunCommandOptions {
  config?: string;
  maxFrames?: number;
  out?: string;
}

/** A pipeline with no finished frame for this many watchdog intervals counts as stalled. */
const STALL_INTERVALS = 2;

export async function runCommand(opts: RunCommandOptions): Promise<number> {
  const { config, file } = loadConfig(opts.config ?? null);
  const secrets = resolveSecrets(config);
  const logger = createLogger({ level: config.log.level });
  logger.info({ configFile: file, config }, 'starting');

  const notifier = new SystemdNotifier({ logger });
  // After transient faults in a row, wait longer before each new start (systemd 252 only restarts at a fixed pace).
  const backoff = RestartBackoff.forThisProcess();
  const wait = backoff.delay();
  if (wait.ms > 0) {
    const why = `waiting ${Math.round(wait.ms / 1000)} s before starting: ${wait.failures} failed start(s) in a row, last: ${wait.lastError}`;
    logger.warn({ waitMs: wait.ms, failures: wait.failures }, why);
    await notifier.status(why);
    await new Promise((resolve) => setTimeout(resolve, wait.ms));
  }
  const startedMs = performance.now();
  let results = 0;
  const fps = () => (results * 1000) / Math.max(1, performance.now() - startedMs);
  const watchdog =
    notifier.watchdogIntervalMs !== null
      ? new ProgressWatchdog({
          notifier,
          intervalMs: notifier.watchdogIntervalMs,
          stallAfterMs: notifier.watchdogIntervalMs * STALL_INTERVALS,
          statusText: () => `running: ${results} frames, ${fps().toFixed(1)} fps`,
        })
      : null;

  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      logger.warn({ signal }, 'second signal: exiting without flushing');
      process.exit(130);
    }
    logger.info({ signal }, 'stopping: finishing the frame in flight and flushing sinks');
    void notifier.stopping('stopping: flushing results');
    stop.abort();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  try {
    const outcome = await runFlight(config, secrets, logger, {
      ...(opts.maxFrames !== undefined ? { maxFrames: opts.maxFrames } : {}),
      ...(opts.out !== undefined ? { outPath: opts.out } : {}),
      signal: stop.signal,
      onResult: (result) => {
        results++;
        watchdog?.progress();
        if (results === 1) {
          backoff.recordSuccess();
          // READY=1 only now: the model is loaded and a real frame went all the way through.
          void notifier.ready(`running: first frame classified (seq ${result.seq})`);
          watchdog?.start();
        }
      },
    });
    watchdog?.stop();
    await notifier.stopping(`flight ${outcome.flightId} finished: ${outcome.summary.results} results`);
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    const extra: Record<string, string> = { flight: outcome.flightId, model: outcome.modelDescription, 'model sha256': outcome.modelSha256.slice(0, 16) };
    if (outcome.resultsFile) extra['results file'] = outcome.resultsFile;
    Object.assign(extra, deliveryRows(outcome));
    if (stop.signal.aborted) extra['stopped by'] = 'signal (graceful)';
    process.stdout.write(`${renderSummaryTable(outcome.summary, extra)}\n`);
    // The service's warnings go to its log (journald), like every other: stderr stays for what stops it.
    if (outcome.modelNotice !== null) logger.warn({ model: outcome.modelDescription }, outcome.modelNotice);
    return flightExitCode(outcome, stop.signal.aborted);
  } catch (error) {
    // A configuration fault is not restarted (exit 78); anything else may be cured by a restart, after a backoff.
    if (exitCodeFor(error) !== EXIT.config) backoff.recordFailure((error as Error).message);
    throw error;
  } finally {
    watchdog?.stop();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}
