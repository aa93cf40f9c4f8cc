// DJI SRT parsing over real files of every format in the fixtures, plus malformed input: positions, heights, angles, no-fix periods.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDjiSrt } from '../../src/flight/dji-srt.js';
import { noFixPeriods } from '../../src/flight/no-fix-periods.js';
import { REPO_ROOT } from '../support/run-cli.js';

const DIR = join(REPO_ROOT, 'test/fixtures/srt');
const parse = (name: string) => parseDjiSrt(readFileSync(join(DIR, name), 'utf8'));

// Where each flight was (fixture README, from the upstream descriptions), and how many cues it has.
const expected: Record<string, { cues: number; latDeg: number; lonDeg: number }> = {
  'p4_rtk.SRT': { cues: 55, latDeg: -34.238, lonDeg: -58.852 },
  'mavic_mini.SRT': { cues: 117, latDeg: 48.077, lonDeg: -121.746 },
  'matrice_300.srt': { cues: 381, latDeg: 36.61, lonDeg: -6.11 },
  'mavic_pro.SRT': { cues: 468, latDeg: -20.253, lonDeg: 149.025 },
  'mavic_pro_buggy.SRT': { cues: 546, latDeg: 42.467, lonDeg: -1.222 },
  'air2s.srt': { cues: 17, latDeg: 41.42, lonDeg: 2.23 },
  'mavic_air2.srt': { cues: 25, latDeg: 41.42, lonDeg: 2.16 },
  'm2zoom_first200frames.SRT': { cues: 200, latDeg: 31.452, lonDeg: 74.399 },
  'MAVIC3_first200frames.srt': { cues: 200, latDeg: 3.415, lonDeg: -3.374 },
  'avata360_clip.SRT': { cues: 5, latDeg: 53.365, lonDeg: 6.461 },
  'mini5pro_clip.SRT': { cues: 5, latDeg: 53.365, lonDeg: 6.461 },
  'air3s_clip.SRT': { cues: 5, latDeg: 34.27, lonDeg: -84.176 },
  'neo2_clip.SRT': { cues: 5, latDeg: 45.607, lonDeg: 13.754 },
  'neo2_clip_nogps.SRT': { cues: 6, latDeg: 32.849, lonDeg: -84.862 },
};

describe('parseDjiSrt on every real file', () => {
  it('covers every fixture file', () => {
    expect(
      readdirSync(DIR)
        .filter((f) => /\.srt$/i.test(f))
        .sort(),
    ).toEqual(Object.keys(expected).sort());
  });

  for (const [name, want] of Object.entries(expected)) {
    it(`${name}: every cue, no problems, positions where the flight was`, () => {
      const { cues, problems } = parse(name);
      expect(problems).toEqual([]);
      expect(cues).toHaveLength(want.cues);
      expect(cues.map((c) => c.index)).toEqual(cues.map((_, i) => i + 1));
      for (const c of cues) {
        expect(c.endMs).toBeGreaterThan(c.startMs);
        if (c.latDeg === null) continue;
        expect(Math.abs(c.latDeg - want.latDeg)).toBeLessThan(0.05);
        expect(Math.abs((c.lonDeg as number) - want.lonDeg)).toBeLessThan(0.05);
      }
    });
  }

  it('reads heights, angles and the wall clock of each generation', () => {
    const p4 = parse('p4_rtk.SRT').cues[0];
    expect(p4).toMatchObject({ latDeg: -34.237922, lonDeg: -58.851745, satellites: 15, altAglM: 85.8, dateMs: null });
    expect(p4?.attitude).toEqual({ pitchDeg: 2.7, rollDeg: -7, yawDeg: 110.1 });
    expect(p4?.gimbal).toEqual({ pitchDeg: -24.4, rollDeg: 0, yawDeg: 110.4 });
    // Matrice 300: latitude first.
    expect(parse('matrice_300.srt').cues[0]).toMatchObject({ latDeg: 36.6146, lonDeg: -6.112, altAglM: 0.3, dateMs: Date.UTC(2022, 5, 21, 16, 6, 17) });
    expect(parse('mavic_pro.SRT').cues[0]).toMatchObject({ startMs: 1000, latDeg: -20.2533, lonDeg: 149.0251, satellites: 16, altAglM: 1.9 });
    expect(parse('m2zoom_first200frames.SRT').cues[0]).toMatchObject({ lonDeg: 74.398751, altMslM: 213.983002, dateMs: Date.UTC(2020, 3, 2, 15, 19, 58, 720) });
    expect(parse('MAVIC3_first200frames.srt').cues[1]).toMatchObject({
      startMs: 20,
      altAglM: -2.4,
      altMslM: 0.401,
      dateMs: Date.UTC(2021, 11, 25, 12, 27, 52, 391),
    });
    expect(parse('avata360_clip.SRT').cues[0]).toMatchObject({ altAglM: 5.4, altMslM: -124.744, gimbal: { yawDeg: -162.8, pitchDeg: 0, rollDeg: 0 } });
    expect(parse('mavic_mini.SRT').cues[0]).toMatchObject({ altAglM: 200.7, satellites: 17 });
  });

  it('reports no-fix periods instead of guessing: GPS(N/A) and 0,0 before lock', () => {
    const buggy = parse('mavic_pro_buggy.SRT').cues;
    const periods = noFixPeriods(buggy.map((c) => ({ timeMs: c.startMs, noFixWhy: c.noFixWhy })));
    expect(periods).toEqual([{ fromMs: 15_000, toMs: 30_000, samples: 16, why: 'GPS(N/A,N/A)' }]);
    expect(buggy.filter((c) => c.latDeg === null).map((c) => c.index)).toEqual(Array.from({ length: 16 }, (_, i) => 15 + i));
    const nogps = parse('neo2_clip_nogps.SRT').cues;
    expect(nogps.map((c) => c.noFixWhy)).toEqual([...Array(3).fill('lat/lon 0,0 (no GPS lock yet)'), null, null, null]);
  });

  it('skips malformed cues and lines with their line numbers, keeps the rest', () => {
    const text = [
      '1',
      '00:00:00,000 --> 00:00:01,000',
      'GPS(-1.2218,42.4668,11) BAROMETER:0.0',
      '',
      'garbage without timing',
      'GPS(1,2,3)',
      '',
      '3',
      '00:00:02,000 --> 00:00:03,000',
      '[latitude: abc] [longitude: 2.0]',
      '',
      '4',
      '00:00:03,000 --> 00:00:04,000',
      'GPS(1,2) BAROMETER:1.0',
      '',
      '5',
      '00:00:04,000 --> 00:00:05,000',
      '[latitude: 91.5] [longitude: 2.0] [rel_alt: 3.0 abs_alt: 4.0]',
      '',
      '6',
      '00:00:05,000 --> 00:00:06,000',
      'ISO:100 Shutter:60',
      '',
    ].join('\r\n');
    const { cues, problems } = parseDjiSrt(`\uFEFF${text}`);
    expect(cues.map((c) => c.index)).toEqual([1, 3, 4, 5, 6]);
    expect(cues[0]).toMatchObject({ latDeg: 42.4668, lonDeg: -1.2218 });
    expect(cues.slice(1).every((c) => c.latDeg === null)).toBe(true);
    expect(cues[3]).toMatchObject({ altAglM: 3, noFixWhy: 'unreadable position' });
    expect(cues[4]?.noFixWhy).toBe('no position in the cue');
    expect(problems).toEqual([
      expect.stringMatching(/^line 5: no cue timing .*garbage without timing.*; cue skipped$/),
      expect.stringMatching(/^line 10: latitude\/longitude not numbers .*; cue 3 has no position$/),
      expect.stringMatching(/^line 14: GPS\(1,2\) does not have three values; cue 4 has no position$/),
      expect.stringMatching(/^line 18: position out of range \(91\.5, 2\); cue 5 has no position$/),
    ]);
  });
});
