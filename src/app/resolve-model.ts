// Which model a command or flight uses: the configured file, or the project's generated ResNet-18 (built on first use, then cached).
import { join } from 'node:path';
import type { Logger } from '../platform/logger.js';
import { packageRoot } from '../platform/package-root.js';
import { ensureSynthModel } from '../model/synth-model.js';
import { loadModel, type LoadedModel } from '../vision/model-loader.js';

/** Folder where generated models are cached between runs (gitignored). */
export function generatedModelsDir(): string {
  return join(packageRoot(), 'models', 'generated');
}

/** Loads and checks the model against its card; an empty path means the generated model of `synthSeed`. Card warnings are logged. */
export async function resolveModel(modelPath: string, synthSeed: number, logger: Logger): Promise<LoadedModel> {
  let path = modelPath;
  if (path === '') {
    const t0 = performance.now();
    path = await ensureSynthModel(synthSeed, generatedModelsDir());
    logger.info({ path, seed: synthSeed, ms: Math.round(performance.now() - t0) }, 'using the generated ResNet-18');
  }
  const model = await loadModel(path, { logger });
  for (const w of model.warnings) logger.warn({ model: path }, w);
  return model;
}
