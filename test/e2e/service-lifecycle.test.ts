// `fieldeye run` as systemd runs it: READY=1 after the first classified frame, WATCHDOG=1 while frames
// flow, STOPPING=1 at the end (fake NOTIFY_SOCKET); SIGTERM mid-flight stops gracefully: exit 0, every
// result that was emitted is in the results file with contiguous seq, and status turns offline.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResultSchema } from '../../src/publish/result-schema.js';
import { startFakeNotifySocket, type FakeNotifySocket } from '../support/fake-notify-socket.js';
import { startMosquitto, type MosquittoBroker } from '../support/mosquitto.js';
import { startCollector } from '../support/mqtt-collector.js';
import { CLI, REPO_ROOT, runCli } from '../support/run-cli.js';

const FLIGHT = join(REPO_ROOT, 'test/fixtures/sample-flight');
let work: string;
let notify: FakeNotifySocket;
let broker: MosquittoBroker;

/** A long flight: the sample frames repeated under new names (same pixels and tags). */
function longFlight(copies: number): string {
  const dir = join(work, `long-${copies}`);
  mkdirSync(dir);
  const frames = readdirSync(FLIGHT).filter((f) => f.endsWith('.jpg'));
  for (let i = 0; i < copies; i++) {
    const f = frames[i % frames.length] as string;
    copyFileSync(join(FLIGHT, f), join(dir, `c${String(i).padStart(4, '0')}-${f}`));
  }
  return dir;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-service-'));
  notify = await startFakeNotifySocket();
  broker = await startMosquitto();
});
afterAll(async () => {
  notify?.close();
  await broker?.stop();
});

describe('fieldeye run under systemd', () => {
  it('sends READY after the first frame, WATCHDOG while running, STOPPING at the end', async () => {
    const config = join(work, 'notify.yaml');
    writeFileSync(config, `source: { type: images, dir: ${longFlight(60)} }\nsinks: { mqtt: { enabled: false } }\nmodel: { intraOpThreads: 1 }\n`);
    // WatchdogSec=0.2s: pings every 100 ms, so a 60-frame run must ping several times.
    const run = await runCli(['run', '--config', config], { NOTIFY_SOCKET: notify.path, WATCHDOG_USEC: '200000' });
    expect(run.code, run.stderr).toBe(0);
    const kinds = notify.messages.map((m) => /(READY|WATCHDOG|STOPPING)=1/.exec(m)?.[1]).filter(Boolean);
    expect(kinds[0]).toBe('READY');
    expect(kinds.at(-1)).toBe('STOPPING');
    expect(kinds.filter((k) => k === 'WATCHDOG').length).toBeGreaterThanOrEqual(1);
    expect(notify.messages.find((m) => m.includes('READY=1'))).toMatch(/STATUS=running: first frame classified \(seq 0\)/);
  });

  it('SIGTERM mid-flight: finishes the frame in flight, flushes, publishes offline, exits 0', async () => {
    const out = join(work, 'sigterm.jsonl');
    const config = join(work, 'sigterm.yaml');
    writeFileSync(
      config,
      `droneId: sig-drone\nsource: { type: images, dir: ${longFlight(400)} }\nsinks: { mqtt: { url: "${broker.url}" } }\nmodel: { intraOpThreads: 1 }\n`,
    );
    const status = await startCollector(broker.url, 'fieldeye/v1/sig-drone/status');
    const results = await startCollector(broker.url, 'fieldeye/v1/sig-drone/result');
    const child = spawn(process.execPath, [CLI, 'run', '--config', config, '--out', out], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    await results.waitFor(5, 60_000);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, stdout).toBe(0);
    expect(stdout).toMatch(/stopped by\s+\| signal \(graceful\)/);

    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => ResultSchema.parse(JSON.parse(l)));
    expect(lines.length).toBeGreaterThanOrEqual(5);
    expect(lines.length).toBeLessThan(400);
    expect(lines.map((r) => r.seq)).toEqual(lines.map((_, i) => i));
    const published = await results.waitFor(lines.length, 10_000);
    expect(published.map((m) => ResultSchema.parse(JSON.parse(m.text)).seq)).toEqual(lines.map((r) => r.seq));
    const st = await status.waitFor(2, 10_000);
    expect(st.map((m) => m.text).at(-1)).toBe('offline');
    await status.close();
    await results.close();
  });
});
