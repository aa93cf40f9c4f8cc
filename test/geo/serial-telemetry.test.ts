// NMEA and MAVLink over a serial device: a real pseudo-terminal pair made by socat stands for the cable (hardware boundary).
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame-source.js';
import { NmeaPositionSource } from '../../src/geo/nmea-position-source.js';
import { DEFAULT_TRACK_OPTIONS } from '../../src/geo/track.js';
import { openLiveMavlink, startFlightSender } from '../support/mavlink-flight.js';
import { curvedPath, distanceM, interpolateLogged, nmeaFor } from '../support/nmea-track.js';
import { startPtyPair, type PtyPair } from '../support/socat-pty.js';
import { until } from '../support/until.js';

const TRACK = { ...DEFAULT_TRACK_OPTIONS, retentionMs: 3_600_000 };

function frameAt(capturedAtMs: number): Frame {
  return { seq: 0, capturedAtMs, timeSource: 'sensor', bytes: Buffer.alloc(0), name: 'f0' };
}

/** Writes text to the peer end in pieces of 1 to 61 bytes, cut anywhere, as a UART delivers it. */
function writeInPieces(peer: string, text: string): void {
  const fd = openSync(peer, constants.O_WRONLY | constants.O_NOCTTY);
  try {
    const bytes = Buffer.from(text, 'latin1');
    for (let at = 0, k = 0; at < bytes.length; k++) {
      const n = 1 + ((k * 37) % 61);
      writeSync(fd, bytes.subarray(at, at + n));
      at += n;
    }
  } finally {
    closeSync(fd);
  }
}

describe('telemetry over a serial device (socat pseudo-terminals)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function ptys(name: string): Promise<{ dir: string; pair: PtyPair }> {
    const dir = await mkdtemp(join(tmpdir(), 'fieldeye-serial-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const pair = await startPtyPair(dir, name);
    cleanups.push(() => pair.stop());
    return { dir, pair };
  }

  it('NMEA: sentences cut anywhere are reassembled, garbage is counted, positions interpolate; unplugged and back is a link state', async () => {
    const { dir, pair } = await ptys('gps');
    const source = await NmeaPositionSource.open({
      input: { type: 'serial', path: pair.device, baudRate: 9600 },
      track: TRACK,
      waitForSampleMs: 0,
      linkTimeoutMs: 60_000,
    });
    cleanups.push(() => source.close());

    const points = curvedPath(Date.UTC(2026, 10, 27, 12, 0, 0), 10);
    // Two garbled lines: a bad checksum and a line cut short by noise.
    writeInPieces(
      pair.peer,
      nmeaFor(points.slice(0, 5)) + '$GPGGA,120005.00,4102.09,N,08318.31,W,1,10,0.9,300.0,M,-33.0,M,,*00\r\n$GPRMC,1200\r\n' + nmeaFor(points.slice(5)),
    );
    await until('the last epoch', () => source.track.newestMs === points[9]!.timeMs);
    const t = points[3]!.timeMs + 600;
    const got = await source.positionFor(frameAt(t));
    expect(got.position, got.reason).not.toBeNull();
    expect(distanceM(got.position!, interpolateLogged(points, t))).toBeLessThan(0.05);
    expect(source.stats.badChecksum).toBe(1);
    expect(source.stats.malformed).toBe(1);
    const up = source.health();
    expect(up).toMatchObject({
      type: 'nmea',
      input: 'serial',
      link: 'up',
      fixType: 3,
      satellites: 10,
      hdop: 0.9,
      garbled: 2,
      droppedPackets: null,
      linkLosses: 0,
    });

    // The adapter is unplugged: the link goes down with the device named, in health and in position reasons.
    await pair.stop();
    await until('the link to go down', () => source.link.state === 'down');
    expect(source.health()).toMatchObject({ link: 'down', linkLosses: 1 });
    expect(source.health().linkDetail).toMatch(/^serial device .*gps-device: /);
    const lost = await source.positionFor(frameAt(points[9]!.timeMs + 10_000));
    expect(lost.position).toBeNull();
    expect(lost.reason).toMatch(/^stale: .*; nmea link down since .*serial device/);

    // Plugged in again (the same path): reopened by itself, data flows again.
    const again = await startPtyPair(dir, 'gps');
    cleanups.push(() => again.stop());
    await until('the device to be reopened', () => source.link.state === 'up', 20_000);
    const later = curvedPath(points[9]!.timeMs + 60_000, 5);
    await until('data after reopening', () => {
      writeInPieces(again.peer, nmeaFor(later));
      return source.track.newestMs === later[4]!.timeMs;
    });
    expect(source.link.state).toBe('up');
    expect((await source.positionFor(frameAt(later[2]!.timeMs + 300))).position).not.toBeNull();
  });

  it('MAVLink: a vehicle writing packets cut anywhere, with lost packets counted by sequence number', async () => {
    const { pair } = await ptys('fc');
    const source = await openLiveMavlink({ type: 'serial', path: pair.device, baudRate: 57600 });
    cleanups.push(() => source.close());
    const sender = startFlightSender(`tty:${pair.peer}`, { phases: [{ armed: false, ms: 2_000 }], dropEvery: 7 });
    const report = await sender.done;
    await until('the last HEARTBEAT', () => source.stats.heartbeats >= 3);
    expect(report.dropped).toBeGreaterThan(5);
    expect(source.stats.packets.crcErrors).toBe(0);
    expect(source.stats.seqGaps).toBe(report.dropped);
    const health = source.health();
    expect(health).toMatchObject({ type: 'mavlink', input: 'serial', link: 'up', droppedPackets: report.dropped, fixType: 3, satellites: 15, hdop: 0.7 });
    const got = await source.positionFor(frameAt((source.track.newestMs as number) - 150));
    expect(got.position, got.reason).not.toBeNull();
    expect(got.position?.altAglM).toBeCloseTo(100, 3);
  });

  it('a device that cannot be opened at start is a startup error naming the key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fieldeye-serial-missing-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    await expect(
      NmeaPositionSource.open({ input: { type: 'serial', path: join(dir, 'ttyUSB9'), baudRate: 4800 }, track: TRACK, waitForSampleMs: 0, linkTimeoutMs: 3000 }),
    ).rejects.toThrow(/^position\.nmea\.serial: cannot open NMEA serial device .*ttyUSB9 at 4800 baud: stty: .*No such file/);
  });
});
