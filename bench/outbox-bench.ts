// Measures results/s through the durable outbox and a real Mosquitto on loopback, and the latency the outbox adds per result (write() until durable).
// Usage: npm run build && node dist/bench/outbox-bench.js [--results N] [--paced N] [--json FILE]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { connectAsync } from 'mqtt';
import { silentLogger } from '../src/platform/logger.js';
import { percentile } from '../src/pipeline/metrics.js';
import { MqttLink } from '../src/publish/mqtt-link.js';
import { OutboxMqttSink } from '../src/publish/outbox-mqtt-sink.js';
import { RESULT_SCHEMA_VERSION, ResultSchema, type Result } from '../src/publish/result-schema.js';

const MOSQUITTO = '/usr/sbin/mosquitto';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function startBroker(dir: string): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...(process.getuid?.() === 0 ? ['user root'] : []), 'log_dest stderr', ''].join('\n'),
  );
  const child = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      log += chunk;
      if (/ running\b/.test(log)) resolve();
    });
    child.once('exit', (code) => reject(new Error(`outbox bench: ${MOSQUITTO} exited (${String(code)}): ${log}`)));
  });
  return { url: `mqtt://127.0.0.1:${port}`, stop: () => child.kill('SIGKILL') };
}

/** A result as the pipeline makes it (about 1 KB of JSON with top-5 and a position). */
function result(seq: number): Result {
  return ResultSchema.parse({
    schemaVersion: RESULT_SCHEMA_VERSION,
    droneId: 'bench-drone',
    flightId: 'bench-flight',
    seq,
    capturedAt: new Date(Date.UTC(2026, 0, 1) + seq * 100).toISOString(),
    timeSource: 'sensor',
    frame: { name: `frame-${seq}.jpg` },
    position: {
      latDeg: 41.03,
      lonDeg: -83.3,
      altMslM: 276,
      altAglM: 60,
      source: 'fixed',
      fixType: 3,
      hdop: 0.9,
      satellites: 12,
      sampleAgeMs: 0,
      courseDeg: null,
      attitude: null,
    },
    positionReason: null,
    target: null,
    footprint: null,
    footprintReason: 'bench',
    top: Array.from({ length: 5 }, (_, i) => ({ index: i, label: `class ${i}`, score: 0.1 })),
    model: { name: 'resnet18', sha256: 'a'.repeat(64), precision: 'int8' },
    timingsMs: { decode: 4, preprocess: 3, inference: 30, total: 38 },
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { results: { type: 'string', default: '5000' }, paced: { type: 'string', default: '500' }, json: { type: 'string' } },
  });
  const total = Number(values.results);
  const pacedCount = Number(values.paced);
  const dir = mkdtempSync(join(tmpdir(), 'fieldeye-outbox-bench-'));
  const broker = await startBroker(dir);
  try {
    const subscriber = await connectAsync(broker.url, { protocolVersion: 5, clientId: 'bench-ground', reconnectPeriod: 0 });
    const arrivals = new Map<number, number>();
    let done: () => void = () => undefined;
    const allArrived = new Promise<void>((resolve) => (done = resolve));
    subscriber.on('message', (_topic, payload) => {
      const seq = (JSON.parse(payload.toString('utf8')) as { seq: number }).seq;
      if (!arrivals.has(seq)) arrivals.set(seq, performance.now());
      if (arrivals.size === total + pacedCount) done();
    });
    await subscriber.subscribeAsync('fieldeye/v1/bench-drone/result', { qos: 1 });

    const mqtt = await MqttLink.connect(
      { url: broker.url, protocolVersion: 5, clientId: 'bench-drone', topicPrefix: 'fieldeye/v1/bench-drone/', connectTimeoutMs: 5_000, keepaliveS: 30 },
      silentLogger,
    );
    const sink = OutboxMqttSink.open(
      mqtt,
      { outbox: { path: join(dir, 'outbox.sqlite'), maxMessages: 1_000_000, maxAgeS: 0, inflightWindow: 32, drainTimeoutMs: 60_000 } },
      silentLogger,
    );

    // 1. Paced, one result at a time (a live camera): each write is its own commit + fsync.
    const pacedMs: number[] = [];
    const writtenAt = new Map<number, number>();
    for (let seq = 0; seq < pacedCount; seq += 1) {
      const t0 = performance.now();
      writtenAt.set(seq, t0);
      await sink.write(result(seq));
      pacedMs.push(performance.now() - t0);
    }
    const endToEndPaced = (): number[] => [...writtenAt.entries()].map(([seq, t]) => (arrivals.get(seq) ?? NaN) - t).filter((x) => Number.isFinite(x));

    // 2. Throughput: the rest as fast as the outbox and the broker take them (group commit batches a loop turn's writes).
    const t0 = performance.now();
    const writes: Array<Promise<void>> = [];
    for (let seq = pacedCount; seq < pacedCount + total; seq += 1) {
      writes.push(sink.write(result(seq)));
      if (seq % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(writes);
    const durableMs = performance.now() - t0;
    await allArrived;
    const deliveredMs = performance.now() - t0;

    const sorted = [...pacedMs].sort((a, b) => a - b);
    const e2e = endToEndPaced().sort((a, b) => a - b);
    const report = {
      when: new Date().toISOString(),
      node: process.version,
      outbox: 'better-sqlite3 12, WAL, synchronous=FULL, tmpdir ' + tmpdir(),
      pacedResults: pacedCount,
      outboxAddedLatencyMs: { p50: percentile(sorted, 50), p99: percentile(sorted, 99) },
      pacedWriteToSubscriberMs: { p50: percentile(e2e, 50), p99: percentile(e2e, 99) },
      burstResults: total,
      burstDurablePerS: (total * 1000) / durableMs,
      burstDeliveredPerS: (total * 1000) / deliveredMs,
    };
    await sink.close();
    await subscriber.endAsync();
    const f = (x: number): string => x.toFixed(2);
    process.stdout.write(
      [
        '| measure | value |',
        '|---|---|',
        `| outbox write() until durable, paced (p50 / p99) | ${f(report.outboxAddedLatencyMs.p50)} / ${f(report.outboxAddedLatencyMs.p99)} ms |`,
        `| write() to subscriber, paced (p50 / p99) | ${f(report.pacedWriteToSubscriberMs.p50)} / ${f(report.pacedWriteToSubscriberMs.p99)} ms |`,
        `| burst: results/s made durable | ${report.burstDurablePerS.toFixed(0)} |`,
        `| burst: results/s delivered to a subscriber (outbox + Mosquitto, loopback) | ${report.burstDeliveredPerS.toFixed(0)} |`,
        '',
      ].join('\n'),
    );
    if (values.json !== undefined) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  } finally {
    broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`outbox bench: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
