// Test support: the two small simulated flights the dashboard's browser tests replay (seeds 5 and 6, 20 m, 5 m/s).
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli } from '../support/run-cli.js';

/** Simulates both flights into `work` and returns their folders. */
export async function simulateTwoSmallFlights(work: string): Promise<{ flightA: string; flightB: string }> {
  const flightA = join(work, 'flight-a');
  const flightB = join(work, 'flight-b');
  for (const [dir, seed, area] of [
    [flightA, '5', '80x50'],
    [flightB, '6', '60x40'],
  ] as const) {
    const sim = await runCli(['simulate', '--out', dir, '--seed', seed, '--area', area, '--alt', '20', '--speed', '5']);
    expect(sim.code, sim.stderr).toBe(0);
  }
  return { flightA, flightB };
}
