// The demo's model: the seeded ResNet-18 with a head fitted on a simulated flight of a given seed, built on first use and cached by a hash of everything it is made from; no download.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { simulateFlight } from './simulator.js';
import { loadModel } from '../vision/model-loader.js';
import type { Logger } from '../platform/logger.js';
import type { ModelCard } from '../vision/model-card.js';
import { DEFAULT_HEAD_L2, DEFAULT_HOLDOUT, trainHead } from '../model/head-train.js';
import { ensureSynthModel } from '../model/synth-model.js';
import { sha256Hex } from '../vision/model-card.js';

/**
 * Part of the cache key: bump it when the simulator, the preprocessing or the fitting change what a
 * given set of options produces, so an old cached head is rebuilt instead of reused.
 */
export const DEMO_MODEL_VERSION = 1;

export interface DemoModelOptions {
  /** Where the demo model, its card and labels are kept (created if missing). */
  cacheDir: string;
  /** Where the seeded backbone is cached (default: cacheDir). */
  backboneDir?: string;
  backboneSeed?: number;
  /** Seed of the simulated training flight; evaluate the demo on a flight of another seed. */
  flightSeed: number;
  /** Training flight: area east x north in metres, height and speed (defaults 300x200 m, 30 m, 5 m/s: about 180 frames). */
  widthM?: number;
  heightM?: number;
  altAglM?: number;
  speedMps?: number;
  l2?: number;
  holdout?: number;
  logger?: Logger;
}

export interface DemoModel {
  modelPath: string;
  cardPath: string;
  card: ModelCard;
  /** sha256 (hex) of the options and backbone the model was made from; its first 16 digits name the files. */
  key: string;
  /** True when a valid cached copy was used. */
  reused: boolean;
  ms: number;
}

/** Everything that decides the demo model's bytes, with the defaults filled in. */
function demoRecipe(options: DemoModelOptions) {
  return {
    version: DEMO_MODEL_VERSION,
    flight: {
      seed: options.flightSeed,
      widthM: options.widthM ?? 300,
      heightM: options.heightM ?? 200,
      altAglM: options.altAglM ?? 30,
      speedMps: options.speedMps ?? 5,
    },
    head: { l2: options.l2 ?? DEFAULT_HEAD_L2, holdout: options.holdout ?? DEFAULT_HOLDOUT, seed: 1, preprocess: 'fast' as const },
  };
}

/** The cache key: sha256 (hex) of the recipe and the backbone's content (a regenerated or replaced backbone gives a new key). */
export function demoModelKey(options: DemoModelOptions, backboneSha256: string): string {
  return createHash('sha256')
    .update(JSON.stringify({ ...demoRecipe(options), backboneSha256 }))
    .digest('hex');
}

/** Path of the demo model for `options` (after its backbone exists), building it only when no valid copy is cached. */
export async function ensureDemoModel(options: DemoModelOptions): Promise<DemoModel> {
  const started = performance.now();
  const backboneSeed = options.backboneSeed ?? 1;
  const recipe = demoRecipe(options);
  await mkdir(options.cacheDir, { recursive: true });
  const backbonePath = await ensureSynthModel(backboneSeed, options.backboneDir ?? options.cacheDir);
  const backboneSha256 = sha256Hex(await readFile(backbonePath));
  const key = demoModelKey(options, backboneSha256);
  const modelPath = path.join(options.cacheDir, `demo-head-${key.slice(0, 16)}.onnx`);

  if (existsSync(modelPath)) {
    try {
      // The loader checks the card's sha256 against the file and the labels against the output.
      const cached = await loadModel(modelPath);
      if (cached.card.head?.backboneSha256 === backboneSha256 && cached.cardPath) {
        return { modelPath, cardPath: cached.cardPath, card: cached.card, key, reused: true, ms: performance.now() - started };
      }
    } catch (err) {
      options.logger?.warn({ model: modelPath, reason: (err as Error).message }, 'cached demo model is damaged; rebuilding it');
    }
  }

  // A private work folder: two processes building at once must not write into each other's flight.
  // The flight's own name is what the card records as the data source.
  const workDir = path.join(options.cacheDir, `.demo-work-${key.slice(0, 16)}-${process.pid}`);
  const flightDir = path.join(workDir, `sim-seed-${options.flightSeed}`);
  await rm(workDir, { recursive: true, force: true });
  try {
    options.logger?.info({ seed: options.flightSeed, dir: flightDir }, 'demo model: simulating the training flight');
    await simulateFlight({ out: flightDir, ...recipe.flight, ...(options.logger ? { logger: options.logger } : {}) });
    const trained = await trainHead({
      backbonePath,
      data: flightDir,
      outPath: modelPath,
      holdout: recipe.head.holdout,
      seed: recipe.head.seed,
      l2: recipe.head.l2,
      preprocess: recipe.head.preprocess,
      name: `resnet18-seed${backboneSeed}-fieldzones-sim${options.flightSeed}`,
      ...(options.logger ? { logger: options.logger } : {}),
    });
    return { modelPath, cardPath: trained.cardPath, card: trained.card, key, reused: false, ms: performance.now() - started };
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
