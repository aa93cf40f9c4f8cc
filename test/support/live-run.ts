// Shared by the live end-to-end tests: `fieldeye run` on a STAND-IN camera (no camera here) publishing to a real Mosquitto,
// started as a child process the test stops with SIGTERM.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { HealthSchema, type Health } from '../../src/publish/health-schema.js';
import { ResultSchema, type Result } from '../../src/publish/result-schema.js';
import { startMosquitto, type MosquittoBroker } from './mosquitto.js';
import { startCollector, type MqttCollector } from './mqtt-collector.js';
import { makeI420Frames, standinEnv } from './rpicam-standin.js';
import { CLI, REPO_ROOT } from './run-cli.js';
import { until } from './until.js';

export { until };

export interface LiveRunSetup {
  /** A temporary folder for the test file (configs, outbox, recordings). */
  work(): string;
  broker(): MosquittoBroker;
}

/** Registers beforeAll/afterAll: a work folder with stand-in yuv420 frames (448x256, stride 512) and a Mosquitto. */
export function useLiveRunSetup(prefix: string): LiveRunSetup {
  let work = '';
  let broker: MosquittoBroker | undefined;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), prefix));
    makeI420Frames(join(work, 'yuv'), 3, 448, 256, 512);
    broker = await startMosquitto();
  }, 60_000);
  afterAll(async () => {
    await broker?.stop();
    rmSync(work, { recursive: true, force: true });
  });
  return { work: () => work, broker: () => broker as MosquittoBroker };
}

export interface LiveRun {
  collector: MqttCollector;
  /** stdout and stderr so far (for assertion messages). */
  output(): string;
  results(): Result[];
  health(): Health[];
  /** SIGTERM (graceful, as systemd stops it); resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL if still running, and the collector closed: for `finally`. */
  dispose(): Promise<void>;
}

/**
 * Writes the config (droneId, the stand-in camera at 10 fps, no thermal cap, MQTT to the broker with health every
 * second, plus `lines`), subscribes to the drone's topics, starts `fieldeye run`, and waits for its first results.
 */
export async function startLiveRun(setup: LiveRunSetup, droneId: string, lines: string[]): Promise<LiveRun> {
  const work = setup.work();
  const broker = setup.broker();
  const config = join(work, `${droneId}.yaml`);
  writeFileSync(
    config,
    [
      `droneId: ${droneId}`,
      'log: { level: info }',
      'source: { type: rpicam, codec: yuv420, widthPx: 448, heightPx: 256, strideBytes: 512, framerateFps: 10 }',
      'thermal: { enabled: false }',
      `sinks: { mqtt: { url: "${broker.url}", healthIntervalS: 1, outbox: { path: ${join(work, `${droneId}.sqlite`)} } } }`,
      ...lines,
    ].join('\n') + '\n',
  );
  const collector = await startCollector(broker.url, `fieldeye/v1/${droneId}/#`);
  const child = spawn(process.execPath, [CLI, 'run', '--config', config], {
    cwd: REPO_ROOT,
    env: standinEnv(join(work, 'yuv')).env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const run: LiveRun = {
    collector,
    output: () => out,
    results: () => collector.messages.filter((m) => m.topic.endsWith('/result')).map((m) => ResultSchema.parse(JSON.parse(m.text))),
    health: () => collector.messages.filter((m) => m.topic.endsWith('/health')).map((m) => HealthSchema.parse(JSON.parse(m.text))),
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
    dispose: async () => {
      if (child.exitCode === null) child.kill('SIGKILL');
      await collector.close();
    },
  };
  try {
    await until(`the first results (${out.slice(-2000)})`, () => run.results().length >= 3, 120_000);
  } catch (err) {
    await run.dispose();
    throw err;
  }
  return run;
}
