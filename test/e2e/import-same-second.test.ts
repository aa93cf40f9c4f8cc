// End to end: real drone photos taken within the same second (whole-second EXIF times) each keep their own EXIF position through `fieldeye import images` and replay.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFlight, readResults } from '../../src/flight/flight-reader.js';
import type { Result } from '../../src/publish/result-schema.js';
import { distanceM } from '../support/nmea-track.js';
import { exiftool, type ExiftoolTags } from '../support/exiftool-oracle.js';
import { REPO_ROOT, runCli } from '../support/run-cli.js';

const PHOTOS = join(REPO_ROOT, 'test/fixtures/real-photos');

/**
 * The three real DJI Phantom 3 photos of Brighton Beach (7 s apart, about 14 m apart), with DJI_0025 re-timed into
 * DJI_0024's second as a burst or a fast interval would time it (EXIF has whole seconds and no SubSecTimeOriginal).
 * `extra` runs before the import: more photos in the folder.
 */
async function importAndReplay(name: string, extra: (dir: string) => void = () => {}): Promise<{ dir: string; results: Map<string, Result> }> {
  const work = mkdtempSync(join(tmpdir(), `fieldeye-same-second-${name}-`));
  const dir = join(work, 'photos');
  mkdirSync(dir);
  for (const f of ['brighton_beach_DJI_0024.JPG', 'brighton_beach_DJI_0025.JPG', 'brighton_beach_DJI_0026.JPG']) copyFileSync(join(PHOTOS, f), join(dir, f));
  execFileSync('exiftool', ['-q', '-overwrite_original', '-DateTimeOriginal=2016:06:23 16:32:43', join(dir, 'brighton_beach_DJI_0025.JPG')]);
  extra(dir);
  const out = join(work, 'flight');
  const imported = await runCli(['import', 'images', dir, '--out', out, '--drone-id', 'survey']);
  expect(imported.code, imported.stdout + imported.stderr).toBe(0);
  const resultsFile = join(work, 'results.jsonl');
  const replay = await runCli(['replay', out, '--out', resultsFile]);
  expect(replay.code, replay.stdout + replay.stderr).toBe(0);
  const results = (await readResults(resultsFile)).items;
  return { dir, results: new Map(results.map((r) => [r.frame.name, r])) };
}

/** Each result where its own photo's EXIF says, within centimetres, with its own height and attitude. */
function expectOwnPositions(results: Map<string, Result>, truth: Map<string, ExiftoolTags>, names: string[]): void {
  for (const name of names) {
    const r = results.get(name);
    const t = truth.get(name) as ExiftoolTags;
    expect(r?.position, `${name}: ${r?.positionReason}`).not.toBeNull();
    const p = r!.position!;
    const off = distanceM(p, { latDeg: t.GPSLatitude as number, lonDeg: t.GPSLongitude as number });
    expect(off, name).toBeLessThan(0.01);
    expect(p.altMslM).toBeCloseTo(t.GPSAltitude as number, 6);
    expect(p.altAglM).toBeCloseTo(Number(t.RelativeAltitude), 6);
    expect(p.sampleAgeMs).toBe(0);
    // Yaw as the track stores it, 0..360.
    expect(p.attitude?.yawDeg).toBeCloseTo(((t.FlightYawDegree as number) + 360) % 360, 9);
    expect(p.attitude?.pitchDeg).toBeCloseTo(t.FlightPitchDegree as number, 9);
    expect(p.attitude?.rollDeg).toBeCloseTo(t.FlightRollDegree as number, 9);
  }
}

describe('fieldeye import images + replay: photos that share a second', () => {
  it('two real photos with the same EXIF second each get their own EXIF position, not one of them both', async () => {
    const { dir, results } = await importAndReplay('pair');
    const truth = exiftool(dir);
    const a = truth.get('brighton_beach_DJI_0024.JPG') as ExiftoolTags;
    const b = truth.get('brighton_beach_DJI_0025.JPG') as ExiftoolTags;
    const apart = distanceM(
      { latDeg: a.GPSLatitude as number, lonDeg: a.GPSLongitude as number },
      { latDeg: b.GPSLatitude as number, lonDeg: b.GPSLongitude as number },
    );
    expect(apart).toBeGreaterThan(10);
    expect(results.get('brighton_beach_DJI_0024.JPG')?.capturedAt).toBe('2016-06-23T16:32:43.000Z');
    expect(results.get('brighton_beach_DJI_0025.JPG')?.capturedAt).toBe('2016-06-23T16:32:43.000Z');
    // DJI_0026, alone at its second, is the control: it was right before and stays right.
    expectOwnPositions(results, truth, ['brighton_beach_DJI_0024.JPG', 'brighton_beach_DJI_0025.JPG', 'brighton_beach_DJI_0026.JPG']);
    console.log(`same second: the two photos are ${apart.toFixed(1)} m apart; each result is at its own EXIF position`);
  });

  it('a photo without GPS in the same second has no position, and does not take one from the others (nor they its none)', async () => {
    const { dir, results } = await importAndReplay('nogps', (d) => {
      const nogps = join(d, 'brighton_beach_DJI_0026_nogps.JPG');
      copyFileSync(join(d, 'brighton_beach_DJI_0026.JPG'), nogps);
      execFileSync('exiftool', ['-q', '-overwrite_original', '-gps:all=', '-DateTimeOriginal=2016:06:23 16:32:43', nogps]);
    });
    const truth = exiftool(dir);
    expect(truth.get('brighton_beach_DJI_0026_nogps.JPG')?.GPSLatitude).toBeUndefined();
    expectOwnPositions(results, truth, ['brighton_beach_DJI_0024.JPG', 'brighton_beach_DJI_0025.JPG', 'brighton_beach_DJI_0026.JPG']);
    const nogps = results.get('brighton_beach_DJI_0026_nogps.JPG');
    expect(nogps?.position).toBeNull();
    expect(nogps?.positionReason).toMatch(/^no GPS fix/);
  });

  it('the recording keeps each photo own geotag with its frame (frames.jsonl source.geotag)', async () => {
    const work = mkdtempSync(join(tmpdir(), 'fieldeye-same-second-record-'));
    const out = join(work, 'flight');
    const imported = await runCli(['import', 'images', PHOTOS, '--out', out, '--drone-id', 'survey']);
    expect(imported.code, imported.stdout + imported.stderr).toBe(0);
    const flight = await readFlight(out);
    const truth = exiftool(PHOTOS);
    for (const f of flight.frames) {
      const t = truth.get(f.name) as ExiftoolTags;
      expect(f.source['geotag'], f.name).toMatchObject({
        latDeg: expect.closeTo(t.GPSLatitude as number, 9),
        lonDeg: expect.closeTo(t.GPSLongitude as number, 9),
      });
    }
  });
});
