// How a model is named in every human-readable output: name, precision and classes, and, once, plainly, when its
// weights were never trained (the seeded ResNet-18 the tests use: its ImageNet labels mean nothing on a field).
import type { ModelCard } from './model-card.js';

/** "resnet18-synth-seed1 (fp32, 1000 classes)". */
export function describeModel(card: ModelCard, classes: number): string {
  return `${card.name} (${card.precision}, ${classes} classes)`;
}

/**
 * True for weights nobody trained: the synth generator says "not trained" in the provenance, which quantizing keeps.
 * A fitted head (fieldeye train-head) makes the model mean something again, whatever its backbone was.
 */
export function isUntrained(card: ModelCard): boolean {
  return card.head === undefined && /\bnot trained\b/.test(card.provenance);
}

/** The warning to print once before results from an untrained model, or null for a trained one. */
export function untrainedNotice(card: ModelCard): string | null {
  if (!isUntrained(card)) return null;
  return (
    `model ${card.name} is NOT TRAINED (seeded weights for tests and benchmarks): its labels mean nothing, whatever the scores say. ` +
    'For field imagery use the demo field-zones model (fieldeye model demo --out FILE.onnx), your own classes ' +
    '(fieldeye train-head), or ImageNet weights (models/export-torchvision.py)'
  );
}
