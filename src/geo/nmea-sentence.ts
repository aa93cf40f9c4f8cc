// Parses single NMEA 0183 sentences (GGA, RMC, VTG, GSA, GNS, GLL, ZDA) after verifying their checksum; never throws.

export type NmeaSentence =
  | {
      kind: 'GGA';
      talker: string;
      timeOfDayMs: number | null;
      latDeg: number | null;
      lonDeg: number | null;
      /** 0 invalid, 1 GPS, 2 DGPS, 4 RTK fixed, 5 RTK float, 6 dead reckoning... */
      quality: number;
      satellites: number | null;
      hdop: number | null;
      altMslM: number | null;
    }
  | {
      kind: 'GNS';
      talker: string;
      timeOfDayMs: number | null;
      latDeg: number | null;
      lonDeg: number | null;
      /** False when every constellation's mode character is N (no fix). */
      valid: boolean;
      satellites: number | null;
      hdop: number | null;
      altMslM: number | null;
    }
  | {
      kind: 'RMC';
      talker: string;
      timeOfDayMs: number | null;
      /** UTC midnight of the date field, ms since the epoch. */
      dateMs: number | null;
      valid: boolean;
      latDeg: number | null;
      lonDeg: number | null;
      speedMps: number | null;
      courseDeg: number | null;
    }
  | { kind: 'GLL'; talker: string; timeOfDayMs: number | null; valid: boolean; latDeg: number | null; lonDeg: number | null }
  | { kind: 'VTG'; talker: string; courseDeg: number | null; speedMps: number | null }
  | { kind: 'GSA'; talker: string; mode: number | null; hdop: number | null }
  | { kind: 'ZDA'; talker: string; timeOfDayMs: number | null; dateMs: number | null };

export type NmeaParse =
  | { ok: true; sentence: NmeaSentence }
  | { ok: false; why: 'checksum' | 'malformed' | 'unsupported' | 'proprietary'; detail: string };

const KNOT_MPS = 1852 / 3600;

/** XOR of the characters between "$" (or "!") and "*", as two upper-case hex digits. */
export function nmeaChecksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

function num(field: string | undefined): number | null {
  if (field === undefined || field === '') return null;
  const n = Number(field);
  return Number.isFinite(n) ? n : null;
}

/** hhmmss(.sss) -> ms since midnight. */
function timeOfDay(field: string | undefined): number | null {
  if (!field || !/^\d{6}(\.\d+)?$/.test(field)) return null;
  const h = Number(field.slice(0, 2));
  const m = Number(field.slice(2, 4));
  const s = Number(field.slice(4));
  if (h > 23 || m > 59 || s >= 61) return null;
  return Math.round(((h * 60 + m) * 60 + s) * 1000);
}

/** ddmmyy -> UTC midnight; two-digit years are 1980-2079 (GPS epoch onwards). */
function dateOf(field: string | undefined): number | null {
  if (!field || !/^\d{6}$/.test(field)) return null;
  const d = Number(field.slice(0, 2));
  const mo = Number(field.slice(2, 4));
  const yy = Number(field.slice(4, 6));
  if (d < 1 || d > 31 || mo < 1 || mo > 12) return null;
  return Date.UTC(yy < 80 ? 2000 + yy : 1900 + yy, mo - 1, d);
}

/** (d)ddmm.mmmm + hemisphere -> signed degrees. */
function coord(value: string | undefined, hemi: string | undefined, degDigits: 2 | 3): number | null {
  if (!value || !hemi || !/^\d+(\.\d+)?$/.test(value)) return null;
  const deg = Number(value.slice(0, degDigits));
  const min = Number(value.slice(degDigits));
  if (!Number.isFinite(deg) || !Number.isFinite(min) || min >= 60) return null;
  const v = deg + min / 60;
  if (hemi === 'S' || hemi === 'W') return -v;
  if (hemi === 'N' || hemi === 'E') return v;
  return null;
}

function latLon(f: string[], at: number): { latDeg: number | null; lonDeg: number | null } {
  const latDeg = coord(f[at], f[at + 1], 2);
  const lonDeg = coord(f[at + 2], f[at + 3], 3);
  if (latDeg === null || lonDeg === null || Math.abs(latDeg) > 90 || Math.abs(lonDeg) > 180) {
    return { latDeg: null, lonDeg: null };
  }
  return { latDeg, lonDeg };
}

export function parseNmeaSentence(raw: string): NmeaParse {
  const line = raw.trim();
  const star = line.lastIndexOf('*');
  if (!line.startsWith('$') || star < 0 || star + 3 !== line.length) {
    return { ok: false, why: 'malformed', detail: 'not "$...*hh"' };
  }
  const body = line.slice(1, star);
  const given = line.slice(star + 1).toUpperCase();
  if (nmeaChecksum(body) !== given) return { ok: false, why: 'checksum', detail: `checksum ${given}, computed ${nmeaChecksum(body)}` };
  const f = body.split(',');
  const address = f[0] ?? '';
  if (address.startsWith('P')) return { ok: false, why: 'proprietary', detail: address };
  if (!/^[A-Z]{5}$/.test(address)) return { ok: false, why: 'malformed', detail: `address ${address}` };
  const talker = address.slice(0, 2);
  const type = address.slice(2);
  switch (type) {
    case 'GGA':
    case 'GNS': {
      // Same layout: time, position, then quality (GGA) or per-constellation mode letters (GNS), satellites, HDOP, altitude.
      if (f.length < 10) return { ok: false, why: 'malformed', detail: `${type}: too few fields` };
      const common = { talker, timeOfDayMs: timeOfDay(f[1]), ...latLon(f, 2), satellites: num(f[7]), hdop: num(f[8]), altMslM: num(f[9]) };
      return type === 'GGA'
        ? { ok: true, sentence: { kind: 'GGA', ...common, quality: num(f[6]) ?? 0 } }
        : { ok: true, sentence: { kind: 'GNS', ...common, valid: /[ADFPRE]/.test(f[6] ?? '') } };
    }
    case 'RMC': {
      if (f.length < 10) return { ok: false, why: 'malformed', detail: 'RMC: too few fields' };
      const knots = num(f[7]);
      // NMEA 2.3+ adds a mode indicator; "N" means not valid even when the status says A.
      const modeIndicator = f[12] ?? '';
      return {
        ok: true,
        sentence: {
          kind: 'RMC',
          talker,
          timeOfDayMs: timeOfDay(f[1]),
          dateMs: dateOf(f[9]),
          valid: f[2] === 'A' && modeIndicator !== 'N',
          ...latLon(f, 3),
          speedMps: knots === null ? null : knots * KNOT_MPS,
          courseDeg: num(f[8]),
        },
      };
    }
    case 'GLL':
      if (f.length < 7) return { ok: false, why: 'malformed', detail: 'GLL: too few fields' };
      return {
        ok: true,
        sentence: { kind: 'GLL', talker, timeOfDayMs: timeOfDay(f[5]), valid: f[6] === 'A' && f[7] !== 'N', ...latLon(f, 1) },
      };
    case 'VTG': {
      // Old form: VTG,course,speedKnots? The modern one tags each value: course,T,mag,M,knots,N,kmh,K.
      const knots = f[6] === 'N' ? num(f[5]) : null;
      const kmh = f[8] === 'K' ? num(f[7]) : null;
      const speedMps = knots !== null ? knots * KNOT_MPS : kmh !== null ? kmh / 3.6 : null;
      return { ok: true, sentence: { kind: 'VTG', talker, courseDeg: f[2] === 'T' ? num(f[1]) : null, speedMps } };
    }
    case 'GSA':
      return { ok: true, sentence: { kind: 'GSA', talker, mode: num(f[2]), hdop: num(f[16]) } };
    case 'ZDA': {
      const d = num(f[2]);
      const mo = num(f[3]);
      const y = num(f[4]);
      const dateMs = d !== null && mo !== null && y !== null && d >= 1 && mo >= 1 && mo <= 12 ? Date.UTC(y, mo - 1, d) : null;
      return { ok: true, sentence: { kind: 'ZDA', talker, timeOfDayMs: timeOfDay(f[1]), dateMs } };
    }
    default:
      return { ok: false, why: 'unsupported', detail: address };
  }
}
