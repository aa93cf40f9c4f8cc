// `fieldeye model winograd`: writes a copy of a float32 model whose 3x3 convs run as Winograd (F(m,3), and a polyphase form for stride 2) in standard ONNX ops, with its card.
import { Command } from 'commander';
import type { Logger } from '../platform/logger.js';
import { winogradFile } from '../model/winograd-file.js';
import { describeTiles, type InputTransformMode, type TileBySize, type WinogradLayout, type WinogradProduct3x3 } from '../model/winograd-graph.js';
import { WINOGRAD_TILES, type WinogradTile } from '../model/winograd-math.js';

export interface ModelWinogradCommandOptions {
  model: string;
  out: string;
  tile?: string;
  stride2Tile?: string;
  stemTile?: string;
  layout?: string;
  inputTransform?: string;
  product?: string;
}

function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${flag} must be one of ${allowed.join(', ')} (received ${value})`);
  return value as T;
}

interface TileSpec {
  all?: WinogradTile | 'direct';
  bySize: TileBySize;
}

/** `4`, `direct`, or per output size `56:4,28:4,14:7,7:direct` (a bare entry is the default for the other sizes). */
function parseTileSpec(flag: string, value: string | undefined): TileSpec | undefined {
  if (value === undefined) return undefined;
  const tileOf = (t: string): WinogradTile | 'direct' => {
    if (t === 'direct') return t;
    const m = Number(t);
    if (!(WINOGRAD_TILES as readonly number[]).includes(m))
      throw new Error(`${flag}: tile ${t} is not one of ${WINOGRAD_TILES.join(', ')} or direct (received ${value}; e.g. 4 or 56:4,14:7)`);
    return m as WinogradTile;
  };
  const spec: TileSpec = { bySize: {} };
  for (const entry of value.split(',')) {
    const [a, b] = entry.split(':');
    if (b === undefined) spec.all = tileOf(a ?? '');
    else if (/^\d+$/.test(a ?? '')) spec.bySize[Number(a)] = tileOf(b);
    else throw new Error(`${flag}: ${entry} is not SIZE:TILE (received ${value}; e.g. 56:4,14:7)`);
  }
  return spec;
}

export async function modelWinogradCommand(opts: ModelWinogradCommandOptions, logger: Logger): Promise<number> {
  const tile = parseTileSpec('--tile', opts.tile);
  const stride2 = parseTileSpec('--stride2-tile', opts.stride2Tile);
  const stem = parseTileSpec('--stem-tile', opts.stemTile);
  // F(m,4) needs m + 2 finite points; past 5 that is the 8-point set, too inaccurate for the stem's 12 channels.
  if (typeof stem?.all === 'number' && stem.all > 5) throw new Error(`--stem-tile: F(m,4) is available for m = 2 to 5, or direct (received ${stem.all})`);
  if (tile?.all === 'direct') throw new Error('--tile direct would rewrite nothing; give a tile, e.g. 4 or 4,7:direct');
  const layout = oneOf<WinogradLayout>('--layout', opts.layout, ['nchw', 'nhwc']);
  const inputTransform = oneOf<InputTransformMode>('--input-transform', opts.inputTransform, ['adds', 'matmul']);
  const product = oneOf<WinogradProduct3x3>('--product', opts.product, ['batched', 'split']);
  const r = await winogradFile(
    {
      modelPath: opts.model,
      outPath: opts.out,
      winograd: {
        ...(tile?.all && { tile: tile.all }),
        ...(tile && { tileBySize: tile.bySize }),
        ...(stride2 && { stride2: stride2.all ?? 'direct', stride2BySize: stride2.bySize }),
        ...(stem?.all && { stem: stem.all }),
        ...(layout && { layout }),
        ...(inputTransform && { inputTransform }),
        ...(product && { product }),
      },
    },
    logger,
  );
  const { layout: l, inputTransform: it, product: p } = r.options;
  process.stdout.write(
    `wrote ${r.outPath} and ${r.cardPath} (sha256 ${r.card.sha256}): ${r.report.rewritten.length} conv(s) as Winograd ${describeTiles(r.report)}, ${l} transforms, input transform by ${it}${l === 'nhwc' ? `, ${p ?? 'batched'} product` : ''}; ` +
      `${r.report.skipped.length} left direct; ${r.report.foldedBatchNorms} BatchNormalization(s) folded\n`,
  );
  return 0;
}

/** The subcommand's definition, kept here so src/cli.ts only wires its action. */
export function modelWinogradSubcommand(action: (opts: ModelWinogradCommandOptions) => Promise<void>): Command {
  return new Command('winograd')
    .description(
      'Write a copy of a float32 model whose convs run as Winograd in standard ONNX ops (3x3 stride 1 as F(4,3)/F(5,3), 3x3 stride 2 in polyphase form, optionally the 7x7 stem by space-to-depth; tile transforms around MatMuls, weights transformed once): fewer multiplies on the Pi 4; logits within 1e-4 of the direct model; writes its card.',
    )
    .requiredOption('-m, --model <file>', 'float32 ONNX model with its .card.json')
    .requiredOption('-o, --out <file>', 'output .onnx path (the card is written next to it)')
    .option('--tile <m>', 'output tile of the stride-1 3x3 convs: 4 = F(4,3), 2 = F(2,3), 2-7; or per output size, e.g. 4,14:5 (default 4,14:5)')
    .option(
      '--stride2-tile <m>',
      'stride-2 3x3 convs in polyphase form with output tile m (2-7), per output size, or direct, e.g. 28:4,14:7 (default 28:4,14:7, the rest direct)',
    )
    .option(
      '--stem-tile <m>',
      'a 7x7 stride-2 stem on few channels as space-to-depth and Winograd F(m,4) (2-5), or direct (default direct: 4 projects faster on a Pi 4 but moves 10 MB more a frame)',
    )
    .option('--layout <nhwc|nchw>', 'layout of the tile transforms (default nhwc)')
    .option('--input-transform <matmul|adds>', 'input transform as a small MatMul, or Add/Sub (F(2,3) only) (default matmul)')
    .option(
      '--product <batched|split>',
      'NHWC product: one batched MatMul, or one MatMul per transformed position with a pre-packed 2-D weight (default split)',
    )
    .action(action);
}
