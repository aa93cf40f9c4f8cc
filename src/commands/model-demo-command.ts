// `fieldeye model demo --out FILE.onnx`: the demo's field-zones model (the seeded backbone with a head fitted on a
// simulated field: crop rows, weeds, bare soil, water, stressed crop) as a named file a user can pass to --model;
// built locally on first use (nothing downloaded) and cached, then copied out with its card and labels.
import { copyFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { generatedModelsDir } from '../app/resolve-model.js';
import { createLogger } from '../platform/logger.js';
import { packageRoot } from '../platform/package-root.js';
import { ensureDemoModel } from '../sim/demo-model.js';
import { cardPathFor } from '../vision/model-card.js';
import { describeModel } from '../vision/model-description.js';
import { DEMO_TRAIN_SEED } from './demo-command.js';
import { parseArea } from './simulate-command.js';

export interface ModelDemoOptions {
  out: string;
  cache?: string;
  /** Hidden: the demo's smaller test field, so a test reuses what its `fieldeye demo --area` built. */
  area?: string;
}

export async function modelDemoCommand(opts: ModelDemoOptions): Promise<number> {
  const out = resolve(opts.out);
  if (!out.endsWith('.onnx')) throw new ConfigError(`--out: expected a path ending in .onnx (the card and labels go next to it), received ${opts.out}`);
  if (existsSync(out)) throw new ConfigError(`--out: ${out} exists; choose another path or remove it`);
  const logger = createLogger({ level: 'info', destination: 2 });
  // The same recipe and cache as `fieldeye demo` (its defaults: a 300x200 m field at 30 m and 5 m/s), so either
  // one builds it once for both.
  const demo = await ensureDemoModel({
    cacheDir: resolve(opts.cache ?? join(packageRoot(), '.cache', 'demo')),
    backboneDir: generatedModelsDir(),
    flightSeed: DEMO_TRAIN_SEED,
    ...(opts.area !== undefined ? parseArea(opts.area) : {}),
    logger,
  });
  await mkdir(dirname(out), { recursive: true });
  const labels = demo.card.labelsFile;
  await copyFile(demo.modelPath, out);
  await copyFile(demo.cardPath, cardPathFor(out));
  // The card names its labels file relative to the model: it goes next to the copy under the same name.
  await copyFile(join(dirname(demo.modelPath), labels), join(dirname(out), labels));
  const heldOut = demo.card.head?.heldOut;
  process.stdout.write(
    `wrote ${out} (${describeModel(demo.card, demo.card.head?.classes.length ?? demo.card.output.size)}; ` +
      `${demo.reused ? 'from the cache' : `built in ${(demo.ms / 1000).toFixed(1)} s`}` +
      `${heldOut ? `, held-out accuracy ${(heldOut.accuracy * 100).toFixed(1)} % on ${heldOut.frames} simulated frames` : ''}); ` +
      `use it with --model ${opts.out}\n`,
  );
  return 0;
}
