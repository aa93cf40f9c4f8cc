// Where a recording's per-frame exposure (frames.jsonl source.exposureUs) comes from when photos are imported: each
// real DJI photo's EXIF ExposureTime, as exiftool reads it; a photo without the tag gets no key (blur not checkable).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFlight } from '../../src/flight/flight-reader.js';
import { frameExposureUs } from '../../src/flight/recording-format.js';
import { REPO_ROOT, runCli } from '../support/run-cli.js';

const PHOTOS = join(REPO_ROOT, 'test/fixtures/real-photos');
const NAMES = ['brighton_beach_DJI_0024.JPG', 'brighton_beach_DJI_0025.JPG', 'brighton_beach_DJI_0026.JPG'];
const work = mkdtempSync(join(tmpdir(), 'fieldeye-exposure-'));

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** exiftool's reading of the tag, seconds (-n: the number, not "1/450"); null when the photo has none. */
function exiftoolExposureS(file: string): number | null {
  const out = execFileSync('exiftool', ['-n', '-s3', '-ExposureTime', file], { encoding: 'utf8' }).trim();
  return out === '' ? null : Number(out);
}

describe('fieldeye import images: per-frame exposure', () => {
  it("records each photo's EXIF ExposureTime in microseconds, and nothing for a photo without it", async () => {
    const dir = join(work, 'photos');
    mkdirSync(dir);
    for (const f of NAMES) copyFileSync(join(PHOTOS, f), join(dir, f));
    // The third photo loses its exposure tag, as some cameras and editors leave photos.
    execFileSync('exiftool', ['-q', '-overwrite_original', '-ExposureTime=', join(dir, NAMES[2]!)]);
    const want = NAMES.map((f) => exiftoolExposureS(join(dir, f)));
    expect(want[0]).toBeGreaterThan(0);
    expect(want[2]).toBeNull();
    const out = join(work, 'flight');
    const imported = await runCli(['import', 'images', dir, '--out', out, '--drone-id', 'survey']);
    expect(imported.code, imported.stdout + imported.stderr).toBe(0);
    const flight = await readFlight(out);
    const got = new Map(flight.frames.map((f) => [f.source['photo'], f.source]));
    expect(got.size).toBe(3);
    NAMES.forEach((name, i) => {
      const source = got.get(name)!;
      const seconds = want[i];
      if (seconds === null || seconds === undefined) expect(source).not.toHaveProperty('exposureUs');
      else expect(frameExposureUs(source)).toBeCloseTo(seconds * 1e6, 1);
    });
  });
});
