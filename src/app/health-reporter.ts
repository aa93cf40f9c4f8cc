// Publishes the `health` document every few seconds while the link is up: rates, latency, drops, outbox state, temperature and throttling.
import type { Logger } from '../platform/logger.js';
import { readSocTemperatureC, readThrottleFlags, type ThrottleFlags } from '../platform/thermal.js';
import type { PipelineMetrics } from '../pipeline/metrics.js';
import { HEALTH_SCHEMA_VERSION, HealthSchema, type Health } from '../publish/health-schema.js';
import type { OutboxMqttSinkStats } from '../publish/outbox-mqtt-sink.js';

export interface HealthReporterDeps {
  droneId: string;
  /** The flight results are published under now (a getter when arming splits the run into flights). */
  flightId: string | (() => string);
  intervalS: number;
  metrics: PipelineMetrics;
  outboxStats: () => OutboxMqttSinkStats;
  linkUp: () => boolean;
  /** Why the link is up or down. */
  linkDetail?: () => string;
  broker?: () => NonNullable<Health['broker']>;
  /** QoS 0, not retained: a stale health report is worth nothing, so none is queued while the link is down. */
  publish: (health: Health) => Promise<void>;
  logger: Logger;
  now?: () => number;
  cpuTempC?: () => Promise<number | null>;
  /** Firmware throttle flags; default: vcgencmd where it exists. */
  throttle?: () => Promise<ThrottleFlags | null>;
  /** The thermal governor's state, when one runs (live camera, thermal.enabled). */
  thermalGovernor?: () => NonNullable<Health['thermal']>['governor'];
  /** The live camera's state, when the source is a camera. */
  camera?: () => Health['camera'];
  /** The live position source's telemetry state. */
  position?: () => Health['position'];
  /** The clock results are stamped with. */
  clock?: () => Health['clock'];
  /** The model and its precision choice (fixed for the run). */
  model?: Health['model'];
}

export interface HealthReporter {
  /** Builds and publishes one report now (the timer calls this; tests too). */
  report(): Promise<Health | null>;
  stop(): void;
}

/** The raw firmware bits (kept for existing subscribers) and, decoded, next to the governor's state. */
function thermalHealth(flags: ThrottleFlags | null, governor: NonNullable<Health['thermal']>['governor']): Pick<Health, 'throttled' | 'thermal'> {
  if (!flags) return { throttled: null, thermal: { firmware: null, governor } };
  const { raw, ...firmware } = flags;
  return { throttled: raw, thermal: { firmware, governor } };
}

/** The pipeline's fault counts, with the camera's restarts as hardware faults (the camera source counts those itself). */
function faultsReport(metrics: PipelineMetrics, camera: Health['camera']): NonNullable<Health['faults']> {
  const last = metrics.lastFault;
  return {
    counts: { ...metrics.faults, hardware: metrics.faults.hardware + (camera?.restarts ?? 0) },
    last: last ? { code: last.code, stage: last.stage, message: last.message, at: new Date(last.atMs).toISOString() } : null,
  };
}

export function startHealthReporter(deps: HealthReporterDeps): HealthReporter {
  const now = deps.now ?? Date.now;
  const cpuTempC = deps.cpuTempC ?? (() => readSocTemperatureC());
  const throttle = deps.throttle ?? (() => readThrottleFlags());
  let current = { startMs: now(), fromResult: deps.metrics.results };
  let previous: typeof current | null = null;

  const report = async (): Promise<Health | null> => {
    const at = now();
    // A report soon after the last one (the one at the end of a flight) reaches back over the last window too: a
    // window of a fraction of a second has no results, and a finished flight would read 0 fps with no latency.
    const short = previous !== null && deps.intervalS > 0 && at - current.startMs < (deps.intervalS * 1000) / 2;
    const from = short && previous ? previous : current;
    const window = deps.metrics.window(from.fromResult);
    const windowS = Math.max(0, (at - from.startMs) / 1000);
    previous = current;
    current = { startMs: at, fromResult: deps.metrics.results };
    const stats = deps.outboxStats();
    const failed = Object.values(deps.metrics.failedByStage).reduce((sum, n) => sum + n, 0);
    const camera = deps.camera?.() ?? null;
    const health: Health = {
      schemaVersion: HEALTH_SCHEMA_VERSION,
      droneId: deps.droneId,
      flightId: typeof deps.flightId === 'string' ? deps.flightId : deps.flightId(),
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
        acknowledged: stats.delivered,
      },
      link: deps.linkUp() ? 'up' : 'down',
      ...(deps.linkDetail ? { linkDetail: deps.linkDetail() } : {}),
      ...(deps.broker ? { broker: deps.broker() } : {}),
      cpuTempC: await cpuTempC(),
      ...thermalHealth(await throttle(), deps.thermalGovernor?.() ?? null),
      camera,
      position: deps.position?.() ?? null,
      clock: deps.clock?.() ?? null,
      model: deps.model ?? null,
      faults: faultsReport(deps.metrics, camera),
    };
    HealthSchema.parse(health);
    if (health.link === 'down') {
      // Not sent (a stale report is worth nothing later), but the drone's own log keeps it: the journal shows
      // what the ground station could not see.
      deps.logger.info({ health }, `health (link down, not published): ${health.linkDetail ?? 'no broker connection'}`);
      return health;
    }
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
