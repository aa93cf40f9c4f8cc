// Which model variant a flight runs (model.precision fp32 | int8 | auto over model.path and model.int8Path), checked to be the same network, with the reason for the choice.
import type { ModelConfig } from '../config/schema.js';
import type { Logger } from '../platform/logger.js';
import { loadModel, type LoadedModel } from '../vision/model-loader.js';
import { choosePrecision, type PrecisionChoice } from '../vision/precision-choice.js';
import { resolveModel } from './resolve-model.js';

export interface SelectedModel {
  model: LoadedModel;
  choice: PrecisionChoice;
}

/** A model pair that cannot be swapped for each other, or a precision that has no model; the message names the keys. */
export class ModelSelectionError extends Error {
  override readonly name = 'ModelSelectionError';
}

function assertSameNetwork(fp32: LoadedModel, int8: LoadedModel): void {
  const where = `model.path (${fp32.path}) and model.int8Path (${int8.path})`;
  if (fp32.card.precision !== 'fp32')
    throw new ModelSelectionError(
      `model.path: with model.int8Path set, model.path must be the FP32 model; its card says precision "${fp32.card.precision}" (${fp32.path})`,
    );
  if (int8.card.precision !== 'int8')
    throw new ModelSelectionError(
      `model.int8Path: expected an int8 model (made by \`fieldeye quantize\`); its card says precision "${int8.card.precision}" (${int8.path})`,
    );
  if (fp32.labels.length !== int8.labels.length || fp32.labels.some((l, i) => l !== int8.labels[i])) {
    throw new ModelSelectionError(
      `${where} have different labels; int8Path must be the quantized version of path (run \`fieldeye quantize --model ${fp32.path}\`)`,
    );
  }
  if (JSON.stringify(fp32.card.input) !== JSON.stringify(int8.card.input)) {
    throw new ModelSelectionError(`${where} take different inputs (card "input" differs); int8Path must be the quantized version of path`);
  }
}

/** Loads the configured model(s) and picks the variant to run with `threads` inference threads; auto times both on a CPU it has not seen (see precision-choice). */
export async function selectModel(config: ModelConfig, threads: number, logger: Logger): Promise<SelectedModel> {
  const primary = await resolveModel(config.path, config.synthSeed, logger);
  if (config.int8Path === '') {
    if (config.precision === 'int8' && primary.card.precision !== 'int8') {
      throw new ModelSelectionError(
        `model.precision: "int8" needs model.int8Path (the int8 variant made by \`fieldeye quantize\`) or an int8 model in model.path; ${primary.path} is ${primary.card.precision}`,
      );
    }
    if (config.precision === 'fp32' && primary.card.precision !== 'fp32') {
      throw new ModelSelectionError(
        `model.precision: "fp32", but model.path (${primary.path}) is ${primary.card.precision}; set precision to "int8" or "auto", or point path at the FP32 model`,
      );
    }
    return {
      model: primary,
      choice: {
        precision: primary.card.precision === 'int8' ? 'int8' : 'fp32',
        reason: config.precision === 'auto' ? 'only-variant' : 'configured',
        timing: null,
        key: null,
      },
    };
  }
  const int8 = await loadModel(config.int8Path, { logger });
  for (const w of int8.warnings) logger.warn({ model: int8.path }, w);
  assertSameNetwork(primary, int8);
  if (config.precision !== 'auto') {
    return { model: config.precision === 'int8' ? int8 : primary, choice: { precision: config.precision, reason: 'configured', timing: null, key: null } };
  }
  const choice = await choosePrecision({
    fp32: primary,
    int8,
    threads,
    timingS: config.precisionTimingS,
    cachePath: config.precisionCachePath,
    logger,
  });
  return { model: choice.precision === 'int8' ? int8 : primary, choice };
}
