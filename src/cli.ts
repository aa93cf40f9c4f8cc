#!/usr/bin/env node
// The `fieldeye` command line: run, classify, quantize, bench, model synth; errors become one clear line and a non-zero exit.
import { Command, InvalidArgumentError, Option } from 'commander';
import { createLogger } from './platform/logger.js';
import { runCommand } from './commands/run-command.js';
import { classifyCommand } from './commands/classify-command.js';
import { modelSynthCommand } from './commands/model-synth-command.js';
import { quantizeCommand, type QuantizeCommandOptions } from './commands/quantize-command.js';
import { benchCommand } from './commands/bench-command.js';

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer`);
    return n;
  };
}

function cliLogger() {
  // Commands other than `run` log to stderr, so their stdout stays clean for --json.
  const level = (process.env['FIELDEYE_LOG_LEVEL'] ?? 'warn') as 'warn';
  return createLogger({ level, pretty: false, destination: 2 });
}

async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command()
    .name('fieldeye')
    .description('Edge-vision pipeline for agricultural drones: capture, classify, geotag, publish over MQTT.')
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true });

  program
    .command('run')
    .description('Run the pipeline on the configured source until it ends (or --max-frames).')
    .option('-c, --config <file>', 'config file (YAML or JSON); see config/default.yaml for every key')
    .option('--max-frames <n>', 'stop after this many frames', positiveInt('--max-frames'))
    .option('--out <file>', 'also append every result to this JSON-lines file')
    .action(async (opts: { config?: string; maxFrames?: number; out?: string }) => {
      exitCode = await runCommand(opts);
    });

  program
    .command('classify')
    .description('Classify single images with the same model, preprocessing and classifier as the pipeline.')
    .argument('<image...>', 'image files (JPEG, PNG, ...)')
    .option('-m, --model <file>', 'ONNX model with its .card.json; default: the generated ResNet-18', '')
    .option('--seed <n>', 'seed of the generated ResNet-18 when --model is not given', positiveInt('--seed'), 1)
    .option('-k, --top <k>', 'how many classes to print', positiveInt('--top'), 5)
    .addOption(new Option('--preprocess <mode>', 'fast (sharp) or exact (bit-identical to torchvision)').choices(['fast', 'exact']).default('fast'))
    .option('--json', 'print one JSON document: {"images":[{"file","sha256","top","logits"}]}', false)
    .option('--logits', 'include the raw logits', false)
    .option('--dump-tensor <dir>', 'write <name>.input.f32 (float32 NCHW) and <name>.crop224.rgb per image')
    .option('--threads <n>', 'onnxruntime intra-op threads (0 = one per core)', positiveInt('--threads'), 0)
    .action(async (files: string[], opts: { model: string; seed: number; top: number; preprocess: 'fast' | 'exact'; json: boolean; logits: boolean; dumpTensor?: string; threads: number }) => {
      exitCode = await classifyCommand(files, { ...opts, synthSeed: opts.seed }, cliLogger());
    });

  program
    .command('quantize')
    .description('Quantize an FP32 ONNX classifier to int8 (static QDQ) with real frames; writes the model, its card and an accuracy report against FP32.')
    .requiredOption('-m, --model <file>', 'FP32 ONNX model (with its .card.json, or ImageNet defaults are assumed)')
    .requiredOption('--calibration <dir>', 'folder of real frames (JPEG/PNG) run through the pipeline preprocessing to calibrate activations')
    .option('--eval <dir>', 'folder of held-out frames for the accuracy report (default: the calibration folder frames not used to calibrate)')
    .option('--frames <n>', 'calibration frames to use, spread over the folder (default: all with --eval, else two thirds)', positiveInt('--frames'))
    .addOption(new Option('--method <method>', 'activation range: min-max, percentile of a histogram, or entropy (KL)').choices(['minmax', 'percentile', 'entropy']).default('percentile'))
    .option('--percentile <p>', 'percentile method: share of values kept inside the range', Number, 99.99)
    .option('-o, --out <file>', 'output .onnx (default: <model>-int8.onnx); the card is written next to it')
    .addOption(new Option('--first-conv <precision>', 'precision of the first convolution').choices(['fp32', 'int8']).default('int8'))
    .addOption(new Option('--last-fc <precision>', 'precision of the final fully connected layer').choices(['fp32', 'int8']).default('int8'))
    .addOption(new Option('--activations <type>', 'int8 (S8S8, for ARM such as the Pi) or uint8 (U8S8, what onnxruntime fuses fully on x86)').choices(['int8', 'uint8']).default('int8'))
    .addOption(new Option('--preprocess <mode>', 'preprocessing of calibration frames, as in the pipeline').choices(['fast', 'exact']).default('fast'))
    .option('--json', 'print one JSON document instead of the report', false)
    .action(async (opts: QuantizeCommandOptions) => {
      exitCode = await quantizeCommand(opts, cliLogger());
    });

  program
    .command('bench')
    .description('Measure batch-1 inference latency (p50/p90/p99) and frames/s per model and thread count; prints a markdown table.')
    .option('-m, --model <file>', 'ONNX model with its card; repeat for several (default: the generated ResNet-18)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--threads <list>', 'comma-separated intra-op thread counts', (v: string) => v.split(',').map((t) => positiveInt('--threads')(t.trim())), [1, 2])
    .option('--seconds <s>', 'minimum measuring time per model and thread count', Number, 3)
    .option('--json <file>', 'also write the results, machine and versions as JSON')
    .action(async (opts: { model: string[]; threads: number[]; seconds: number; json?: string }) => {
      exitCode = await benchCommand(opts, cliLogger());
    });

  const model = program.command('model').description('Make and inspect models.');
  model
    .command('synth')
    .description('Write a ResNet-18 ONNX with seeded weights (exact torchvision architecture) and its model card.')
    .requiredOption('--seed <n>', 'weight seed', positiveInt('--seed'))
    .requiredOption('-o, --out <file>', 'output .onnx path (the card is written next to it)')
    .action(async (opts: { seed: number; out: string }) => {
      exitCode = await modelSynthCommand(opts);
    });

  await program.parseAsync(argv);
  return exitCode;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    // Config, model and startup errors already name the thing and what to do; print just that.
    process.stderr.write(`fieldeye: ${err.message}\n`);
    if (process.env['FIELDEYE_DEBUG']) process.stderr.write(`${err.stack ?? ''}\n`);
    process.exitCode = 1;
  },
);
