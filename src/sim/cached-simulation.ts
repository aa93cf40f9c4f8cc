// A simulated flight kept in a cache folder named by everything it is made from: simulated once, reused after (the demo's survey flight).
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { DEMO_MODEL_VERSION } from './demo-model.js';
import type { Logger } from '../platform/logger.js';
import { readFlight } from '../flight/flight-reader.js';
import { SIMULATED_START_MS, simulateFlight, type SimulateOptions } from './simulator.js';

export type CachedSimulationOptions = Omit<SimulateOptions, 'out' | 'logger'> & {
  /** The folder the flight is kept in (created if missing). */
  cacheDir: string;
  logger?: Logger;
};

export interface CachedSimulation {
  dir: string;
  frames: number;
  /** True when a complete cached copy was used. */
  reused: boolean;
  ms: number;
}

/** A cached flight is used only if its writer closed it normally and every line reads. */
async function complete(dir: string): Promise<number | null> {
  try {
    const flight = await readFlight(dir);
    const end = flight.manifest.end;
    return end?.reason === 'source-ended' && flight.problems.length === 0 && flight.frames.length === end.frames && end.frames > 0 ? end.frames : null;
  } catch {
    return null;
  }
}

export async function ensureSimulatedFlight(options: CachedSimulationOptions): Promise<CachedSimulation> {
  const started = performance.now();
  const { cacheDir, logger, ...simulate } = options;
  // The demo model's version already tracks simulator changes (it is bumped when a recipe's output changes),
  // so it keys the survey flight too: both are rebuilt together.
  const recipe = { version: DEMO_MODEL_VERSION, ...simulate, startMs: simulate.startMs ?? SIMULATED_START_MS };
  const key = createHash('sha256').update(JSON.stringify(recipe)).digest('hex').slice(0, 12);
  const dir = path.join(cacheDir, `flight-seed${simulate.seed}-${simulate.widthM}x${simulate.heightM}m-${key}`);
  await mkdir(cacheDir, { recursive: true });

  if (existsSync(dir)) {
    const frames = await complete(dir);
    if (frames !== null) return { dir, frames, reused: true, ms: performance.now() - started };
    logger?.warn({ dir }, 'cached simulated flight is incomplete or damaged; simulating it again');
    await rm(dir, { recursive: true, force: true });
  }
  // Written under a private name and renamed when closed: an interrupted run never leaves a half flight under the real name.
  const work = `${dir}.tmp-${process.pid}`;
  await rm(work, { recursive: true, force: true });
  try {
    const sim = await simulateFlight({ ...simulate, out: work, ...(logger ? { logger } : {}) });
    try {
      await rename(work, dir);
    } catch (err) {
      // Another process finished the same flight first: same recipe, same bytes; use theirs.
      if (!existsSync(dir)) throw err;
    }
    return { dir, frames: sim.frames, reused: false, ms: performance.now() - started };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
