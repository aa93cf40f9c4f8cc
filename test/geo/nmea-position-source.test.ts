// NmeaPositionSource over real UDP and from log files: interpolation at frame times, waiting for the next fix, garbled input.
import { createSocket } from 'node:dgram';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame-source.js';
import { NmeaPositionSource } from '../../src/geo/nmea-position-source.js';
import { DEFAULT_TRACK_OPTIONS } from '../../src/geo/track.js';
import { curvedPath, distanceM, interpolateLogged, nmeaFor } from '../support/nmea-track.js';

function frameAt(capturedAtMs: number, seq = 0): Frame {
  return { seq, capturedAtMs, timeSource: 'sensor', bytes: Buffer.alloc(0), name: `f${seq}` };
}

const TRACK = { ...DEFAULT_TRACK_OPTIONS, retentionMs: 3_600_000 };

describe('NmeaPositionSource', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('reads every real log file and answers at epoch times with the logged fix', async () => {
    for (const name of ['bt451', 'haicom-305N', 'neo-m8n', 'nmea-rtk', 'quectel-eg25-g']) {
      const path = new URL(`../fixtures/nmea/${name}.log`, import.meta.url).pathname;
      const source = await NmeaPositionSource.open({ input: { type: 'file', path }, track: TRACK, waitForSampleMs: 0, linkTimeoutMs: 3000 });
      cleanups.push(() => source.close());
      expect(source.stats.epochs, name).toBeGreaterThan(10);
      const newest = source.track.newestMs as number;
      const got = await source.positionFor(frameAt(newest));
      expect(got.position, `${name}: ${got.reason}`).not.toBeNull();
      expect(got.position?.source).toBe('nmea');
    }
  });

  it('over UDP: waits for the fix after the frame, interpolates, and counts garbage without stopping', async () => {
    const source = await NmeaPositionSource.open({
      input: { type: 'udp', host: '127.0.0.1', port: 0 },
      track: TRACK,
      waitForSampleMs: 30_000,
      linkTimeoutMs: 60_000,
    });
    cleanups.push(() => source.close());
    const sender = createSocket('udp4');
    cleanups.push(() => new Promise<void>((r) => sender.close(() => r())));
    const send = (text: string): Promise<void> =>
      new Promise((resolve, reject) => sender.send(text, source.port as number, '127.0.0.1', (e) => (e ? reject(e) : resolve())));

    const points = curvedPath(Date.UTC(2026, 10, 27, 12, 0, 0), 10);
    const epochs = nmeaFor(points).trim().split('\r\n');
    // Epochs 0..4, each as one datagram, with garbage in between.
    for (let i = 0; i < 5; i++) {
      await send(epochs.slice(i * 6, i * 6 + 6).join('\r\n') + '\r\n');
      await send('$GPGGA,1200,garbled\r\n$GPRMC,truncat');
      await send('$GPXXX,unknown*00\r\n');
    }
    await until(() => source.track.newestMs === points[4]!.timeMs);
    expect(source.link.state).toBe('up');

    // A frame taken between epoch 4 and 5: the lookup waits until epoch 5 arrives, then interpolates.
    const t = points[4]!.timeMs + 400;
    const pending = source.positionFor(frameAt(t));
    await send(epochs.slice(30, 36).join('\r\n') + '\r\n');
    const got = await pending;
    expect(got.position, got.reason).not.toBeNull();
    expect(distanceM(got.position!, interpolateLogged(points, t))).toBeLessThan(0.05);
    expect(got.position?.sampleAgeMs).toBe(400);
    expect(source.stats.badChecksum + source.stats.malformed).toBeGreaterThanOrEqual(10);
  });

  it('reads a log file with a telemetry gap and a lost fix, and says so per frame', async () => {
    const points = curvedPath(Date.UTC(2026, 10, 27, 12, 0, 0), 20);
    const text =
      nmeaFor(points.slice(0, 8)) +
      nmeaFor(points.slice(14)) +
      // After the last epoch the receiver loses its fix.
      '$GPRMC,120020.00,V,,,,,,,271126,,,N*7D\r\n';
    const dir = await mkdtemp(join(tmpdir(), 'fieldeye-nmea-'));
    const path = join(dir, 'gap.nmea');
    await writeFile(path, text);
    const source = await NmeaPositionSource.open({ input: { type: 'file', path }, track: TRACK, waitForSampleMs: 0, linkTimeoutMs: 3000 });
    cleanups.push(() => source.close());
    expect((await source.positionFor(frameAt(points[3]!.timeMs + 500))).position).not.toBeNull();
    expect((await source.positionFor(frameAt(points[10]!.timeMs))).reason).toMatch(/^telemetry gap/);
    expect((await source.positionFor(frameAt(Date.UTC(2026, 10, 27, 12, 0, 19, 800)))).reason).toMatch(/^no GPS fix/);
  });
});

async function until(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
