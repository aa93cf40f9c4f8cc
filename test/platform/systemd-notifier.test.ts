// sd_notify through the real systemd-notify CLI into a fake NOTIFY_SOCKET; the progress watchdog's policy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SystemdNotifier } from '../../src/platform/systemd-notifier.js';
import { ProgressWatchdog } from '../../src/platform/progress-watchdog.js';
import { silentLogger } from '../../src/platform/logger.js';
import { startFakeNotifySocket, type FakeNotifySocket } from '../support/fake-notify-socket.js';

let socket: FakeNotifySocket;

beforeAll(async () => {
  socket = await startFakeNotifySocket();
});
afterAll(() => socket?.close());

describe('SystemdNotifier', () => {
  it('is a no-op without NOTIFY_SOCKET (running by hand, under tests)', async () => {
    const n = new SystemdNotifier({ env: {}, logger: silentLogger });
    expect(n.enabled).toBe(false);
    expect(n.watchdogIntervalMs).toBeNull();
    await n.ready('x');
  });

  it('sends READY with STATUS, WATCHDOG and STOPPING that systemd would read', async () => {
    const n = new SystemdNotifier({ env: { ...process.env, NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '30000000' }, logger: silentLogger });
    expect(n.watchdogIntervalMs).toBe(15_000);
    await n.ready('classifying, 12.5 fps');
    await n.watchdog();
    await n.stopping('flushing outbox');
    const ready = await socket.waitFor(/READY=1/);
    expect(ready).toContain('STATUS=classifying, 12.5 fps');
    expect(ready).toContain(`MAINPID=${process.pid}`);
    await socket.waitFor(/WATCHDOG=1/);
    await socket.waitFor(/STOPPING=1/);
    // Order is kept: READY before WATCHDOG before STOPPING.
    const order = socket.messages.filter((m) => /READY=1|WATCHDOG=1|STOPPING=1/.test(m)).map((m) => /(READY|WATCHDOG|STOPPING)=1/.exec(m)?.[1]);
    expect(order).toEqual(['READY', 'WATCHDOG', 'STOPPING']);
  });

  it('ignores a watchdog meant for another process', () => {
    const n = new SystemdNotifier({ env: { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '1000000', WATCHDOG_PID: '1' }, logger: silentLogger });
    expect(n.watchdogIntervalMs).toBeNull();
  });
});

describe('ProgressWatchdog', () => {
  function fakeNotifier() {
    const sent: string[] = [];
    return { sent, notifier: { watchdog: async () => void sent.push('WATCHDOG'), status: async (s: string) => void sent.push(`STATUS ${s}`) } };
  }

  it('pings while frames flow and stops pinging when the pipeline stalls', () => {
    let now = 0;
    const { sent, notifier } = fakeNotifier();
    const dog = new ProgressWatchdog({ notifier, intervalMs: 1000, stallAfterMs: 5000, now: () => now });
    for (let t = 0; t < 10; t++) {
      now += 1000;
      dog.progress();
      expect(dog.tick()).toBe(true);
    }
    now += 6000; // no frame for 6 s
    expect(dog.tick()).toBe(false);
    expect(dog.tick()).toBe(false);
    expect(sent.filter((s) => s === 'WATCHDOG')).toHaveLength(10);
    expect(sent.filter((s) => s.startsWith('STATUS stalled'))).toHaveLength(1);
    dog.progress();
    expect(dog.tick()).toBe(true);
  });

  it('pings the real socket on its timer', async () => {
    const n = new SystemdNotifier({ env: { ...process.env, NOTIFY_SOCKET: socket.path }, logger: silentLogger });
    const before = socket.messages.filter((m) => m.includes('WATCHDOG=1')).length;
    const dog = new ProgressWatchdog({ notifier: n, intervalMs: 50, stallAfterMs: 60_000 });
    dog.start();
    await socket.waitFor(/WATCHDOG=1/);
    while (socket.messages.filter((m) => m.includes('WATCHDOG=1')).length < before + 2) await new Promise((r) => setTimeout(r, 20));
    dog.stop();
    expect(socket.messages.filter((m) => m.includes('WATCHDOG=1')).length).toBeGreaterThanOrEqual(before + 2);
  });
});
