// NMEA sentences with a valid checksum but values that cannot be true are garbled, not no-fix epochs; GGA with fewer than 3 satellites used is no fix.
import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Frame } from '../../src/capture/frame-source.js';
import { NmeaDecoder } from '../../src/geo/nmea-decoder.js';
import { NmeaPositionSource } from '../../src/geo/nmea-position-source.js';
import { nmeaChecksum, parseNmeaSentence } from '../../src/geo/nmea-sentence.js';
import { DEFAULT_TRACK_OPTIONS, type FixSample } from '../../src/geo/track.js';
import { curvedPath, distanceM, interpolateLogged, nmeaFor } from '../support/nmea-track.js';

/** A sentence with its real checksum, so only its values can be wrong. */
function sentence(body: string): string {
  return `$${body}*${nmeaChecksum(body)}`;
}

const gga = (fields: { t?: string; lat?: string; ns?: string; lon?: string; ew?: string; q?: string; sats?: string; hdop?: string; alt?: string } = {}) =>
  sentence(
    `GPGGA,${fields.t ?? '120000.00'},${fields.lat ?? '4807.038'},${fields.ns ?? 'N'},${fields.lon ?? '01131.000'},${fields.ew ?? 'E'},` +
      `${fields.q ?? '1'},${fields.sats ?? '08'},${fields.hdop ?? '0.9'},${fields.alt ?? '545.4'},M,46.9,M,,`,
  );
const rmc = (fields: { t?: string; status?: string; lat?: string; speed?: string; course?: string; date?: string } = {}) =>
  sentence(
    `GNRMC,${fields.t ?? '120000.00'},${fields.status ?? 'A'},${fields.lat ?? '4807.038'},N,01131.000,E,` +
      `${fields.speed ?? '022.4'},${fields.course ?? '084.4'},${fields.date ?? '271126'},003.1,W`,
  );

// Each checksum is right; each value cannot be true.
const IMPOSSIBLE: Array<[string, string, RegExp]> = [
  ['-5 satellites used', gga({ sats: '-5' }), /satellites used -5 is negative/],
  ['2.5 satellites used', gga({ sats: '2.5' }), /satellites used 2\.5 is not a whole number/],
  ['satellites "nan"', gga({ sats: 'nan' }), /satellites used "nan" is not a number/],
  ['latitude 91.5', gga({ lat: '9130.000' }), /latitude 9130\.000 is beyond 90 degrees/],
  ['longitude 181.5', gga({ lon: '18130.000' }), /longitude 18130\.000 is beyond 180 degrees/],
  ['75 minutes of latitude', gga({ lat: '4875.000' }), /latitude 4875\.000: 75 minutes/],
  ['latitude "NaN"', gga({ lat: 'NaN' }), /latitude "NaN" is not/],
  ['negative latitude digits', gga({ lat: '-4807.038' }), /latitude "-4807\.038" is not/],
  ['hemisphere X', gga({ ns: 'X' }), /latitude 4807\.038 with hemisphere "X"/],
  ['longitude hemisphere N', gga({ ew: 'N' }), /longitude 01131\.000 with hemisphere "N"/],
  ['latitude without its hemisphere', gga({ ns: '' }), /hemisphere ""/],
  ['latitude without a longitude', gga({ lon: '', ew: '' }), /a latitude without a longitude/],
  ['HDOP -1', gga({ hdop: '-1.0' }), /HDOP -1\.0 is negative/],
  ['HDOP "NaN"', gga({ hdop: 'NaN' }), /HDOP "NaN" is not a number/],
  ['altitude "inf"', gga({ alt: 'inf' }), /altitude "inf" is not a number/],
  ['fix quality x', gga({ q: 'x' }), /fix quality "x"/],
  ['hour 25', gga({ t: '250000.00' }), /time 250000\.00 does not exist/],
  ['minute 61', gga({ t: '126100.00' }), /time 126100\.00 does not exist/],
  ['time "12:00:00"', gga({ t: '12:00:00' }), /time "12:00:00" is not hhmmss/],
  ['30 February', rmc({ date: '300226' }), /date 300226 does not exist/],
  ['month 13', rmc({ date: '011326' }), /date 011326 does not exist/],
  ['day 0', rmc({ date: '001126' }), /date 001126 does not exist/],
  ['RMC status X', rmc({ status: 'X' }), /RMC status "X"/],
  ['speed -3 knots', rmc({ speed: '-3.0' }), /speed -3\.0 is negative/],
  ['course 400', rmc({ course: '400.0' }), /course 400\.0 is beyond 360 degrees/],
  ['GSA mode 7', sentence('GPGSA,A,7,01,02,03,04,,,,,,,,,1.5,0.9,1.2'), /fix mode 7/],
  ['GSA HDOP -0.9', sentence('GPGSA,A,3,01,02,03,04,,,,,,,,,1.5,-0.9,1.2'), /HDOP -0\.9 is negative/],
  ['ZDA 32 January', sentence('GPZDA,120000.00,32,01,2026,00,00'), /date 32\/01\/2026 does not exist/],
  ['ZDA two-digit year', sentence('GPZDA,120000.00,27,11,26,00,00'), /date 27\/11\/26 is not dd\/mm\/yyyy/],
  ['GNS mode letters ZZ', sentence('GNGNS,120000.00,4807.038,N,01131.000,E,ZZ,08,0.9,545.4,46.9,,'), /mode indicators "ZZ"/],
  ['GLL status Q', sentence('GPGLL,4807.038,N,01131.000,E,120000.00,Q,A'), /GLL status "Q"/],
  ['VTG course -10', sentence('GPVTG,-10.0,T,,M,022.4,N,041.5,K,A'), /course -10\.0 is negative/],
];

describe('NMEA sentences with a valid checksum and impossible values', () => {
  it.each(IMPOSSIBLE)('%s: malformed, with the field named', (_what, line, detail) => {
    const parsed = parseNmeaSentence(line);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.why).toBe('malformed');
    expect(parsed.detail).toMatch(detail);
  });

  it('counts every one as garbled (like a bad checksum), keeps decoding, and none of their values reaches a sample', () => {
    const samples: FixSample[] = [];
    const d = new NmeaDecoder((s) => samples.push(s));
    d.line(rmc({ t: '115959.00' }));
    d.line(gga({ t: '115959.00' }));
    for (const [, line] of IMPOSSIBLE) d.line(line);
    d.line(rmc({ t: '120001.00' }));
    d.line(gga({ t: '120001.00', lat: '4807.040' }));
    d.flush();
    expect(d.stats.malformed).toBe(IMPOSSIBLE.length);
    expect(d.stats.badChecksum).toBe(0);
    expect(d.stats.noFixEpochs).toBe(0);
    const finals = [...new Map(samples.map((s) => [s.timeMs, s])).values()];
    expect(finals.map((s) => s.timeMs)).toEqual([Date.UTC(2026, 10, 27, 11, 59, 59), Date.UTC(2026, 10, 27, 12, 0, 1)]);
    // Early (provisional) emissions included: only the good sentences' values.
    for (const s of samples) {
      expect(s.fix).not.toBeNull();
      expect(s.satellites === 8 || s.satellites === null).toBe(true);
      expect(Math.abs(s.fix!.latDeg)).toBeLessThan(49);
    }
    for (const s of finals) expect(s).toMatchObject({ satellites: 8, hdop: 0.9, fixType: 3 });
  });

  it('still takes the edges of what is possible, and empty fields as "no value"', () => {
    const possible = [
      gga({ lat: '9000.000', lon: '18000.000', ew: 'W' }),
      gga({ t: '235960.50' }), // a leap second
      gga({ q: '0', sats: '00', hdop: '0.0' }),
      rmc({ date: '290224', course: '360.0', speed: '0.0' }), // 29 February 2024
      sentence('GPGGA,,,,,,0,,,,,,,,'), // Quectel before its first fix
      sentence('GPRMC,,V,,,,,,,,,,N'),
      sentence('GPZDA,,,,,,'),
      sentence('GPGSA,A,1,,,,,,,,,,,,,,,'),
      sentence('GNGNS,120000.00,,,,,NN,00,,,,,'),
    ];
    for (const line of possible) expect(parseNmeaSentence(line), line).toMatchObject({ ok: true });
  });
});

describe('GGA with fewer than 3 satellites used (gpsd: no fix)', () => {
  function finals(lines: string[]): FixSample[] {
    const samples: FixSample[] = [];
    const d = new NmeaDecoder((s) => samples.push(s));
    for (const l of lines) d.line(l);
    d.flush();
    return [...new Map(samples.map((s) => [s.timeMs, s])).values()];
  }

  it.each(['00', '01', '02'])('quality 1 with %s satellites is a no-fix epoch, even with RMC "A" in the same epoch', (sats) => {
    const [s] = finals([rmc(), gga({ sats })]);
    expect(s).toMatchObject({ fix: null, fixType: 0, satellites: Number(sats) });
    // GGA before RMC: the RMC's "A" does not bring the fix back either.
    const [t] = finals([gga({ sats }), rmc()]);
    expect(t).toMatchObject({ fix: null, fixType: 0 });
  });

  it('3 satellites is a fix, and an empty satellites field (unknown) keeps the fix', () => {
    expect(finals([rmc(), gga({ sats: '03' })])[0]?.fix).not.toBeNull();
    const [s] = finals([rmc(), gga({ sats: '' })]);
    expect(s?.fix).not.toBeNull();
    expect(s?.satellites).toBeNull();
  });

  it('on the real haicom-305N log: the epoch with quality 1 and 0 satellites is no fix, as gpsd reported for its GGA', () => {
    const log = new URL('../fixtures/nmea/haicom-305N.log', import.meta.url);
    const samples: FixSample[] = [];
    const d = new NmeaDecoder((s) => samples.push(s));
    for (const l of readFileSync(log, 'latin1').split(/\r?\n/)) d.line(l);
    d.flush();
    const at = Date.UTC(2007, 3, 8, 9, 53, 4, 802);
    const epoch = samples.filter((s) => s.timeMs === at);
    expect(epoch.length).toBeGreaterThan(0);
    // The final emission (and no provisional one) for that epoch: no fix, 0 satellites.
    expect(epoch.every((s) => s.fix === null)).toBe(true);
    expect(epoch.at(-1)).toMatchObject({ fix: null, fixType: 0, satellites: 0 });
    expect(d.stats.malformed + d.stats.badChecksum).toBe(0);
    // gpsd's own output: the report right after that GGA line is mode 1 (no fix).
    const chk = readFileSync(new URL('../fixtures/nmea/haicom-305N.log.chk', import.meta.url), 'latin1').split('\n');
    const i = chk.findIndex((l) => l.startsWith('$GPGGA,095304.802,'));
    expect(chk[i]).toContain(',1,00,');
    expect(JSON.parse(chk[i + 1] as string)).toMatchObject({ class: 'TPV', mode: 1 });
    // Before, frames near it were geotagged from this position, 9.2 m from the next (4-satellite) fix.
    const next = samples.find((s) => s.timeMs > at && s.fix)!;
    console.log(
      `haicom-305N 09:53:04.802 (quality 1, 0 satellites): no fix now; its position was ${distanceM({ latDeg: -(27 + 12.652 / 60), lonDeg: 153 + 3.1397 / 60 }, next.fix!).toFixed(2)} m from the next fix`,
    );
  });
});

describe('NmeaPositionSource over a log with impossible values (the file a replay or run reads)', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('satellites -5 and latitude 91 never reach a position; health counts them as garbled', async () => {
    const points = curvedPath(Date.UTC(2026, 10, 27, 12, 0, 0), 10);
    const epochs = nmeaFor(points).trim().split('\r\n');
    // nmeaFor writes 6 sentences per epoch: GGA, GSA, 3 x GSV, RMC.
    const at = (epoch: number, kind: 'GGA' | 'RMC') => epoch * 6 + (kind === 'GGA' ? 0 : 5);
    const ggaOf = (epoch: number) => epochs[at(epoch, 'GGA')] as string;
    const swap = (epoch: number, kind: 'GGA' | 'RMC', from: RegExp, to: string) => {
      const line = epochs[at(epoch, kind)] as string;
      const body = line.slice(1, line.lastIndexOf('*')).replace(from, to);
      expect(body).not.toBe(line.slice(1, line.lastIndexOf('*')));
      epochs[at(epoch, kind)] = sentence(body);
    };
    // Epoch 3: the GGA says -5 satellites used (the RMC is fine). Epoch 6: GGA and RMC at latitude 91.5 N.
    swap(3, 'GGA', /,1,10,/, ',1,-5,');
    swap(6, 'GGA', /,\d{4}\.\d{5},N,/, ',9130.00000,N,');
    swap(6, 'RMC', /,\d{4}\.\d{5},N,/, ',9130.00000,N,');
    expect(ggaOf(3)).toContain(',-5,');
    const dir = await mkdtemp(join(tmpdir(), 'fieldeye-nmea-impossible-'));
    const path = join(dir, 'flight.nmea');
    await writeFile(path, epochs.join('\r\n') + '\r\n');

    const source = await NmeaPositionSource.open({
      input: { type: 'file', path },
      track: { ...DEFAULT_TRACK_OPTIONS, retentionMs: 3_600_000 },
      waitForSampleMs: 0,
      linkTimeoutMs: 3000,
    });
    cleanups.push(() => source.close());
    expect(source.health().garbled).toBe(3);
    expect(source.stats).toMatchObject({ malformed: 3, badChecksum: 0, noFixEpochs: 0, epochs: 9 });

    const frame = (capturedAtMs: number): Frame => ({ seq: 0, capturedAtMs, timeSource: 'sensor', bytes: Buffer.alloc(0), name: 'f' });
    const without6 = points.filter((_, i) => i !== 6);
    for (let t = points[0]!.timeMs; t <= points[9]!.timeMs; t += 250) {
      const got = await source.positionFor(frame(t));
      expect(got.position, `${new Date(t).toISOString()}: ${got.reason}`).not.toBeNull();
      const p = got.position!;
      expect(p.latDeg).toBeLessThan(90);
      expect(p.satellites === 10 || p.satellites === null, `satellites ${p.satellites}`).toBe(true);
      // Where the log's good epochs put it: epoch 6 is bridged from 5 to 7, epoch 3 from its RMC.
      expect(distanceM(p, interpolateLogged(without6, t))).toBeLessThan(0.05);
    }
    // The epoch whose GGA was garbled comes from its RMC alone: position yes, a satellite count no.
    expect((await source.positionFor(frame(points[3]!.timeMs))).position?.satellites).toBeNull();
  });
});
