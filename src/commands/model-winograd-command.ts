// `fieldeye model winograd`: writes a copy of a float32 model whose 3x3 stride-1 convs run as Winograd F(2,3)/F(4,3) in standard ONNX ops, with its card.
import { Command } from 'commander';
import type { Logger } from '../platform/logger.js';
import { winogradFile } from '../model/winograd-file.js';
import type { InputTransformMode, WinogradLayout, WinogradProduct3x3 } from '../model/winograd-graph.js';

export interface ModelWinogradCommandOptions {
  model: string;
  out: string;
  tile?: string;
  layout?: string;
  inputTransform?: string;
  product?: string;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${flag} must be one of ${allowed.join(', ')} (received ${value})`);
  return value as T;
}

export async function modelWinogradCommand(opts: ModelWinogradCommandOptions, logger: Logger): Promise<number> {
  const tile = oneOf('--tile', opts.tile, ['2', '4'] as const);
  const layout = oneOf<WinogradLayout>('--layout', opts.layout, ['nchw', 'nhwc']);
  const inputTransform = oneOf<InputTransformMode>('--input-transform', opts.inputTransform, ['adds', 'matmul']);
  const product = oneOf<WinogradProduct3x3>('--product', opts.product, ['batched', 'split']);
  const r = await winogradFile(
    {
      modelPath: opts.model,
      outPath: opts.out,
      winograd: {
        ...(tile && { tile: tile === '2' ? 2 : 4 }),
        ...(layout && { layout }),
        ...(inputTransform && { inputTransform }),
        ...(product && { product }),
      },
    },
    logger,
  );
  const { tile: m, layout: l, inputTransform: it, product: p } = r.options;
  process.stdout.write(
    `wrote ${r.outPath} and ${r.cardPath} (sha256 ${r.card.sha256}): ${r.report.rewritten.length} conv(s) as Winograd F(${m},3), ${l} transforms, input transform by ${it}${l === 'nhwc' ? `, ${p ?? 'batched'} product` : ''}; ` +
      `${r.report.skipped.length} left direct; ${r.report.foldedBatchNorms} BatchNormalization(s) folded\n`,
  );
  return 0;
}

/** The subcommand's definition, kept here so src/cli.ts only wires its action. */
export function modelWinogradSubcommand(action: (opts: ModelWinogradCommandOptions) => Promise<void>): Command {
  return new Command('winograd')
    .description(
      'Write a copy of a float32 model whose 3x3 stride-1 convs run as Winograd F(4,3) or F(2,3) in standard ONNX ops (tile transforms, batched MatMul, weights transformed once): fewer multiplies on the Pi 4; logits within 1e-4 of the direct model; writes its card.',
    )
    .requiredOption('-m, --model <file>', 'float32 ONNX model with its .card.json')
    .requiredOption('-o, --out <file>', 'output .onnx path (the card is written next to it)')
    .option('--tile <m>', 'output tile: 4 = F(4,3), 2 = F(2,3) (default 4)')
    .option('--layout <nhwc|nchw>', 'layout of the tile transforms (default nhwc)')
    .option('--input-transform <matmul|adds>', 'input transform as a small MatMul, or Add/Sub (F(2,3) only) (default matmul)')
    .option(
      '--product <batched|split>',
      'NHWC product: one batched MatMul, or one MatMul per transformed position with a pre-packed 2-D weight (default split)',
    )
    .action(action);
}
