// End to end: `fieldeye import images` on real drone photos (checked against what exiftool reads) and on a folder
// tagged with exiftool (DJI-style XMP, a photo without GPS); `fieldeye import video` on a video made with ffmpeg
// and a DJI SRT with a GPS dropout; both imported flights replay with positions from the imported telemetry.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFlight, readResults } from '../../src/flight/flight-reader.js';
import type { FixRecord } from '../../src/flight/recording-format.js';
import { exiftool, type ExiftoolTags } from '../support/exiftool-oracle.js';
import { writeTestVideo } from '../support/test-video.js';
import { REPO_ROOT, runCli } from '../support/run-cli.js';
import { makeFrames } from '../support/make-frames.js';

const PHOTOS = join(REPO_ROOT, 'test/fixtures/real-photos');
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-import-e2e-'));
});

async function cli(args: string[]): Promise<string> {
  const run = await runCli(args);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return run.stdout;
}

function fixesByFrame(flight: Awaited<ReturnType<typeof readFlight>>): Map<string, FixRecord> {
  const fixes = flight.telemetry.filter((t): t is FixRecord => t.kind === 'fix');
  return new Map(flight.frames.map((f) => [f.name, fixes.find((x) => x.timeMs === f.capturedAtMs) as FixRecord]));
}

describe('fieldeye import images', () => {
  it('imports every real photo with the position and relative altitude exiftool reads from it', async () => {
    const out = join(work, 'real');
    await cli(['import', 'images', PHOTOS, '--out', out, '--drone-id', 'survey']);
    const flight = await readFlight(out);
    const photos = readdirSync(PHOTOS).filter((f) => /\.jpe?g$/i.test(f));
    expect(flight.frames.map((f) => f.name).sort()).toEqual(photos.sort());
    expect(flight.manifest).toMatchObject({ origin: 'import-images', droneId: 'survey', noFixPeriods: [] });
    const truth = exiftool(PHOTOS);
    const fixes = fixesByFrame(flight);
    for (const name of photos) {
      const t = truth.get(name) as ExiftoolTags;
      const fix = fixes.get(name)?.fix;
      expect(fix, name).toBeTruthy();
      // exiftool prints 15 significant digits.
      expect(fix?.latDeg).toBeCloseTo(t.GPSLatitude as number, 9);
      expect(fix?.lonDeg).toBeCloseTo(t.GPSLongitude as number, 9);
      expect(fix?.altMslM).toBeCloseTo((t.GPSAltitudeRef === 1 ? -1 : 1) * (t.GPSAltitude as number), 6);
      const rel = t.RelativeAltitude !== undefined ? Number(t.RelativeAltitude) : (t.Height ?? null);
      if (rel === null) expect(fix?.altAglM, name).toBeNull();
      else expect(fix?.altAglM, name).toBeCloseTo(rel, 6);
    }
    // DJI: gimbal and flight angles from XMP.
    const dji = flight.frames.find((f) => f.name === 'brighton_beach_DJI_0024.JPG');
    const angles = flight.telemetry.filter((t) => t.timeMs === dji?.capturedAtMs && t.kind !== 'fix');
    const t = truth.get('brighton_beach_DJI_0024.JPG') as ExiftoolTags;
    expect(angles.find((a) => a.kind === 'gimbal')).toMatchObject({ pitchDeg: t.GimbalPitchDegree, yawDeg: t.GimbalYawDegree });
    expect(angles.find((a) => a.kind === 'attitude')).toMatchObject({ yawDeg: t.FlightYawDegree });
  });

  it('imports a folder tagged with exiftool (DJI-style XMP), reports the photo without GPS, and replays it', async () => {
    const dir = join(work, 'tagged');
    const names = await makeFrames(dir, 3);
    const tag = (name: string, args: string[]) => execFileSync('exiftool', ['-q', '-overwrite_original', ...args, join(dir, name)]);
    const common = ['-OffsetTimeOriginal=+00:00', '-GPSLatitudeRef=N', '-GPSLongitudeRef=W', '-GPSAltitudeRef=0'];
    tag(names[0] as string, [
      ...common,
      '-DateTimeOriginal=2024:05:01 10:00:00',
      '-GPSLatitude=47.5',
      '-GPSLongitude=8.25',
      '-GPSAltitude=512.3',
      '-XMP-drone-dji:RelativeAltitude=+61.20',
      '-XMP-drone-dji:GimbalPitchDegree=-90.0',
      '-XMP-drone-dji:GimbalYawDegree=12.5',
      '-XMP-drone-dji:GimbalRollDegree=0',
    ]);
    tag(names[1] as string, ['-OffsetTimeOriginal=+00:00', '-DateTimeOriginal=2024:05:01 10:00:02']);
    tag(names[2] as string, [
      ...common,
      '-DateTimeOriginal=2024:05:01 10:00:04',
      '-GPSLatitude=47.5001',
      '-GPSLongitude=8.2501',
      '-GPSAltitude=513.3',
      '-XMP-drone-dji:RelativeAltitude=+62.2',
    ]);
    const out = join(work, 'tagged-flight');
    const report = await cli(['import', 'images', dir, '--out', out, '--flight-id', 'tagged-1']);
    expect(report).toContain('no position 2024-05-01T10:00:02.000Z .. 2024-05-01T10:00:02.000Z: 1 samples, photo has no EXIF GPS position');
    const flight = await readFlight(out);
    expect(flight.manifest.noFixPeriods).toEqual([
      { fromMs: Date.UTC(2024, 4, 1, 10, 0, 2), toMs: Date.UTC(2024, 4, 1, 10, 0, 2), samples: 1, why: 'photo has no EXIF GPS position' },
    ]);
    const fixes = fixesByFrame(flight);
    // GPSLongitudeRef W: exiftool wrote a western longitude.
    expect(fixes.get(names[0] as string)?.fix).toEqual({ latDeg: 47.5, lonDeg: -8.25, altMslM: 512.3, altAglM: 61.2 });
    expect(fixes.get(names[1] as string)?.fix).toBeNull();
    expect(flight.telemetry.find((t) => t.kind === 'gimbal')).toMatchObject({ pitchDeg: -90, yawDeg: 12.5, rollDeg: 0 });

    const results = join(work, 'tagged.jsonl');
    await cli(['replay', out, '--out', results]);
    const replayed = (await readResults(results)).items;
    expect(replayed.map((r) => r.frame.name)).toEqual(names);
    expect(replayed[0]?.position).toMatchObject({ latDeg: 47.5, lonDeg: -8.25, altAglM: 61.2, source: 'recording' });
    expect(replayed[1]?.position).toBeNull();
    expect(replayed[1]?.positionReason).toMatch(/no GPS fix/);
    expect(replayed[2]?.position?.altAglM).toBeCloseTo(62.2, 9);
  });
});

describe('fieldeye import video', () => {
  it('decodes the video with ffmpeg, geotags frames from the SRT and reports the GPS dropout', async () => {
    const video = join(work, 'clip.mp4');
    writeTestVideo(video);
    // Mavic Pro style, 1 Hz; the third second has no GPS.
    const cue = (i: number, gps: string) =>
      [
        `${i}`,
        `00:00:0${i - 1},000 --> 00:00:0${i},000`,
        `HOME(149.0251,-20.2532) 2017.08.05 14:11:${50 + i}`,
        `GPS(${gps},16) BAROMETER:${10 + i}.0`,
        'ISO:100 Shutter:60 EV: Fnum:2.2',
        '',
      ].join('\n');
    const srt = join(work, 'clip.SRT');
    writeFileSync(srt, [cue(1, '149.0250,-20.2530'), cue(2, '149.0252,-20.2530'), cue(3, 'N/A,N/A'), cue(4, '149.0256,-20.2530')].join('\n'));
    const out = join(work, 'video-flight');
    const report = await cli(['import', 'video', video, '--srt', srt, '--out', out, '--fps', '2', '--flight-id', 'video-1']);
    const t0 = Date.UTC(2017, 7, 5, 14, 11, 51);
    expect(report).toContain(`no position ${new Date(t0 + 2000).toISOString()} .. ${new Date(t0 + 2000).toISOString()}: 1 samples, GPS(N/A,N/A)`);
    const flight = await readFlight(out);
    expect(flight.frames.map((f) => f.capturedAtMs - t0)).toEqual([0, 500, 1000, 1500, 2000, 2500, 3000, 3500]);
    expect(flight.frames[1]?.name).toBe('clip-t0000500.jpg');
    expect(flight.telemetry.filter((t) => t.kind === 'fix')).toHaveLength(4);

    const results = join(work, 'video.jsonl');
    await cli(['replay', out, '--out', results]);
    const replayed = (await readResults(results)).items;
    expect(replayed).toHaveLength(8);
    // Half way between the first two fixes.
    expect(replayed[1]?.position?.lonDeg).toBeCloseTo(149.0251, 9);
    expect(replayed[1]?.position?.altAglM).toBeCloseTo(11.5, 9);
    // Frames next to the dropout have no position, and say why; so does the one past the last cue's start
    // (further than position.track.maxExtrapolationMs from it).
    expect(replayed.filter((r) => r.position === null).map((r) => r.frame.name)).toEqual([
      'clip-t0001500.jpg',
      'clip-t0002000.jpg',
      'clip-t0002500.jpg',
      'clip-t0003500.jpg',
    ]);
    expect(replayed[4]?.positionReason).toMatch(/no GPS fix/);
    expect(replayed[7]?.positionReason).toMatch(/^stale/);
  });

  it('names a file ffmpeg cannot decode and writes no flight', async () => {
    const bad = join(work, 'not-a-video.mp4');
    writeFileSync(bad, 'these are not video bytes\n');
    const srt = join(work, 'bad.SRT');
    writeFileSync(srt, '1\n00:00:00,000 --> 00:00:01,000\nHOME(149.0251,-20.2532) 2017.08.05 14:11:51\nGPS(149.0250,-20.2530,16) BAROMETER:11.0\n\n');
    const out = join(work, 'bad-flight');
    const r = await runCli(['import', 'video', bad, '--srt', srt, '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/not-a-video\.mp4: ffmpeg could not decode it; is it a video\? \(.*Invalid data found when processing input/);
    expect(existsSync(out)).toBe(false);
  });
});
