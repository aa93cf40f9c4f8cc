// Writes a model and its card so both appear together or not at all: each under a temporary name, then renamed.
import { rename, rm, writeFile } from 'node:fs/promises';
import { cardPathFor, type ModelCard } from '../vision/model-card.js';

/** Returns the card's path (next to the model: x.onnx -> x.card.json). */
export async function writeModelWithCard(outPath: string, bytes: Uint8Array, card: ModelCard): Promise<string> {
  const cardPath = cardPathFor(outPath);
  const stamp = `${process.pid}.${Date.now()}.tmp`;
  const [tmpModel, tmpCard] = [`${outPath}.${stamp}`, `${cardPath}.${stamp}`];
  try {
    await writeFile(tmpModel, bytes);
    await writeFile(tmpCard, `${JSON.stringify(card, null, 2)}\n`);
    await rename(tmpModel, outPath);
    await rename(tmpCard, cardPath);
  } catch (err) {
    await rm(tmpModel, { force: true });
    await rm(tmpCard, { force: true });
    throw err;
  }
  return cardPath;
}
