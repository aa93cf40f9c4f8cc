// `fieldeye train-head`: fits a new classifier head on frozen backbone features and prints per-class precision/recall, the confusion matrix, held-out accuracy, time and peak memory.
import type { Logger } from '../platform/logger.js';
import type { PreprocessMode } from '../vision/preprocess-types.js';
import { trainHead } from '../model/head-train.js';
import { formatClassificationReport } from '../model/head-metrics.js';

export interface TrainHeadCommandOptions {
  backbone: string;
  data: string;
  out: string;
  holdout: number;
  seed: number;
  l2: number;
  preprocess: PreprocessMode;
  name?: string;
  json: boolean;
}

export async function trainHeadCommand(opts: TrainHeadCommandOptions, logger: Logger): Promise<number> {
  const r = await trainHead({
    backbonePath: opts.backbone,
    data: opts.data,
    outPath: opts.out,
    holdout: opts.holdout,
    seed: opts.seed,
    l2: opts.l2,
    preprocess: opts.preprocess,
    ...(opts.name !== undefined ? { name: opts.name } : {}),
    logger,
  });
  // Peak resident memory of this process so far (the whole run), as the kernel counts it.
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ model: r.outPath, card: r.cardPath, labels: r.labelsPath, classes: r.classes, train: r.train, heldOut: r.heldOut, fit: r.fit, frames: r.frames, ms: r.ms, peakRssMb })}\n`,
    );
    return 0;
  }
  const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
  const head = r.card.head;
  const lines = [
    `trained a ${r.classes.length}-class head on ${opts.backbone} -> ${r.outPath} (card ${r.cardPath}, labels ${r.labelsPath})`,
    `  data: ${head?.data.kind} ${head?.data.source}, ${r.frames.total} frames${r.frames.skipped.length > 0 ? ` (${r.frames.skipped.length} undecodable skipped)` : ''}; ${head?.trainFrames} train, ${r.heldOut?.frames ?? 0} held out (seed ${opts.seed})`,
    `  features: ${head?.features} from "${head?.featureTensor}", ${s(r.ms.features)}; fit: L-BFGS, L2 ${opts.l2}, ${r.fit.iterations} iterations${r.fit.converged ? '' : ' (stopped before the tolerance)'}, loss ${r.fit.loss.toFixed(4)}, ${s(r.ms.fit)}`,
    `  training accuracy ${((r.train.accuracy ?? 0) * 100).toFixed(1)} %`,
  ];
  if (r.heldOut) lines.push('held-out frames:', ...formatClassificationReport(r.heldOut));
  else lines.push('  no held-out frames (--holdout 0): accuracy not measured');
  lines.push(`time ${s(r.ms.total)}, peak RSS ${peakRssMb.toFixed(0)} MB`, '');
  process.stdout.write(lines.join('\n'));
  return 0;
}
