// Opens the flight's model: the configured variant (or the faster one with precision auto) in the worker-thread classifier.
import type { Config } from '../config/schema.js';
import type { Logger } from '../platform/logger.js';
import { ImageClassifier } from '../vision/image-classifier.js';
import { inferenceThreads } from '../vision/inference-threads.js';
import type { LoadedModel } from '../vision/model-loader.js';
import type { PrecisionChoice } from '../vision/precision-choice.js';
import type { CleanupStack } from './cleanup-stack.js';
import { selectModel } from './select-model.js';

export interface OpenedModel {
  model: LoadedModel;
  precision: PrecisionChoice;
  classifier: ImageClassifier;
}

export async function openModel(config: Config, cleanups: CleanupStack, log: Logger): Promise<OpenedModel> {
  // precision auto times both variants on the int8 split of cores: a like-for-like comparison.
  const { model, choice } = await selectModel(config.model, inferenceThreads(config, 'int8'), log.child({ stage: 'model' }));
  const classifier = await ImageClassifier.open(model, {
    mode: config.model.preprocess,
    intraOpThreads: inferenceThreads(config, choice.precision),
    maxImageMegapixels: config.model.maxImageMegapixels,
  });
  cleanups.push(() => classifier.close());
  log.info({ threads: classifier.threads, loadMs: Math.round(classifier.loadMs) }, 'classifier ready');
  return { model, precision: choice, classifier };
}
