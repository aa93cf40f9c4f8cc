// Parses DJI video-subtitle telemetry (.SRT) of every generation seen so far into cues with position, heights and angles.
// Formats handled (samples in the team's real-data set): the old one-line "GPS (lon, lat, sats), H 85.8m, F.PRY (...)"
// (Phantom 4 RTK, Mavic Mini); Mavic Pro "HOME(lon,lat) date / GPS(lon,lat,sats) BAROMETER:h"; Matrice 300
// "GPS(lat,lon,altM) BAROMETER:hM" (order reversed, third value metres); and the bracketed "[latitude: x]
// [longitude|longtitude: y] [altitude: a] | [rel_alt: r abs_alt: a] [gb_yaw: .. gb_pitch: .. gb_roll: ..]" of
// Mavic 2/3, Air 2/2S/3S, Mini, Avata and Neo. CRLF, a BOM and reordered fields are fine. Dates in every form DJI
// wrote: "2017.8.5 14:11:51" (early Mavic Pro firmware: one-digit month, day and hour), "2017.08.05 14:11:51",
// "2018-09-13 10:32:43,123,456" (ms, then µs), "2020-06-11 14:11:51.123"; a date that does not exist is a problem.
import type { Attitude } from '../geo/attitude.js';

export interface SrtCue {
  index: number;
  /** Cue start and end in the video, ms. */
  startMs: number;
  endMs: number;
  /** Wall-clock time in the cue (DJI writes local time without a zone; taken as UTC), ms; null when the format has none. */
  dateMs: number | null;
  latDeg: number | null;
  lonDeg: number | null;
  /** Why latDeg/lonDeg are null: "GPS(N/A,N/A)", "lat/lon 0,0 (no GPS lock yet)", "no position in the cue". */
  noFixWhy: string | null;
  /** Altitude above sea level (abs_alt, altitude, HOME-relative formats have none). */
  altMslM: number | null;
  /** Height above the take-off point (rel_alt, H, BAROMETER). */
  altAglM: number | null;
  satellites: number | null;
  /** Aircraft attitude (F.PRY) and gimbal (G.PRY, gb_*), degrees. */
  attitude: Attitude | null;
  gimbal: Attitude | null;
}

export interface SrtParse {
  cues: SrtCue[];
  /** Lines that were not understood, with their line numbers; their cues are skipped or have no position. */
  problems: string[];
}

const TIMING = /^(\d{1,2}):(\d{2}):(\d{2})[,.](\d{1,3})\s*-->\s*(\d{1,2}):(\d{2}):(\d{2})[,.](\d{1,3})/;
// Month, day and hour may have one digit; a fraction is cut to milliseconds (",123,456" is ms then µs: ",456" is left).
const DATE = /(?<!\d)(\d{4})[-./](\d{1,2})[-./](\d{1,2})[ T](\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d+))?/;

function ms(h: string, m: string, s: string, frac: string): number {
  return ((Number(h) * 60 + Number(m)) * 60 + Number(s)) * 1000 + Number(frac.padEnd(3, '0'));
}

function num(text: string | undefined): number | null {
  if (text === undefined) return null;
  const n = Number(text.replace(/[°m]+$/i, ''));
  return Number.isFinite(n) ? n : null;
}

/** `key: value` pairs inside "[...]" groups; DJI puts several in one group ("rel_alt: 1 abs_alt: 2") and spaces before colons. */
function bracketFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const group of text.matchAll(/\[([^\]]*)\]/g)) {
    for (const kv of (group[1] ?? '').matchAll(/([A-Za-z_][A-Za-z_ ]*?)\s*:\s*([^\s,\]]+)/g)) {
      fields.set((kv[1] ?? '').trim().toLowerCase(), kv[2] ?? '');
    }
  }
  return fields;
}

function triple(text: string | undefined): [string, string, string] | null {
  if (text === undefined) return null;
  const parts = text.split(',').map((p) => p.trim());
  return parts.length >= 3 ? [parts[0] as string, parts[1] as string, parts[2] as string] : null;
}

function pry(text: string | undefined): Attitude | null {
  const t = triple(text);
  if (!t) return null;
  const [p, r, y] = t.map(num);
  return p == null || r == null || y == null ? null : { pitchDeg: p, rollDeg: r, yawDeg: y };
}

interface Parsed {
  lat: number | null;
  lon: number | null;
  why: string | null;
  rest: Omit<SrtCue, 'index' | 'startMs' | 'endMs' | 'latDeg' | 'lonDeg' | 'noFixWhy'>;
  problem: string | null;
  /** The cue keeps its position; only its wall-clock time is dropped. */
  dateProblem: string | null;
}

/** The cue's wall-clock time, ms; null without a date; a problem when the date or time does not exist (month 13, 25:00). */
function dateIn(text: string): { dateMs: number | null; problem: string | null } {
  const date = DATE.exec(text);
  if (!date) return { dateMs: null, problem: null };
  const [y, mo, d, h, mi, sec] = date.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const day = Date.UTC(y, mo - 1, d);
  if (mo < 1 || mo > 12 || d < 1 || new Date(day).getUTCDate() !== d || h > 23 || mi > 59 || sec > 59) {
    return { dateMs: null, problem: `date "${date[0]}" does not exist` };
  }
  return { dateMs: Date.UTC(y, mo - 1, d, h, mi, sec) + Number((date[7] ?? '0').slice(0, 3).padEnd(3, '0')), problem: null };
}

function parseBody(body: string): Parsed {
  const text = body.replace(/<[^>]*>/g, ' ');
  const { dateMs, problem: dateProblem } = dateIn(text);
  const f = bracketFields(text);
  let lat: number | null = null;
  let lon: number | null = null;
  let why: string | null = null;
  let problem: string | null = null;
  let satellites: number | null = null;
  let altMslM: number | null = num(f.get('abs_alt')) ?? num(f.get('altitude'));
  let altAglM: number | null = num(f.get('rel_alt'));
  const gps = /GPS\s*\(([^)]*)\)/.exec(text);
  if (f.has('latitude')) {
    lat = num(f.get('latitude'));
    lon = num(f.get('longitude') ?? f.get('longtitude'));
    if (lat === null || lon === null) problem = `latitude/longitude not numbers ("${f.get('latitude')}", "${f.get('longitude') ?? f.get('longtitude')}")`;
  } else if (gps) {
    const t = triple(gps[1]);
    if (!t) problem = `GPS(${gps[1]}) does not have three values`;
    else if (/^n\/a$/i.test(t[0]) || /^n\/a$/i.test(t[1])) {
      why = 'GPS(N/A,N/A)';
      satellites = num(t[2]);
    } else if (/m$/i.test(t[2])) {
      // Matrice 300 style: latitude first, then longitude, then an altitude in metres.
      [lat, lon, altMslM] = [num(t[0]), num(t[1]), num(t[2])];
    } else {
      [lon, lat, satellites] = [num(t[0]), num(t[1]), num(t[2])];
    }
    if (!why && !problem && (lat === null || lon === null)) problem = `GPS(${gps[1]}) is not numbers`;
  } else {
    why = 'no position in the cue';
  }
  if (lat !== null && lon !== null && (Math.abs(lat) > 90 || Math.abs(lon) > 180)) {
    problem = `position out of range (${lat}, ${lon})`;
    lat = lon = null;
  }
  if (problem) {
    lat = lon = null;
    why = 'unreadable position';
  } else if (lat === 0 && lon === 0) {
    // DJI writes 0,0 until the receiver has locked ("Null Island"), never a real position for a drone.
    lat = lon = null;
    why = 'lat/lon 0,0 (no GPS lock yet)';
  }
  const baro = /BAROMETER\s*:\s*(-?[\d.]+)/i.exec(text);
  const h = /(?:^|[\s,])H\s+(-?[\d.]+)m/.exec(text);
  altAglM ??= num(baro?.[1]) ?? num(h?.[1]);
  const gb = [num(f.get('gb_pitch')), num(f.get('gb_roll')), num(f.get('gb_yaw'))];
  const gimbal = gb.every((v) => v !== null)
    ? { pitchDeg: gb[0] as number, rollDeg: gb[1] as number, yawDeg: gb[2] as number }
    : pry(/G\.PRY\s*\(([^)]*)\)/.exec(text)?.[1]);
  return {
    lat,
    lon,
    why: lat === null ? why : null,
    problem,
    dateProblem,
    rest: { dateMs, altMslM, altAglM, satellites, attitude: pry(/F\.PRY\s*\(([^)]*)\)/.exec(text)?.[1]), gimbal },
  };
}

export function parseDjiSrt(input: string): SrtParse {
  const lines = input.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  const cues: SrtCue[] = [];
  const problems: string[] = [];
  let i = 0;
  while (i < lines.length) {
    while (i < lines.length && (lines[i] as string).trim() === '') i++;
    if (i >= lines.length) break;
    const blockStart = i;
    const block: string[] = [];
    while (i < lines.length && (lines[i] as string).trim() !== '') block.push(lines[i++] as string);
    // The index line is optional in practice (hand-edited files); the timing line is not.
    const t = block.findIndex((l) => TIMING.test(l));
    if (t < 0 || t > 1) {
      problems.push(`line ${blockStart + 1}: no cue timing ("00:00:01,000 --> 00:00:02,000") in "${(block[0] ?? '').slice(0, 60)}"; cue skipped`);
      continue;
    }
    const m = TIMING.exec(block[t] as string) as RegExpExecArray;
    const index = t === 1 && /^\d+$/.test((block[0] as string).trim()) ? Number((block[0] as string).trim()) : cues.length + 1;
    const parsed = parseBody(block.slice(t + 1).join('\n'));
    if (parsed.problem) problems.push(`line ${blockStart + t + 2}: ${parsed.problem}; cue ${index} has no position`);
    if (parsed.dateProblem) problems.push(`line ${blockStart + t + 2}: ${parsed.dateProblem}; cue ${index} has no date`);
    cues.push({
      index,
      startMs: ms(m[1] as string, m[2] as string, m[3] as string, m[4] as string),
      endMs: ms(m[5] as string, m[6] as string, m[7] as string, m[8] as string),
      latDeg: parsed.lat,
      lonDeg: parsed.lon,
      noFixWhy: parsed.why,
      ...parsed.rest,
    });
  }
  return { cues, problems };
}
