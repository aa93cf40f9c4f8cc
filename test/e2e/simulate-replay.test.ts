// End to end: `fieldeye simulate` writes a survey flight that `fieldeye replay` runs; the pipeline's geotags match the simulator's truth.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFlight, readResults } from '../../src/flight/flight-reader.js';
import { SIMULATED_ORIGIN, type SimulatedFrameTruth } from '../../src/sim/simulator.js';
import { createField, zoneAt } from '../../src/sim/simulator-field.js';
import { distanceM, northEastM } from '../../src/geo/local-metres.js';
import { runCli } from '../support/run-cli.js';

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'fieldeye-simulate-e2e-'));
});

describe('simulate, then replay', () => {
  it('replays every frame; geotags within 1 m of the true camera; the zone at the computed centre is the stored one', async () => {
    const dir = join(work, 'sim');
    const sim = await runCli(['simulate', '--out', dir, '--seed', '3', '--area', '80x50', '--alt', '20', '--speed', '5']);
    expect(sim.code, sim.stdout + sim.stderr).toBe(0);
    expect(sim.stdout).toMatch(/^simulated \d+ frames/);
    const flight = await readFlight(dir);
    expect(flight.problems).toEqual([]);
    expect(flight.frames.length).toBeGreaterThanOrEqual(20);

    const out = join(work, 'replay.jsonl');
    const replay = await runCli(['replay', dir, '--speed', 'max', '--out', out]);
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);
    const results = await readResults(out);
    expect(results.problems).toEqual([]);
    expect(results.items.map((r) => r.frame.name)).toEqual(flight.frames.map((f) => f.name));

    const field = createField({ seed: 3, widthM: 80, heightM: 50 });
    let agreeing = 0;
    results.items.forEach((r, i) => {
      const truth = flight.frames[i]!.source['simulator'] as SimulatedFrameTruth;
      expect(r.position, r.positionReason ?? '').not.toBeNull();
      expect(r.position!.source).toBe('recording');
      // GNSS noise is ~0.25 m; a time or frame mismatch of 0.2 s at 5 m/s already breaks 1 m.
      expect(distanceM(r.position!, truth.camera), `frame ${i} camera`).toBeLessThan(1);
      expect(r.target, r.footprintReason ?? '').not.toBeNull();
      expect(distanceM(r.target!, truth.centre), `frame ${i} centre`).toBeLessThan(1);
      const local = northEastM(SIMULATED_ORIGIN, r.target!);
      if (zoneAt(field, local.eastM, local.northM) === truth.zone) agreeing++;
    });
    // The computed centre is within a metre of the true one, so only a frame centred on a zone boundary may differ.
    expect(agreeing).toBeGreaterThanOrEqual(results.items.length - 1);
  });

  it('--loop plays the flight again with seq counting on, --max-frames bounds the whole replay, --summary-json writes the summary', async () => {
    const dir = join(work, 'sim');
    const flight = await readFlight(dir);
    const n = flight.frames.length;
    const out = join(work, 'looped.jsonl');
    const summaryPath = join(work, 'summary.json');
    const replay = await runCli([
      'replay',
      dir,
      '--speed',
      'max',
      '--loop',
      '3',
      '--max-frames',
      String(2 * n + 3),
      '--out',
      out,
      '--summary-json',
      summaryPath,
    ]);
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);
    const results = await readResults(out);
    expect(results.items.map((r) => r.seq)).toEqual(Array.from({ length: 2 * n + 3 }, (_, i) => i));
    // The second play is the same frames again, classified the same way.
    expect(results.items[n + 1]?.frame.name).toBe(flight.frames[1]?.name);
    expect(results.items[n + 1]?.top[0]?.label).toBe(results.items[1]?.top[0]?.label);
    const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as { results: number; fps: number; meanStageMs: { inference: number } };
    expect(summary.results).toBe(2 * n + 3);
    expect(summary.fps).toBeGreaterThan(0);
    expect(summary.meanStageMs.inference).toBeGreaterThan(0);
  });

  it('refuses a malformed --area with the option name and what it received', async () => {
    const run = await runCli(['simulate', '--out', join(work, 'bad'), '--area', '80 by 50']);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/--area: expected WIDTHxHEIGHT in metres \(120x80\), received "80 by 50"/);
  });
});
