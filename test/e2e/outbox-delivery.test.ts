// End to end: `fieldeye run` through the durable outbox loses nothing when the broker goes away for 10 s, when the
// process is killed with SIGKILL and started again, and the Last Will says `offline` when the process dies.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FlightSchema } from '../../src/publish/flight-schema.js';
import { HealthSchema } from '../../src/publish/health-schema.js';
import { ResultSchema, type Result } from '../../src/publish/result-schema.js';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { startCollector, type CollectedMessage, type MqttCollector } from '../support/mqtt-collector.js';
import { makeFrames } from '../support/make-frames.js';
import { CLI, REPO_ROOT } from '../support/run-cli.js';
import { startTcpProxy } from '../support/tcp-proxy.js';

const FRAMES = 300;
let work: string;
let framesDir: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-outbox-e2e-'));
  framesDir = join(work, 'frames');
  await makeFrames(framesDir, FRAMES);
}, 120_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startRun(config: string, extraArgs: string[] = []): Running {
  const child = spawn(process.execPath, [CLI, 'run', '--config', config, ...extraArgs], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => out, exited };
}

function writeConfig(name: string, lines: string[]): string {
  const file = join(work, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function resultsOf(messages: readonly CollectedMessage[]): Result[] {
  return messages.filter((m) => m.topic.endsWith('/result')).map((m) => ResultSchema.parse(JSON.parse(m.text)));
}

/** Polls `condition` every 50 ms; throws with `what` when `timeoutMs` passes (a hung test names what it waited for). */
async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function outboxRows(path: string): Array<{ flight_id: string; seq: number }> {
  const db = new Database(path);
  try {
    return db.prepare('SELECT flight_id, seq FROM outbox ORDER BY id').all() as Array<{ flight_id: string; seq: number }>;
  } finally {
    db.close();
  }
}

/** A subscriber whose session outlives its connection (MQTT 5: clean false and a session expiry). */
function persistentCollector(url: string, topic: string, clientId: string): Promise<MqttCollector> {
  return startCollector(url, topic, {
    clientOptions: { clientId, clean: false, properties: { sessionExpiryInterval: 600 }, reconnectPeriod: 500 },
  });
}

function commonConfig(drone: string, flight: string, url: string, outbox: string): string[] {
  return [
    `droneId: ${drone}`,
    `flightId: ${flight}`,
    'log: { level: info }',
    `source: { type: images, dir: ${framesDir} }`,
    'position: { type: none }',
    'sinks:',
    '  mqtt:',
    `    url: "${url}"`,
    '    keepaliveS: 2',
    '    reconnectMinMs: 200',
    '    reconnectMaxMs: 1000',
    '    healthIntervalS: 1',
    `    outbox: { path: ${outbox}, drainTimeoutMs: 120000 }`,
  ];
}

describe('fieldeye run with the durable outbox against a real Mosquitto', () => {
  it('the broker stops for 10 s mid-flight: a persistent subscriber gets every seq, in order, exactly once after dedupe', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldeye-outage-broker-'));
    let broker: MosquittoBroker = await startMosquitto({ dir });
    const subscriber = await persistentCollector(broker.url, 'fieldeye/v1/outage-drone/#', `outage-ground-${process.pid}`);
    try {
      const config = writeConfig('outage.yaml', commonConfig('outage-drone', 'outage-flight', broker.url, join(work, 'outage.sqlite')));
      const run = startRun(config);
      await until('the first 20 results', () => resultsOf(subscriber.messages).length >= 20, 120_000);

      await broker.stop();
      const receivedBeforeOutage = resultsOf(subscriber.messages).length;
      await new Promise((resolve) => setTimeout(resolve, 10_000));
      broker = await startMosquitto({ dir, port: broker.port });

      const { code } = await run.exited;
      expect(code, run.stdout()).toBe(0);
      await until('every seq', () => new Set(resultsOf(subscriber.messages).map((r) => r.seq)).size >= FRAMES, 30_000).catch(() => undefined);

      // The outage really was in the middle of the flight.
      expect(receivedBeforeOutage).toBeLessThan(FRAMES);
      const results = resultsOf(subscriber.messages);
      const firstSeen: number[] = [];
      const seen = new Set<string>();
      for (const r of results) {
        const key = `${r.flightId}/${r.seq}`;
        if (seen.has(key)) continue;
        seen.add(key);
        firstSeen.push(r.seq);
      }
      expect(firstSeen).toEqual(Array.from({ length: FRAMES }, (_, i) => i));
      // A resent result is the same message: same seq, same capture time, same bytes.
      const bySeq = new Map<number, string>();
      for (const m of subscriber.messages.filter((x) => x.topic.endsWith('/result'))) {
        const seq = (JSON.parse(m.text) as Result).seq;
        const earlier = bySeq.get(seq);
        if (earlier !== undefined) expect(m.text).toBe(earlier);
        bySeq.set(seq, m.text);
      }
      // The link-loss was logged as a state, and the flight finished normally.
      expect(run.stdout()).toContain('mqtt link: link down, retrying');
      expect(run.stdout()).toContain('mqtt outbox sink closed: every result acknowledged by the broker');

      // The other topics: a retained flight document and schema-valid health reports.
      const flight = subscriber.messages.filter((m) => m.topic === 'fieldeye/v1/outage-drone/flight');
      expect(flight.length).toBeGreaterThanOrEqual(1);
      const doc = FlightSchema.parse(JSON.parse(flight[0]?.text ?? ''));
      expect(doc.flightId).toBe('outage-flight');
      const health = subscriber.messages.filter((m) => m.topic === 'fieldeye/v1/outage-drone/health').map((m) => HealthSchema.parse(JSON.parse(m.text)));
      expect(health.length).toBeGreaterThan(0);
      expect(health.every((h) => h.flightId === 'outage-flight' && h.link === 'up')).toBe(true);
    } finally {
      await subscriber.close();
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('SIGKILL mid-flight, then a restart: every result that reached the outbox is delivered, the earlier flight first', async () => {
    const broker = await startMosquitto();
    const proxy = await startTcpProxy(broker.port);
    const subscriber = await persistentCollector(broker.url, 'fieldeye/v1/kill-drone/result', `kill-ground-${process.pid}`);
    const outbox = join(work, 'kill.sqlite');
    try {
      const first = startRun(writeConfig('kill-a.yaml', commonConfig('kill-drone', 'kill-flight-a', proxy.url, outbox)));
      await until('the first 10 results', () => resultsOf(subscriber.messages).length >= 10, 120_000);
      // The radio link dies: results pile up in the outbox while the pipeline goes on.
      proxy.setPaused(true);
      proxy.cut();
      await until('20 results queued in the outbox', () => outboxRows(outbox).length >= 20, 120_000);
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');

      const queued = outboxRows(outbox).filter((r) => r.flight_id === 'kill-flight-a');
      const before = resultsOf(subscriber.messages).filter((r) => r.flightId === 'kill-flight-a');
      const reached = Math.max(...queued.map((r) => r.seq), ...before.map((r) => r.seq));
      expect(reached).toBeLessThan(FRAMES - 1);

      proxy.setPaused(false);
      const second = startRun(writeConfig('kill-b.yaml', commonConfig('kill-drone', 'kill-flight-b', proxy.url, outbox)), ['--max-frames', '5']);
      const { code } = await second.exited;
      expect(code, second.stdout()).toBe(0);
      expect(second.stdout()).toContain('outbox: opened with results left by an earlier run');
      await until(
        'flight a up to its last queued seq',
        () => {
          const seqs = new Set(
            resultsOf(subscriber.messages)
              .filter((r) => r.flightId === 'kill-flight-a')
              .map((r) => r.seq),
          );
          return seqs.size >= reached + 1;
        },
        30_000,
      ).catch(() => undefined);

      const all = resultsOf(subscriber.messages);
      const flightA = new Set(all.filter((r) => r.flightId === 'kill-flight-a').map((r) => r.seq));
      expect([...flightA].sort((a, b) => a - b)).toEqual(Array.from({ length: reached + 1 }, (_, i) => i));
      const flightB = new Set(all.filter((r) => r.flightId === 'kill-flight-b').map((r) => r.seq));
      expect([...flightB].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
      // What the killed run left went out before the new flight's first result.
      const lastA = all.map((r) => r.flightId).lastIndexOf('kill-flight-a');
      const firstB = all.map((r) => r.flightId).indexOf('kill-flight-b');
      expect(lastA).toBeLessThan(firstB);
      expect(outboxRows(outbox)).toEqual([]);
    } finally {
      await subscriber.close();
      await proxy.close();
      await broker.stop();
    }
  }, 240_000);

  it('status turns offline through the Last Will when the process dies', async () => {
    const broker = await startMosquitto();
    const status = await startCollector(broker.url, 'fieldeye/v1/will-drone/status');
    try {
      const run = startRun(writeConfig('will.yaml', commonConfig('will-drone', 'will-flight', broker.url, join(work, 'will.sqlite'))));
      await until('status online', () => status.messages.some((m) => m.text === 'online'), 120_000);
      run.child.kill('SIGKILL');
      await run.exited;
      const seen = await status.waitFor(2, 10_000);
      expect(seen.map((m) => m.text)).toEqual(['online', 'offline']);
      // Retained, so a ground station that connects later also learns the drone is gone.
      const late = await startCollector(broker.url, 'fieldeye/v1/will-drone/status');
      const retained = await late.waitFor(1, 2_000);
      await late.close();
      expect(retained.map((m) => [m.text, m.retain])).toEqual([['offline', true]]);
    } finally {
      await status.close();
      await broker.stop();
    }
  }, 120_000);
});
