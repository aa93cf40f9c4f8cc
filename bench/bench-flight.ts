// The flight the end-to-end and memory benches replay: `fieldeye simulate`'s default survey (seed 3), simulated once and kept in .cache/bench.
import { join } from 'node:path';
import { ensureSimulatedFlight } from '../src/sim/cached-simulation.js';
import { packageRoot } from '../src/platform/package-root.js';

/** The folder of the bench flight (24 JPEG frames of 640x480, 10 Hz telemetry); simulated on first use. */
export async function benchFlight(): Promise<string> {
  const flight = await ensureSimulatedFlight({ cacheDir: join(packageRoot(), '.cache', 'bench'), seed: 3, widthM: 120, heightM: 80, altAglM: 30, speedMps: 5 });
  return flight.dir;
}
