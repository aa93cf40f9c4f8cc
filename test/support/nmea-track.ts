// Writes synthetic NMEA (GGA, GSA, GSV, RMC per epoch) for a known flight path, so tests can compare decoded positions with it.
import { nmeaChecksum } from '../../src/geo/nmea-sentence.js';

export interface TrackPoint {
  timeMs: number;
  latDeg: number;
  lonDeg: number;
  altMslM: number;
}

function dm(v: number, degDigits: 2 | 3): string {
  const a = Math.abs(v);
  const d = Math.floor(a);
  const m = (a - d) * 60;
  return `${String(d).padStart(degDigits, '0')}${m.toFixed(5).padStart(8, '0')}`;
}

function sentence(body: string): string {
  return `$${body}*${nmeaChecksum(body)}`;
}

/** A curved path (a slow turn) at 1 Hz: linear interpolation between epochs is not the truth, only the log's track. */
export function curvedPath(startMs: number, epochs: number, origin = { latDeg: 41.0349, lonDeg: -83.3052 }): TrackPoint[] {
  const points: TrackPoint[] = [];
  for (let i = 0; i < epochs; i++) {
    const heading = (i * 6 * Math.PI) / 180;
    const r = 60; // metres: ~6 m/s around a 60 m turn
    const north = r * Math.sin(heading);
    const east = r * (1 - Math.cos(heading));
    points.push({
      timeMs: startMs + i * 1000,
      latDeg: origin.latDeg + north / 111_132,
      lonDeg: origin.lonDeg + east / (111_320 * Math.cos((origin.latDeg * Math.PI) / 180)),
      altMslM: 300 + i * 0.5,
    });
  }
  return points;
}

/** The NMEA the receiver would send for the points, rounded as a real one rounds (1e-5 minutes). */
export function nmeaFor(points: readonly TrackPoint[], motion = { courseDeg: 45, speedKn: 11.7 }): string {
  const lines: string[] = [];
  for (const p of points) {
    const d = new Date(p.timeMs);
    const hh = String(d.getUTCHours()).padStart(2, '0');
    const mm = String(d.getUTCMinutes()).padStart(2, '0');
    const ss = String(d.getUTCSeconds()).padStart(2, '0');
    const cs = String(Math.floor(d.getUTCMilliseconds() / 10)).padStart(2, '0');
    const t = `${hh}${mm}${ss}.${cs}`;
    const date = `${String(d.getUTCDate()).padStart(2, '0')}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCFullYear() % 100).padStart(2, '0')}`;
    const lat = `${dm(p.latDeg, 2)},${p.latDeg >= 0 ? 'N' : 'S'}`;
    const lon = `${dm(p.lonDeg, 3)},${p.lonDeg >= 0 ? 'E' : 'W'}`;
    lines.push(sentence(`GPGGA,${t},${lat},${lon},1,10,0.9,${p.altMslM.toFixed(1)},M,-33.0,M,,`));
    lines.push(sentence('GPGSA,A,3,01,02,03,04,05,06,07,08,09,10,,,1.5,0.9,1.2'));
    // Satellites in view: gpsd reports SKY (hdop, satellites used) only once it has seen GSV.
    lines.push(sentence('GPGSV,3,1,10,01,40,083,46,02,17,308,41,03,07,344,39,04,22,228,45'));
    lines.push(sentence('GPGSV,3,2,10,05,55,120,44,06,30,050,40,07,65,270,47,08,12,160,38'));
    lines.push(sentence('GPGSV,3,3,10,09,48,010,43,10,25,200,42'));
    // RMC last, as SiRF receivers order it: Debian's gpsd 3.22 then reports SKY (with RMC first it never did here).
    lines.push(sentence(`GPRMC,${t},A,${lat},${lon},${motion.speedKn.toFixed(2)},${motion.courseDeg.toFixed(1)},${date},,,A`));
  }
  return lines.join('\r\n') + '\r\n';
}

/** Metres between two points (local flat earth; fine at drone scales). */
export function distanceM(a: { latDeg: number; lonDeg: number }, b: { latDeg: number; lonDeg: number }): number {
  const dy = (a.latDeg - b.latDeg) * 111_132;
  const dx = (a.lonDeg - b.lonDeg) * 111_320 * Math.cos((a.latDeg * Math.PI) / 180);
  return Math.hypot(dx, dy);
}

/** The log's own track at time t: linear between the two logged points around it (the test's independent oracle). */
export function interpolateLogged(points: readonly TrackPoint[], t: number): { latDeg: number; lonDeg: number } {
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i] as TrackPoint;
    const b = points[i + 1] as TrackPoint;
    if (t >= a.timeMs && t <= b.timeMs) {
      const f = (t - a.timeMs) / (b.timeMs - a.timeMs);
      return { latDeg: a.latDeg + (b.latDeg - a.latDeg) * f, lonDeg: a.lonDeg + (b.lonDeg - a.lonDeg) * f };
    }
  }
  throw new Error(`interpolateLogged: ${t} is outside the logged points`);
}
