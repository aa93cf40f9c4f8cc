// The field morning against a real Mosquitto (password file and ACL): a broker that is not up yet is a link that is
// down, not a lost flight; refusals and brokers that swallow are failures; every count adds up; no password is printed.
// The camera is the stand-in rpicam-vid (no camera here) at 10 fps, so the flight takes real time.
import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthSchema } from '../../src/publish/health-schema.js';
import { ResultSchema, type Result } from '../../src/publish/result-schema.js';
import { startFakeNotifySocket } from '../support/fake-notify-socket.js';
import { makeFrames } from '../support/make-frames.js';
import { freeLoopbackPort, startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { startCollector, type CollectedMessage, type MqttCollector } from '../support/mqtt-collector.js';
import { makeI420Frames, standinEnv } from '../support/rpicam-standin.js';
import { CLI, logLines, REPO_ROOT } from '../support/run-cli.js';
import { until } from '../support/until.js';

const PASSWORD = 'field-s3cret-never-printed';
let work: string;
let framesDir: string;
let yuvDir: string;
let secured: MosquittoBroker;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-field-link-'));
  framesDir = join(work, 'frames');
  await makeFrames(framesDir, 40);
  yuvDir = join(work, 'yuv');
  makeI420Frames(yuvDir, 3, 448, 256, 512);
  // Debian's own mosquitto_passwd writes the hashed password file. "drone3" (MQTT 3.1.1) may send health and flight
  // documents but not results or status, and may read its status; "drone5" may do everything but send results.
  const passwd = join(work, 'passwd');
  execFileSync('/usr/bin/mosquitto_passwd', ['-c', '-b', passwd, 'drone3', PASSWORD]);
  for (const user of ['drone5', 'ground']) execFileSync('/usr/bin/mosquitto_passwd', ['-b', passwd, user, PASSWORD]);
  const acl = join(work, 'acl');
  writeFileSync(
    acl,
    [
      'user drone3',
      'topic write fieldeye/v1/+/health',
      'topic write fieldeye/v1/+/flight',
      'topic read fieldeye/v1/+/status',
      '',
      'user drone5',
      'topic readwrite fieldeye/v1/+/status',
      'topic write fieldeye/v1/+/health',
      'topic write fieldeye/v1/+/flight',
      '',
      'user ground',
      'topic read #',
      '',
    ].join('\n'),
  );
  secured = await startMosquitto({ allowAnonymous: false, extraConfig: [`password_file ${passwd}`, `acl_file ${acl}`] });
}, 120_000);

afterAll(async () => {
  await secured?.stop();
  rmSync(work, { recursive: true, force: true });
});

interface Running {
  child: ChildProcess;
  output: () => string;
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(args: string[], env: NodeJS.ProcessEnv = process.env): Running {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stdout = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, stdout: () => stdout, exited };
}

function config(name: string, lines: string[]): string {
  const file = join(work, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

function mqttLines(url: string, outbox: string, extra: string[] = []): string[] {
  return [
    'sinks:',
    '  mqtt:',
    `    url: "${url}"`,
    '    keepaliveS: 2',
    '    connectTimeoutMs: 3000',
    '    reconnectMinMs: 200',
    '    reconnectMaxMs: 1000',
    '    healthIntervalS: 1',
    ...extra.map((l) => `    ${l}`),
    `    outbox: { path: ${outbox}, drainTimeoutMs: 60000 }`,
  ];
}

function resultsOf(messages: readonly CollectedMessage[]): Result[] {
  return messages.filter((m) => m.topic.endsWith('/result')).map((m) => ResultSchema.parse(JSON.parse(m.text)));
}

function seqsOf(results: readonly Result[], flightId: string): number[] {
  return [...new Set(results.filter((r) => r.flightId === flightId).map((r) => r.seq))].sort((a, b) => a - b);
}

function outboxRows(path: string): Array<{ flight_id: string; seq: number }> {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare('SELECT flight_id, seq FROM outbox ORDER BY id').all() as Array<{ flight_id: string; seq: number }>;
  } finally {
    db.close();
  }
}

/** The closing account the outbox sink logs: where every queued result went. */
function closingAccount(output: string): Record<string, number> {
  const line = logLines(output).find((l) => typeof l['msg'] === 'string' && l['msg'].startsWith('mqtt outbox sink closed'));
  if (!line) throw new Error(`no closing line in:\n${output.slice(-3000)}`);
  return line as unknown as Record<string, number>;
}

/** A subscriber whose session outlives the broker's restarts (MQTT 5: clean false and a session expiry). */
function persistentCollector(url: string, topic: string, clientId: string): Promise<MqttCollector> {
  return startCollector(url, topic, { clientOptions: { clientId, clean: false, properties: { sessionExpiryInterval: 600 }, reconnectPeriod: 300 } });
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('a flight whose broker is not up yet (real Mosquitto, stand-in camera)', () => {
  it('broker down for the first 15 s, a mid-flight outage, SIGKILL and a restart: every (flightId, seq) arrives and the ledger adds up', async () => {
    // The subscriber's session is made while the broker runs, then the broker stops (its persistence keeps the session).
    const dir = mkdtempSync(join(tmpdir(), 'fieldeye-ledger-broker-'));
    const port = await freeLoopbackPort();
    let broker = await startMosquitto({ dir, port });
    const subscriber = await persistentCollector(broker.url, 'fieldeye/v1/ledger/#', `ledger-ground-${process.pid}`);
    await broker.stop();
    const notify = await startFakeNotifySocket();
    const outbox = join(work, 'ledger.sqlite');
    const camera = (flightId: string): string =>
      config(`${flightId}.yaml`, [
        'droneId: ledger',
        `flightId: ${flightId}`,
        'log: { level: info }',
        'source: { type: rpicam, codec: yuv420, widthPx: 448, heightPx: 256, strideBytes: 512, framerateFps: 10 }',
        'thermal: { enabled: false }',
        ...mqttLines(`mqtt://127.0.0.1:${port}`, outbox),
      ]);
    const env = { ...standinEnv(yuvDir).env, NOTIFY_SOCKET: notify.path };
    try {
      const startedMs = Date.now();
      const first = start(['run', '--config', camera('ledger-a')], env);
      // READY=1 goes out with the broker still down: the flight runs, results go to the outbox.
      await notify.waitFor(/READY=1/, 60_000);
      await until('a health report that says the link is down and why', () =>
        logLines(first.output()).some((l) => {
          const health = l['health'] as { link?: string; linkDetail?: string } | undefined;
          return health?.link === 'down' && /ECONNREFUSED/.test(health.linkDetail ?? '');
        }),
      );
      await until('results committed to the outbox while the broker is down', () => outboxRows(outbox).length > 0);
      await new Promise((resolve) => setTimeout(resolve, 15_000 - (Date.now() - startedMs)));
      expect(resultsOf(subscriber.messages)).toEqual([]);

      broker = await startMosquitto({ dir, port });
      await until('the backlog of the first 15 s', () => seqsOf(resultsOf(subscriber.messages), 'ledger-a').length >= 100, 60_000);
      // A mid-flight outage of 4 s.
      await broker.stop();
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      broker = await startMosquitto({ dir, port });
      const received = seqsOf(resultsOf(subscriber.messages), 'ledger-a').length;
      await until('results after the outage', () => seqsOf(resultsOf(subscriber.messages), 'ledger-a').length >= received + 20, 60_000);
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');

      // What the killed run had committed: delivered already, or still in the outbox.
      const leftA = outboxRows(outbox)
        .filter((r) => r.flight_id === 'ledger-a')
        .map((r) => r.seq);
      const committedA = new Set([...seqsOf(resultsOf(subscriber.messages), 'ledger-a'), ...leftA]);
      const producedA = Math.max(...committedA) + 1;

      const second = start(['run', '--config', camera('ledger-b'), '--max-frames', '20'], env);
      const { code } = await second.exited;
      expect(code, second.output()).toBe(0);
      await until(
        'flight a complete and flight b',
        () => seqsOf(resultsOf(subscriber.messages), 'ledger-a').length >= producedA && seqsOf(resultsOf(subscriber.messages), 'ledger-b').length >= 20,
      ).catch(() => undefined);

      const results = resultsOf(subscriber.messages);
      expect(seqsOf(results, 'ledger-a')).toEqual(range(producedA));
      expect(seqsOf(results, 'ledger-b')).toEqual(range(20));
      const account = closingAccount(second.output());
      expect(account['stillQueued']).toBe(0);
      expect(account['dropped']).toBe(0);
      expect(account['carriedOver']).toBe(leftA.length);
      expect(account['carriedOver']! + account['queuedThisRun']!).toBe(
        account['acknowledged']! + account['refused']! + account['dropped']! + account['stillQueued']!,
      );
      expect(outboxRows(outbox)).toEqual([]);
      // The ledger for the closing note: one scripted run.
      const ledger = {
        produced: producedA + 20,
        delivered: seqsOf(results, 'ledger-a').length + seqsOf(results, 'ledger-b').length,
        duplicated: results.length - (seqsOf(results, 'ledger-a').length + seqsOf(results, 'ledger-b').length),
        dropped: account['dropped'],
        stillQueued: account['stillQueued'],
        queuedAtKill: leftA.length,
      };
      console.log(`field-link ledger: ${JSON.stringify(ledger)}`);
      expect(ledger.delivered).toBe(ledger.produced);
    } finally {
      notify.close();
      await subscriber.close();
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);

  it('a full outbox while the broker is away: produced = acknowledged + dropped + still queued, and what arrived is what was acknowledged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fieldeye-full-broker-'));
    const port = await freeLoopbackPort();
    let broker = await startMosquitto({ dir, port });
    const subscriber = await persistentCollector(broker.url, 'fieldeye/v1/full/result', `full-ground-${process.pid}`);
    await broker.stop();
    const outbox = join(work, 'full.sqlite');
    const file = config('full.yaml', [
      'droneId: full',
      'flightId: full-flight',
      'log: { level: info }',
      `source: { type: images, dir: ${framesDir} }`,
      'position: { type: none }',
      'sinks:',
      '  mqtt:',
      `    url: "mqtt://127.0.0.1:${port}"`,
      '    reconnectMinMs: 200',
      '    reconnectMaxMs: 500',
      `    outbox: { path: ${outbox}, maxMessages: 20, inflightWindow: 8, drainTimeoutMs: 60000 }`,
    ]);
    try {
      const run = start(['run', '--config', file]);
      await until('the pipeline to finish', () => run.output().includes('"msg":"flight finished"'), 120_000);
      broker = await startMosquitto({ dir, port });
      const { code } = await run.exited;
      expect(code, run.output()).toBe(0);
      const account = closingAccount(run.output());
      await until('what was acknowledged', () => seqsOf(resultsOf(subscriber.messages), 'full-flight').length >= account['acknowledged']!, 20_000).catch(
        () => undefined,
      );
      const arrived = seqsOf(resultsOf(subscriber.messages), 'full-flight');
      expect(account['queuedThisRun']).toBe(40);
      expect(account['acknowledged']! + account['dropped']! + account['stillQueued']! + account['refused']!).toBe(40);
      expect(account['dropped']).toBeGreaterThan(0);
      expect(arrived.length).toBe(account['acknowledged']);
      expect(account['dropped']).toBe(40 - arrived.length);
      // The newest results survive a full outbox: what arrived is the tail of the flight.
      expect(arrived.at(-1)).toBe(39);
    } finally {
      await subscriber.close();
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('brokers that refuse or swallow, and credentials (password file and ACL)', () => {
  const ground = { clientOptions: { username: 'ground', password: PASSWORD } };

  it('MQTT 3.1.1 with an ACL that denies results and status: said once at start, swallowed in health and preflight, never "delivered", exit 3', async () => {
    const health = await startCollector(secured.url, 'fieldeye/v1/muted3/health', ground);
    const file = config('muted3.yaml', [
      'droneId: muted3',
      'log: { level: info }',
      `source: { type: images, dir: ${framesDir} }`,
      'position: { type: none }',
      ...mqttLines(secured.url, join(work, 'muted3.sqlite'), ['protocolVersion: 4', 'username: drone3', 'passwordEnv: FIELDEYE_MQTT_PASSWORD']),
    ]);
    const env = { ...process.env, FIELDEYE_MQTT_PASSWORD: PASSWORD };
    try {
      const run = start(['run', '--config', file, '--max-frames', '10'], env);
      const { code } = await run.exited;
      const out = run.output();
      expect(code, out).toBe(3);
      expect(out.match(/MQTT 3\.1\.1 cannot report refusals/g)).toHaveLength(1);
      expect(out).not.toMatch(/every result (delivered|acknowledged)/);
      expect(out).toMatch(/broker acknowledged\s+\|\s+10 \(MQTT 3\.1\.1\)/);
      expect(out).toMatch(/publish check\s+\|\s+swallowed/);
      const reports = (await health.waitFor(1, 5_000)).map((m) => HealthSchema.parse(JSON.parse(m.text)));
      expect(reports.at(-1)?.broker).toMatchObject({ protocolVersion: 4, refusalsVisible: false, publishCheck: 'swallowed' });

      const preflight = start(['preflight', '--config', file, '--json'], env);
      const checked = await preflight.exited;
      const report = JSON.parse(preflight.stdout()) as { checks: Array<{ name: string; status: string; detail: string }> };
      const broker = report.checks.find((c) => c.name === 'broker');
      expect(broker?.status).toBe('fail');
      expect(broker?.detail).toMatch(/acknowledged a publish on fieldeye\/v1\/muted3\/preflight\/check but never delivered it/);
      expect(checked.code).toBe(1);
    } finally {
      await health.close();
    }
  }, 120_000);

  it('MQTT 5 with only the result topic denied: every refusal is a sink failure in the summary and health, exit 3; the URL password is printed nowhere', async () => {
    const health = await startCollector(secured.url, 'fieldeye/v1/muted5/health', ground);
    const url = secured.url.replace('mqtt://', `mqtt://drone5:${PASSWORD}@`);
    const file = config('muted5.yaml', [
      'droneId: muted5',
      'log: { level: debug }',
      `source: { type: images, dir: ${framesDir} }`,
      'position: { type: none }',
      ...mqttLines(url, join(work, 'muted5.sqlite')),
    ]);
    try {
      const run = start(['run', '--config', file, '--max-frames', '10']);
      const { code } = await run.exited;
      const out = run.output();
      expect(code, out).toBe(3);
      expect(out).toMatch(/sink failures\s+\|\s+mqtt \(refused by broker\) 10/);
      expect(out).toMatch(/broker refused\s+\|\s+10/);
      expect(out).toContain('drone5:redacted@127.0.0.1');
      expect(out).not.toContain(PASSWORD);
      const reports = (await health.waitFor(1, 5_000)).map((m) => HealthSchema.parse(JSON.parse(m.text)));
      expect(reports.at(-1)?.outbox.refused).toBe(10);
      expect(reports.at(-1)?.broker?.publishCheck).toBe('delivered');
    } finally {
      await health.close();
    }
  }, 120_000);

  it('credentials the broker refuses when it first answers: a configuration error, exit 78, named once, without the password', async () => {
    const url = secured.url.replace('mqtt://', 'mqtt://drone5:not-the-password@');
    const file = config('badpass.yaml', [
      'droneId: badpass',
      `source: { type: images, dir: ${framesDir} }`,
      'position: { type: none }',
      ...mqttLines(url, join(work, 'badpass.sqlite')),
    ]);
    const run = start(['run', '--config', file]);
    const { code } = await run.exited;
    const out = run.output();
    expect(code, out).toBe(78);
    expect(out).toMatch(/fieldeye: mqtt: broker mqtt:\/\/drone5:redacted@127\.0\.0\.1:\d+ refused the connection: Not authorized \(code 135\)/);
    expect(out).not.toContain('not-the-password');
  }, 120_000);
});
