// End to end: `fieldeye import video` times a flight from an early Mavic Pro SRT ("2017.8.5 14:11:51"), not from the video container, and replay geotags it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFlight, readResults } from '../../src/flight/flight-reader.js';
import { writeTestVideo } from '../support/test-video.js';
import { REPO_ROOT, runCli } from '../support/run-cli.js';

const SRT = join(REPO_ROOT, 'test/fixtures/srt/hand-made/mavic_pro_short_date.SRT');

describe('fieldeye import video with an early Mavic Pro SRT', () => {
  it('takes the time from the SRT date without leading zeros, over the container creation_time', async () => {
    const work = mkdtempSync(join(tmpdir(), 'fieldeye-import-short-date-'));
    const video = join(work, 'DJI_0001.MP4');
    // The container says another day (a camera clock never set): only the SRT can time this flight right.
    writeTestVideo(video, { creationTime: '2017-01-01T00:00:00Z' });
    const out = join(work, 'flight');
    const run = await runCli(['import', 'video', video, '--srt', SRT, '--out', out, '--fps', '2', '--flight-id', 'mavic-pro-1']);
    expect(run.code, run.stdout + run.stderr).toBe(0);

    // Cue 1 (video 00:00:01) says 2017.8.5 14:11:51: video time 0 is 14:11:50.
    const t0 = Date.UTC(2017, 7, 5, 14, 11, 50);
    const flight = await readFlight(out);
    expect(flight.manifest.startedAt).toBe(new Date(t0).toISOString());
    expect(flight.manifest.notes).toContain('SRT date/time is the drone clock without a time zone; taken as UTC');
    expect(flight.manifest.notes.join('\n')).not.toMatch(/creation_time|SRT line/);
    expect(flight.frames.map((f) => f.capturedAtMs - t0)).toEqual([0, 500, 1000, 1500, 2000, 2500, 3000, 3500]);
    const fixes = flight.telemetry.filter((t) => t.kind === 'fix');
    expect(fixes.map((f) => f.timeMs - t0)).toEqual([1000, 2000, 3000, 4000, 5000, 6000]);

    const results = join(work, 'results.jsonl');
    const replay = await runCli(['replay', out, '--out', results]);
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);
    const replayed = (await readResults(results)).items;
    expect(replayed).toHaveLength(8);
    // Video 1.5 s is half way between cue 1 (149.0251, 1.9 m) and cue 2 (149.0252, 3.4 m).
    const mid = replayed.find((r) => r.frame.name === 'DJI_0001-t0001500.jpg');
    expect(mid?.position?.lonDeg).toBeCloseTo(149.02515, 9);
    expect(mid?.position?.latDeg).toBeCloseTo(-20.2533, 9);
    expect(mid?.position?.altAglM).toBeCloseTo(2.65, 9);
    // Before the first cue (video 0 and 0.5 s) there is no telemetry yet: said, not guessed.
    expect(replayed.filter((r) => r.position === null).map((r) => r.frame.name)).toEqual(['DJI_0001-t0000000.jpg', 'DJI_0001-t0000500.jpg']);
  });
});
