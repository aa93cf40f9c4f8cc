// `fieldeye model fuse-input`: writes a copy of a float32 NCHW classifier that takes the crop's RGB bytes (uint8 NHWC), with its card.
import type { Logger } from '../platform/logger.js';
import { fuseInputFile } from '../model/fuse-input.js';

export interface ModelFuseInputCommandOptions {
  model: string;
  out: string;
  inputName: string;
}

export async function modelFuseInputCommand(opts: ModelFuseInputCommandOptions, logger: Logger): Promise<number> {
  const r = await fuseInputFile({ modelPath: opts.model, outPath: opts.out, inputName: opts.inputName }, logger);
  const { input } = r.card;
  process.stdout.write(
    `wrote ${r.outPath} and ${r.cardPath} (sha256 ${r.card.sha256}): input "${input.name}" ${input.dtype} ${input.layout} [${input.shape.join(', ')}], ` +
      `normalised in the graph with mean [${input.normalisedInGraph?.mean.join(', ') ?? ''}] and std [${input.normalisedInGraph?.std.join(', ') ?? ''}]\n`,
  );
  return 0;
}
