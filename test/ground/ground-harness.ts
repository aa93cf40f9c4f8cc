// Test helpers for the ground process: runs dist/src/ground/ground-main.js as a child (so a test can SIGKILL it),
// writes its config, and publishes drone results at full speed with mqtt.js like a drone's forwarder does (QoS 1).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { stringify } from 'yaml';
import { afterAll, beforeAll } from 'vitest';
import { startPostgis, type PostgisServer } from '../support/postgis.js';
import { until } from '../support/until.js';
import { groundResult } from './ground-samples.js';

export const GROUND_MAIN = resolve(import.meta.dirname, '../../dist/src/ground/ground-main.js');

export interface GroundChild {
  readonly child: ChildProcess;
  /** pino JSON lines so far. */
  lines(): Array<Record<string, unknown>>;
  output(): string;
  waitFor(what: string, match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  kill(): Promise<void>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

export async function writeGroundConfig(file: string, config: Record<string, unknown>): Promise<string> {
  await writeFile(file, stringify(config));
  return file;
}

/** Every ground process a test started and that has not exited: a failed or timed-out test must not leave one behind. */
const running = new Set<ChildProcess>();

/** SIGKILLs what is still running; call from afterAll in every file that starts the ground process. */
export async function killGrounds(): Promise<void> {
  const left = [...running];
  await Promise.all(left.map((child) => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill('SIGKILL')))));
}

/** Starts the ground process and waits until it has subscribed. */
export async function startGround(configFile: string): Promise<GroundChild> {
  if (!existsSync(GROUND_MAIN)) throw new Error(`${GROUND_MAIN} is missing: run \`npm run build\` first (npm test does)`);
  const child = spawn(process.execPath, [GROUND_MAIN, '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  running.add(child);
  const exited = new Promise<number | null>((r) =>
    child.once('exit', (code) => {
      running.delete(child);
      r(code);
    }),
  );
  const lines = (): Array<Record<string, unknown>> =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const handle: GroundChild = {
    child,
    lines,
    output: () => out,
    exited,
    waitFor: async (what, match, timeoutMs = 30_000) => {
      let found: Record<string, unknown> | undefined;
      await until(
        `${what}; ground output so far:\n${out}`,
        () => {
          found = lines().find(match);
          return found !== undefined || child.exitCode !== null;
        },
        timeoutMs,
      );
      if (found === undefined) throw new Error(`ground exited (${String(child.exitCode)}) before ${what}:\n${out}`);
      return found;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      return await exited;
    },
  };
  await handle.waitFor('the ground process to subscribe', (l) => l.msg === 'ground: subscribed');
  return handle;
}

export interface Publisher {
  /** Resolves when the broker has acknowledged every result (PUBACK). */
  done: Promise<void>;
  acknowledged(): number;
  close(): Promise<void>;
}

/** Publishes results 0..count-1 of one flight as fast as the broker takes them (QoS 1, like the drone's forwarder). */
export async function publishFlight(url: string, droneId: string, flightId: string, count: number): Promise<Publisher> {
  const client: MqttClient = await connectAsync(url, {
    protocolVersion: 5,
    clientId: `test-drone-${droneId}-${process.pid}`,
    reconnectPeriod: 0,
  });
  let acked = 0;
  const topic = `fieldeye/v1/${droneId}/result`;
  const done = (async () => {
    const window = 64;
    const inflight = new Set<Promise<unknown>>();
    for (let seq = 0; seq < count; seq += 1) {
      const p = client.publishAsync(topic, JSON.stringify(groundResult(droneId, flightId, seq)), { qos: 1 }).then(() => {
        acked += 1;
        inflight.delete(p);
      });
      inflight.add(p);
      if (inflight.size >= window) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  })();
  return { done, acknowledged: () => acked, close: () => client.endAsync(true) };
}

/** A temp folder and a throwaway PostGIS cluster for one test file, both removed after it. */
export function withTempDirAndPostgis(prefix: string): { readonly dir: string; readonly server: PostgisServer } {
  const state: { dir: string; server?: PostgisServer } = { dir: '' };
  beforeAll(async () => {
    state.dir = await mkdtemp(join(tmpdir(), prefix));
    state.server = await startPostgis();
  });
  afterAll(async () => {
    await state.server?.stop();
    if (state.dir !== '') await rm(state.dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return state.dir;
    },
    get server() {
      if (!state.server) throw new Error('PostGIS is not started yet: use it inside a test');
      return state.server;
    },
  };
}
