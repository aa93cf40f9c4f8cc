// ClockReference with real GPS time: MAVLink SYSTEM_TIME from a second process, gpsd fed by gpsfake; and the unsynchronised-clock warning.
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame-source.js';
import { GpsdPositionSource } from '../../src/geo/gpsd-position-source.js';
import { DEFAULT_TRACK_OPTIONS } from '../../src/geo/track.js';
import { ClockReference } from '../../src/pipeline/clock-reference.js';
import { checkClockSync } from '../../src/platform/clock-sync.js';
import { capturingLogger } from '../support/capturing-logger.js';
import { startGpsfake } from '../support/gpsfake.js';
import { openLiveMavlink, startFlightSender } from '../support/mavlink-flight.js';
import { freeLoopbackPort } from '../support/mosquitto.js';
import { curvedPath, distanceM, interpolateLogged, nmeaFor } from '../support/nmea-track.js';
import { until } from '../support/until.js';

function frame(capturedAtMs: number, timeSource: Frame['timeSource'] = 'sensor'): Frame {
  return { seq: 0, capturedAtMs, timeSource, bytes: Buffer.alloc(0), name: 'f0' };
}

const WARN = 40;

describe('ClockReference', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('MAVLink SYSTEM_TIME 5 s ahead: the offset is measured, warned about once, and gps stamps move frames onto GPS time', async () => {
    const source = await openLiveMavlink({ type: 'udp', host: '127.0.0.1', port: 0 });
    cleanups.push(() => source.close());
    const { logger, lines } = capturingLogger();
    const gps = new ClockReference({ reference: 'gps', warnOffsetMs: 1_000, logger });
    gps.useGpsTime(() => source.gpsTime());
    const system = new ClockReference({ reference: 'system', warnOffsetMs: 1_000, logger: capturingLogger().logger });
    system.useGpsTime(() => source.gpsTime());

    // Before any GPS time: this computer's clock, said so.
    expect(gps.stamp(frame(1_000)).clock).toEqual({ source: 'system', synchronised: null, systemMinusGpsMs: null });

    await startFlightSender(`udp:${source.port}`, { phases: [{ armed: false, ms: 2_500 }], gpsAheadMs: 5_000 }).done;
    const measured = source.gpsTime();
    expect(measured?.from).toBe('MAVLink SYSTEM_TIME');
    // GPS time is 5 s ahead of this clock; the estimate carries the smallest loopback delay on top (ms clocks: ±1 ms).
    expect(measured!.systemMinusGpsMs).toBeGreaterThanOrEqual(-5_002);
    expect(measured!.systemMinusGpsMs).toBeLessThan(-4_900);

    const t = Date.now();
    const stamped = gps.stamp(frame(t));
    expect(stamped.capturedAtMs).toBe(t - measured!.systemMinusGpsMs);
    expect(stamped.clock).toEqual({ source: 'gps', synchronised: null, systemMinusGpsMs: Math.round(measured!.systemMinusGpsMs) });
    // A frame's own time (EXIF) is never moved; the system reference leaves live frames alone but reports the offset.
    expect(gps.stamp(frame(t, 'exif'))).toEqual({
      capturedAtMs: t,
      clock: { source: 'frame', synchronised: null, systemMinusGpsMs: Math.round(measured!.systemMinusGpsMs) },
    });
    expect(system.stamp(frame(t)).capturedAtMs).toBe(t);
    expect(system.stamp(frame(t)).clock.source).toBe('system');
    expect(gps.health()).toMatchObject({ reference: 'gps', source: 'gps', gpsTimeFrom: 'MAVLink SYSTEM_TIME' });

    for (let i = 0; i < 5; i++) gps.stamp(frame(t + i));
    const warnings = lines().filter((l) => l['level'] === WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!['msg']).toMatch(/^system clock is -5\.0 s off GPS time: results are stamped with GPS time/);
    // MAVLink tracks are on this computer's clock already: lookups are not shifted.
    expect(gps.lookups(source)).toBe(source);
  });

  it('gpsd (gpsfake) with GPS time a minute ahead: measured from TPV times; with the gps reference frames find their positions', async () => {
    const port = await freeLoopbackPort();
    const source = await GpsdPositionSource.open({
      host: '127.0.0.1',
      port,
      track: DEFAULT_TRACK_OPTIONS,
      waitForSampleMs: 0,
      reconnectMinMs: 100,
      reconnectMaxMs: 400,
    });
    cleanups.push(() => source.close());
    // The receiver's time runs 60 s ahead of this computer's clock; gpsfake replays it at one epoch per second.
    const points = curvedPath(Math.ceil((Date.now() + 60_000) / 1000) * 1000, 12);
    const fake = await startGpsfake(nmeaFor(points), port, 1 / 6);
    cleanups.push(() => fake.stop());
    await until(`four TPVs (${fake.stderr()})`, () => source.stats.tpv >= 4);

    const measured = source.gpsTime();
    expect(measured?.from).toBe('gpsd TPV time');
    // Replay started a second or two after the log's first time was "now + 60 s": the offset is -60 s plus that.
    expect(measured!.systemMinusGpsMs).toBeGreaterThan(-60_000);
    expect(measured!.systemMinusGpsMs).toBeLessThan(-55_000);

    const { logger } = capturingLogger();
    const gps = new ClockReference({ reference: 'gps', warnOffsetMs: 1_000, logger });
    gps.useGpsTime(() => source.gpsTime());
    const system = new ClockReference({ reference: 'system', warnOffsetMs: 1_000, logger });
    system.useGpsTime(() => source.gpsTime());

    // A frame captured a moment ago by this computer's clock.
    const t = Date.now() - 1_200;
    const onSystem = await system.lookups(source).positionFor(frame(t));
    expect(onSystem.position).toBeNull();
    expect(onSystem.reason).toMatch(/before the oldest position sample/);
    const onGps = await gps.lookups(source).positionFor(frame(t));
    expect(onGps.position, onGps.reason).not.toBeNull();
    const gpsTime = gps.stamp(frame(t)).capturedAtMs;
    expect(distanceM(onGps.position!, interpolateLogged(points, gpsTime))).toBeLessThan(0.5);
  });

  it('a system clock that is not synchronised: one warning at start, and results and health say so', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fieldeye-clock-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    // Stand-in timedatectl (no systemd here): it answers as timedated does on an unsynchronised machine.
    const timedatectl = join(dir, 'timedatectl');
    await writeFile(timedatectl, '#!/bin/sh\necho no\n');
    await chmod(timedatectl, 0o755);
    const sync = await checkClockSync({ timesyncFlagPath: join(dir, 'absent'), timedatectl });
    const { logger, lines } = capturingLogger();
    const clock = new ClockReference({ reference: 'system', warnOffsetMs: 1_000, logger });
    clock.setSync(sync, 'and frames get the position of another moment');
    const warnings = lines().filter((l) => l['level'] === WARN);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!['msg']).toMatch(/^system clock not synchronised: capturedAt is off and frames get the position of another moment/);
    expect(clock.stamp(frame(5_000)).clock).toEqual({ source: 'system', synchronised: false, systemMinusGpsMs: null });
    expect(clock.health()).toEqual({ reference: 'system', source: 'system', synchronised: false, systemMinusGpsMs: null, gpsTimeFrom: null });
  });

  it('recorded input (replay, demo): the same unsynchronised clock is said at debug only, and results still carry it', () => {
    const { logger, lines } = capturingLogger();
    const clock = new ClockReference({ reference: 'system', warnOffsetMs: 1_000, logger });
    clock.setSync({ synchronized: false, evidence: 'timedatectl: NTPSynchronized=no' }, 'and frames get the position of another moment', false);
    expect(lines().map((l) => [l['level'], l['msg']])).toEqual([[20, 'system clock check (recorded input: results keep the recorded times)']]);
    expect(clock.stamp(frame(5_000)).clock.synchronised).toBe(false);
  });
});
