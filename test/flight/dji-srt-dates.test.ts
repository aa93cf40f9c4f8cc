// DJI SRT wall-clock dates in every form the firmware wrote, including the early Mavic Pro's "2017.8.5 14:11:51", and dates that cannot exist.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDjiSrt } from '../../src/flight/dji-srt.js';
import { REPO_ROOT } from '../support/run-cli.js';

const HAND_MADE = join(REPO_ROOT, 'test/fixtures/srt/hand-made/mavic_pro_short_date.SRT');

/** One cue with this body, as the first of a file. */
function cue(body: string): ReturnType<typeof parseDjiSrt> {
  return parseDjiSrt(['1', '00:00:01,000 --> 00:00:02,000', body, ''].join('\n'));
}

describe('DJI SRT dates', () => {
  it('reads the hand-made early Mavic Pro file (one-digit month and day): every cue dated, in step with its video time', () => {
    const { cues, problems } = parseDjiSrt(readFileSync(HAND_MADE, 'utf8'));
    expect(problems).toEqual([]);
    expect(cues).toHaveLength(6);
    for (const [i, c] of cues.entries()) {
      expect(c.dateMs).toBe(Date.UTC(2017, 7, 5, 14, 11, 51 + i));
      // Video time 0 is one second before the first cue, as in the real Mavic Pro file.
      expect((c.dateMs as number) - c.startMs).toBe(Date.UTC(2017, 7, 5, 14, 11, 50));
    }
    expect(cues[0]).toMatchObject({ latDeg: -20.2533, lonDeg: 149.0251, satellites: 16, altAglM: 1.9 });
  });

  it.each([
    ['Mavic Pro, early firmware', 'HOME(149.0251,-20.2532) 2017.8.5 14:11:51\nGPS(149.0251,-20.2533,16) BAROMETER:1.9', Date.UTC(2017, 7, 5, 14, 11, 51)],
    ['one-digit hour', 'HOME(149.0251,-20.2532) 2017.8.5 9:05:03\nGPS(149.0251,-20.2533,16) BAROMETER:1.9', Date.UTC(2017, 7, 5, 9, 5, 3)],
    [
      'one-digit month, milliseconds after a comma',
      'HOME(149.0251,-20.2532) 2017.8.5 14:11:51,250\nGPS(149.0251,-20.2533,16) BAROMETER:1.9',
      Date.UTC(2017, 7, 5, 14, 11, 51, 250),
    ],
    [
      'one-digit day, a trailing fraction',
      'HOME(149.0251,-20.2532) 2017.12.5 14:11:51.5\nGPS(149.0251,-20.2533,16) BAROMETER:1.9',
      Date.UTC(2017, 11, 5, 14, 11, 51, 500),
    ],
    ['Mavic Pro, later firmware', 'HOME(149.0251,-20.2532) 2017.08.05 14:11:51\nGPS(149.0251,-20.2533,16) BAROMETER:1.9', Date.UTC(2017, 7, 5, 14, 11, 51)],
    ['Matrice 300', '2022.06.21 16:06:17\nGPS(36.6146,-6.1120,0.0M) BAROMETER:0.3M', Date.UTC(2022, 5, 21, 16, 6, 17)],
    [
      'Mavic 2 / Air 2 (ms, then µs)',
      '<font size="36">SrtCnt : 1, DiffTime : 33ms\n2018-09-13 10:32:43,123,456\n[iso : 100] [latitude: 41.42] [longitude: 2.23] [altitude: 117.0] </font>',
      Date.UTC(2018, 8, 13, 10, 32, 43, 123),
    ],
    [
      'Mavic 3',
      '<font size="28">FrameCnt: 1, DiffTime: 20ms\n2020-06-11 14:11:51.123\n[iso: 220] [latitude: 3.41531] [longitude: -3.37440] [rel_alt: -2.400 abs_alt: 0.401] </font>',
      Date.UTC(2020, 5, 11, 14, 11, 51, 123),
    ],
    [
      '[iso : ...] blocks, fraction in µs',
      '2019-01-06 12:34:56.789123\n[iso : 100] [shutter : 1/200.0] [latitude : 31.452] [longtitude : 74.399] [altitude: 213.9]',
      Date.UTC(2019, 0, 6, 12, 34, 56, 789),
    ],
  ])('%s', (_what, body, dateMs) => {
    const { cues, problems } = cue(body);
    expect(problems).toEqual([]);
    expect(cues[0]?.dateMs).toBe(dateMs);
    expect(cues[0]?.latDeg).not.toBeNull();
  });

  it.each([
    ['month 13', '2017.13.5 14:11:51'],
    ['30 February', '2017.2.30 14:11:51'],
    ['day 0', '2017-08-00 14:11:51'],
    ['hour 25', '2017.8.5 25:11:51'],
    ['minute 60', '2017.8.5 14:60:51'],
  ])('a date that does not exist (%s) is a problem: the cue keeps its position, not the date', (_what, date) => {
    const { cues, problems } = cue(`HOME(149.0251,-20.2532) ${date}\nGPS(149.0251,-20.2533,16) BAROMETER:1.9`);
    expect(cues[0]).toMatchObject({ dateMs: null, latDeg: -20.2533, lonDeg: 149.0251 });
    expect(problems).toEqual([`line 3: date "${date}" does not exist; cue 1 has no date`]);
  });

  it('does not take a longer number or a bare number for a date', () => {
    expect(cue('[focal_len : 12017.8.5 14:11:51] GPS(149.0251,-20.2533,16)').cues[0]?.dateMs).toBeNull();
    expect(cue('GPS(149.0251,-20.2533,16) BAROMETER:2017.8').cues[0]?.dateMs).toBeNull();
  });
});
