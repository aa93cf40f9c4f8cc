// The health report's window: rates and latency since the last report; the report that ends a flight, a moment after
// a periodic one, reaches back over the interval before so a finished flight does not read 0 fps with no latency.
import { describe, expect, it } from 'vitest';
import { startHealthReporter } from '../../src/app/health-reporter.js';
import { PipelineMetrics } from '../../src/pipeline/metrics.js';
import { silentLogger } from '../../src/platform/logger.js';
import type { Health } from '../../src/publish/health-schema.js';

function reporter(intervalS: number) {
  let clock = 1_000_000;
  const metrics = new PipelineMetrics();
  const sent: Health[] = [];
  const health = startHealthReporter({
    droneId: 'd1',
    flightId: 'f1',
    intervalS,
    metrics,
    outboxStats: () => ({ depth: 0, oldestAgeMs: null, droppedFull: 0, droppedAge: 0, carriedOver: 0, appended: 0, delivered: 0, refused: 0, inflight: 0 }),
    linkUp: () => true,
    publish: async (h) => void sent.push(h),
    logger: silentLogger,
    now: () => clock,
    cpuTempC: async () => null,
    throttle: async () => null,
  });
  const results = (n: number, totalMs: number) => {
    for (let i = 0; i < n; i++) metrics.resultDone({ decode: 1, preprocess: 1, inference: totalMs - 2, total: totalMs }, 'crop', true);
  };
  const advance = (ms: number) => void (clock += ms);
  return { health, sent, results, advance };
}

describe('health reporter windows', () => {
  it('covers the time since the last report, and the final report a moment after one reaches back an interval', async () => {
    const { health, sent, results, advance } = reporter(5);
    await health.report(); // at start: nothing yet
    advance(5_000);
    results(10, 40);
    await health.report(); // periodic
    advance(100);
    await health.report(); // the flight ended 0.1 s later, no result in between
    health.stop();
    expect(sent.map((h) => [h.windowS, h.fps, h.latencyMs?.p50 ?? null])).toEqual([
      [0, 0, null],
      [5, 2, 40],
      [5.1, 10 / 5.1, 40],
    ]);
  });

  it('keeps a late final report to its own window', async () => {
    const { health, sent, results, advance } = reporter(5);
    await health.report();
    advance(5_000);
    results(10, 40);
    await health.report();
    advance(3_000);
    results(3, 80);
    await health.report();
    health.stop();
    expect(sent.at(-1)).toMatchObject({ windowS: 3, fps: 1, latencyMs: { p50: 80, p99: 80 } });
  });
});
