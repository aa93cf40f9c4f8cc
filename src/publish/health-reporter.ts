// Publishes the `health` document every few seconds while the link is up: rates, latency, drops, outbox state, CPU temperature.
import type { Logger } from '../platform/logger.js';
import { readSocTemperatureC, readThrottleFlags } from '../platform/thermal.js';
import type { PipelineMetrics } from '../pipeline/metrics.js';
import { HEALTH_SCHEMA_VERSION, HealthSchema, type Health } from './health-schema.js';
import type { OutboxMqttSinkStats } from './outbox-mqtt-sink.js';

export interface HealthReporterDeps {
  droneId: string;
  flightId: string;
  intervalS: number;
  metrics: PipelineMetrics;
  outboxStats: () => OutboxMqttSinkStats;
  linkUp: () => boolean;
  /** QoS 0, not retained: a stale health report is worth nothing, so none is queued while the link is down. */
  publish: (health: Health) => Promise<void>;
  logger: Logger;
  now?: () => number;
  cpuTempC?: () => Promise<number | null>;
  /** Firmware throttle bits; default: vcgencmd where it exists. */
  throttled?: () => Promise<number | null>;
  /** The live camera's state, when the source is a camera. */
  camera?: () => Health['camera'];
}

export interface HealthReporter {
  /** Builds and publishes one report now (the timer calls this; tests too). */
  report(): Promise<Health | null>;
  stop(): void;
}

export function startHealthReporter(deps: HealthReporterDeps): HealthReporter {
  const now = deps.now ?? Date.now;
  const cpuTempC = deps.cpuTempC ?? (() => readSocTemperatureC());
  const throttled = deps.throttled ?? (() => readThrottleFlags().then((f) => f?.raw ?? null));
  let windowStartMs = now();
  let windowFromResult = deps.metrics.results;

  const report = async (): Promise<Health | null> => {
    const at = now();
    const window = deps.metrics.window(windowFromResult);
    const windowS = Math.max(0, (at - windowStartMs) / 1000);
    windowStartMs = at;
    windowFromResult = deps.metrics.results;
    const stats = deps.outboxStats();
    const failed = Object.values(deps.metrics.failedByStage).reduce((sum, n) => sum + n, 0);
    const health: Health = {
      schemaVersion: HEALTH_SCHEMA_VERSION,
      droneId: deps.droneId,
      flightId: deps.flightId,
      at: new Date(at).toISOString(),
      windowS,
      fps: windowS > 0 ? window.results / windowS : 0,
      latencyMs: window.latencyMs,
      frames: deps.metrics.frames,
      results: deps.metrics.results,
      drops: failed + deps.metrics.droppedTotal(),
      outbox: {
        depth: stats.depth,
        oldestAgeMs: stats.oldestAgeMs,
        dropped: stats.droppedFull + stats.droppedAge,
        refused: stats.refused,
      },
      link: deps.linkUp() ? 'up' : 'down',
      cpuTempC: await cpuTempC(),
      throttled: await throttled(),
      camera: deps.camera?.() ?? null,
    };
    HealthSchema.parse(health);
    if (health.link === 'down') return health;
    try {
      await deps.publish(health);
    } catch (error) {
      deps.logger.debug({ err: (error as Error).message }, 'health report not published');
    }
    return health;
  };

  const timer =
    deps.intervalS > 0
      ? setInterval(() => {
          void report();
        }, deps.intervalS * 1000)
      : undefined;
  timer?.unref();
  return {
    report,
    stop: () => clearInterval(timer),
  };
}
