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

export type NmeaParse = { ok: true; sentence: NmeaSentence } | { ok: false; why: 'checksum' | 'malformed' | 'unsupported' | 'proprietary'; detail: string };

const KNOT_MPS = 1852 / 3600;

/** XOR of the characters between "$" (or "!") and "*", as two upper-case hex digits. */
export function nmeaChecksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

/**
 * A field that is present but cannot be true (latitude 91, minutes 75, -5 satellites, month 13, "nan"): the sentence
 * is garbled even though its checksum matched, and is counted with the bad checksums instead of becoming a no-fix epoch.
 */
class Impossible extends Error {}

/** An empty field is null (the receiver has no value); anything else must be a finite number. */
function num(field: string | undefined, what: string): number | null {
  if (field === undefined || field === '') return null;
  // Number() takes "0x1A", " 5" and "Infinity": a receiver writes plain decimals only.
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(field)) throw new Impossible(`${what} "${field}" is not a number`);
  return Number(field);
}

function atLeastZero(field: string | undefined, what: string): number | null {
  const n = num(field, what);
  if (n !== null && n < 0) throw new Impossible(`${what} ${field} is negative`);
  return n;
}

/** Satellites used: a whole number, never negative. */
function count(field: string | undefined, what: string): number | null {
  const n = atLeastZero(field, what);
  if (n !== null && !Number.isInteger(n)) throw new Impossible(`${what} ${field} is not a whole number`);
  return n;
}

/** Course over ground, degrees from true north. */
function course(field: string | undefined, what: string): number | null {
  const n = atLeastZero(field, what);
  if (n !== null && n > 360) throw new Impossible(`${what} ${field} is beyond 360 degrees`);
  return n;
}

/** hhmmss(.sss) -> ms since midnight. */
function timeOfDay(field: string | undefined): number | null {
  if (field === undefined || field === '') return null;
  if (!/^\d{6}(\.\d+)?$/.test(field)) throw new Impossible(`time "${field}" is not hhmmss`);
  const h = Number(field.slice(0, 2));
  const m = Number(field.slice(2, 4));
  const s = Number(field.slice(4));
  // 60.x is a leap second.
  if (h > 23 || m > 59 || s >= 61) throw new Impossible(`time ${field} does not exist`);
  return Math.round(((h * 60 + m) * 60 + s) * 1000);
}

/** UTC midnight of a calendar date; a day the month does not have (30 February) is impossible. */
function utcDate(year: number, month: number, day: number, field: string): number {
  const ms = Date.UTC(year, month - 1, day);
  if (month < 1 || month > 12 || day < 1 || new Date(ms).getUTCDate() !== day) throw new Impossible(`date ${field} does not exist`);
  return ms;
}

/** ddmmyy -> UTC midnight; two-digit years are 1980-2079 (GPS epoch onwards). */
function dateOf(field: string | undefined): number | null {
  if (field === undefined || field === '') return null;
  if (!/^\d{6}$/.test(field)) throw new Impossible(`date "${field}" is not ddmmyy`);
  const yy = Number(field.slice(4, 6));
  return utcDate(yy < 80 ? 2000 + yy : 1900 + yy, Number(field.slice(2, 4)), Number(field.slice(0, 2)), field);
}

/** (d)ddmm.mmmm + hemisphere -> signed degrees; null when the receiver left the value empty (no position). */
function coord(value: string | undefined, hemi: string | undefined, axis: 'latitude' | 'longitude'): number | null {
  if (value === undefined || value === '') return null;
  const [degDigits, positive, negative, limit] = axis === 'latitude' ? [2, 'N', 'S', 90] : [3, 'E', 'W', 180];
  if (!/^\d+(\.\d+)?$/.test(value)) throw new Impossible(`${axis} "${value}" is not (d)ddmm.mmmm`);
  const deg = Number(value.slice(0, degDigits));
  const min = Number(value.slice(degDigits));
  if (min >= 60) throw new Impossible(`${axis} ${value}: ${min} minutes`);
  const v = deg + min / 60;
  if (v > limit) throw new Impossible(`${axis} ${value} is beyond ${limit} degrees`);
  if (hemi === negative) return -v;
  if (hemi === positive) return v;
  throw new Impossible(`${axis} ${value} with hemisphere "${hemi ?? ''}" (expected ${positive} or ${negative})`);
}

function latLon(f: string[], at: number): { latDeg: number | null; lonDeg: number | null } {
  const latDeg = coord(f[at], f[at + 1], 'latitude');
  const lonDeg = coord(f[at + 2], f[at + 3], 'longitude');
  if ((latDeg === null) !== (lonDeg === null)) throw new Impossible('a latitude without a longitude, or the reverse');
  return { latDeg, lonDeg };
}

/** A status letter: A valid, V void; anything else is not a status. */
function status(field: string | undefined, what: string): boolean {
  if (field === 'A') return true;
  if (field === 'V' || field === undefined || field === '') return false;
  throw new Impossible(`${what} status "${field}" (expected A or V)`);
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
  try {
    return parseFields(type, talker, address, f);
  } catch (err) {
    if (err instanceof Impossible) return { ok: false, why: 'malformed', detail: `${address}: ${err.message}` };
    throw err;
  }
}

/** The fields of a sentence whose checksum matched; throws Impossible for a value that cannot be true. */
function parseFields(type: string, talker: string, address: string, f: string[]): NmeaParse {
  switch (type) {
    case 'GGA':
    case 'GNS': {
      // Same layout: time, position, then quality (GGA) or per-constellation mode letters (GNS), satellites, HDOP, altitude.
      if (f.length < 10) return { ok: false, why: 'malformed', detail: `${type}: too few fields` };
      const common = {
        talker,
        timeOfDayMs: timeOfDay(f[1]),
        ...latLon(f, 2),
        satellites: count(f[7], 'satellites used'),
        hdop: atLeastZero(f[8], 'HDOP'),
        altMslM: num(f[9], 'altitude'),
      };
      if (type === 'GGA') {
        // One digit: 0 invalid, 1 GPS, 2 DGPS, 3 PPS, 4 RTK fixed, 5 RTK float, 6 dead reckoning, 7 manual, 8 simulator.
        const q = f[6] ?? '';
        if (q !== '' && !/^\d$/.test(q)) throw new Impossible(`fix quality "${q}" is not one digit`);
        return { ok: true, sentence: { kind: 'GGA', ...common, quality: q === '' ? 0 : Number(q) } };
      }
      // One mode letter per constellation (NMEA 4.1): N no fix, A, D, P, R, F, E, M, S.
      const modes = f[6] ?? '';
      if (!/^[NADPRFEMS]*$/.test(modes)) throw new Impossible(`mode indicators "${modes}"`);
      return { ok: true, sentence: { kind: 'GNS', ...common, valid: /[ADFPRE]/.test(modes) } };
    }
    case 'RMC': {
      if (f.length < 10) return { ok: false, why: 'malformed', detail: 'RMC: too few fields' };
      const knots = atLeastZero(f[7], 'speed');
      // NMEA 2.3+ adds a mode indicator; "N" means not valid even when the status says A.
      const modeIndicator = f[12] ?? '';
      return {
        ok: true,
        sentence: {
          kind: 'RMC',
          talker,
          timeOfDayMs: timeOfDay(f[1]),
          dateMs: dateOf(f[9]),
          valid: status(f[2], 'RMC') && modeIndicator !== 'N',
          ...latLon(f, 3),
          speedMps: knots === null ? null : knots * KNOT_MPS,
          courseDeg: course(f[8], 'course'),
        },
      };
    }
    case 'GLL':
      if (f.length < 7) return { ok: false, why: 'malformed', detail: 'GLL: too few fields' };
      return {
        ok: true,
        sentence: { kind: 'GLL', talker, timeOfDayMs: timeOfDay(f[5]), valid: status(f[6], 'GLL') && f[7] !== 'N', ...latLon(f, 1) },
      };
    case 'VTG': {
      // Old form: VTG,course,speedKnots? The modern one tags each value: course,T,mag,M,knots,N,kmh,K.
      const knots = f[6] === 'N' ? atLeastZero(f[5], 'speed') : null;
      const kmh = f[8] === 'K' ? atLeastZero(f[7], 'speed') : null;
      const speedMps = knots !== null ? knots * KNOT_MPS : kmh !== null ? kmh / 3.6 : null;
      return { ok: true, sentence: { kind: 'VTG', talker, courseDeg: f[2] === 'T' ? course(f[1], 'course') : null, speedMps } };
    }
    case 'GSA': {
      const mode = num(f[2], 'fix mode');
      if (mode !== null && mode !== 1 && mode !== 2 && mode !== 3) throw new Impossible(`fix mode ${f[2]} (expected 1, 2 or 3)`);
      return { ok: true, sentence: { kind: 'GSA', talker, mode, hdop: atLeastZero(f[16], 'HDOP') } };
    }
    case 'ZDA': {
      const timeOfDayMs = timeOfDay(f[1]);
      const [d, mo, y] = [f[2] ?? '', f[3] ?? '', f[4] ?? ''];
      if (d === '' && mo === '' && y === '') return { ok: true, sentence: { kind: 'ZDA', talker, timeOfDayMs, dateMs: null } };
      const field = `${d}/${mo}/${y}`;
      if (!/^\d{1,2}$/.test(d) || !/^\d{1,2}$/.test(mo) || !/^\d{4}$/.test(y)) throw new Impossible(`date ${field} is not dd/mm/yyyy`);
      return { ok: true, sentence: { kind: 'ZDA', talker, timeOfDayMs, dateMs: utcDate(Number(y), Number(mo), Number(d), field) } };
    }
    default:
      return { ok: false, why: 'unsupported', detail: address };
  }
}
