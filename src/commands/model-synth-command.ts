// `fieldeye model synth`: writes the project's seeded ResNet-18 and its card.
import { synthesizeResnet18 } from '../model/synth-model.js';

export async function modelSynthCommand(opts: { seed: number; out: string }): Promise<number> {
  const t0 = performance.now();
  const made = await synthesizeResnet18({ seed: opts.seed, outPath: opts.out });
  const ms = Math.round(performance.now() - t0);
  process.stdout.write(`wrote ${made.modelPath} and ${made.cardPath} (sha256 ${made.card.sha256}, ${ms} ms)\n`);
  return 0;
}
