#!/usr/bin/env node
// The `fieldeye` command line: run, replay, import, simulate, diff, export, dashboard, ground (store, export, classmap), demo, classify, quantize, train-head, bench, model synth/fuse-input/ops; errors become one clear line and a non-zero exit.
import { exitCodeFor } from './platform/fieldeye-error.js';
import { redactUrlsIn } from './platform/redact-url.js';
import { packageVersion } from './platform/package-root.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createLogger } from './platform/logger.js';
import { LOG_FORMAT_ENV, LOG_FORMATS } from './platform/log-format.js';
import { stopProgress } from './platform/progress.js';
import { runCommand } from './commands/run-command.js';
import { classifyCommand } from './commands/classify-command.js';
import { modelSynthCommand } from './commands/model-synth-command.js';
import { modelDemoCommand, type ModelDemoOptions } from './commands/model-demo-command.js';
import { modelFuseInputCommand, type ModelFuseInputCommandOptions } from './commands/model-fuse-input-command.js';
import { modelOpsCommand, type ModelOpsCommandOptions } from './commands/model-ops-command.js';
import { modelWinogradCommand, modelWinogradSubcommand } from './commands/model-winograd-command.js';
import { quantizeCommand, type QuantizeCommandOptions } from './commands/quantize-command.js';
import { DEFAULT_PERCENTILE } from './model/quantize-model.js';
import { DEFAULT_ACTIVATIONS } from './model/quant-params.js';
import { trainHeadCommand, type TrainHeadCommandOptions } from './commands/train-head-command.js';
import { DEFAULT_HEAD_L2, DEFAULT_HOLDOUT } from './model/head-train.js';
import { benchCommand } from './commands/bench-command.js';
import { cameraCheckCommand } from './commands/camera-check-command.js';
import { preflightCommand, type PreflightCommandOptions } from './commands/preflight-command.js';
import { replayCommand, type ReplayCommandOptions } from './commands/replay-command.js';
import { simulateCommand, type SimulateCommandOptions } from './commands/simulate-command.js';
import { diffCommand, type DiffCommandOptions } from './commands/diff-command.js';
import { exportCommand, type ExportCommandOptions } from './commands/export-command.js';
import { addCoverageCommand } from './commands/coverage-command.js';
import { addPrescribeCommand } from './commands/prescribe-command.js';
import { addGroundCommands } from './commands/ground-cli.js';
import { importImagesCommand, importVideoCommand, type ImportCommonOptions, type ImportVideoCommandOptions } from './commands/import-command.js';
import { dashboardCommand, type DashboardCommandOptions } from './commands/dashboard-command.js';
import { demoCommand, type DemoCommandOptions } from './commands/demo-command.js';

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
  return createLogger({ level, destination: 2 });
}

// eslint-disable-next-line max-lines-per-function -- the command-line surface, one declarative commander registration per command; each handler is one line
async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command()
    .name('fieldeye')
    .description('Edge-vision pipeline for agricultural drones: capture, classify, geotag, publish over MQTT.')
    .version(packageVersion(), '-V, --version', 'print the fieldeye version and exit')
    .showHelpAfterError()
    .configureHelp({ showGlobalOptions: true })
    .addOption(
      new Option(
        '--log-format <format>',
        'log lines as JSON (journald, scripts) or pretty; default: pretty on a terminal, JSON elsewhere (FIELDEYE_LOG_FORMAT)',
      ).choices(LOG_FORMATS),
    )
    // Through the environment: loggers opened deep inside a command (and its child processes) follow it too.
    .hook('preAction', (root) => {
      const format = root.opts<{ logFormat?: string }>().logFormat;
      if (format !== undefined) process.env[LOG_FORMAT_ENV] = format;
    });

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
    .command('replay')
    .description('Replay a recorded flight folder through the same pipeline: every frame, at --speed, geotagged from its recorded telemetry.')
    .argument('<flight>', 'flight folder (flight.json, frames/, frames.jsonl, telemetry.jsonl), from run with record.enabled, import or simulate')
    .option('-c, --config <file>', 'config file for model, preprocessing, track and MQTT settings (drone and flight ids come from the recording)')
    .option('--speed <speed>', '1 = real time, N = N times faster, max = as fast as possible (no frame is ever dropped)', 'max')
    .option('--from <time>', 'first frame: seconds from the first frame (90), [h:]mm:ss (1:30) or an ISO time with a zone')
    .option('--to <time>', 'last frame, same forms as --from')
    .option('-m, --model <file>', 'ONNX model with its .card.json, instead of the configured one')
    .option('--out <file>', 'write every result to this new JSON-lines file (refused if it exists)')
    .option('--publish', 'publish results over MQTT as configured (off by default for replays)', false)
    .option('--max-frames <n>', 'stop after this many frames', positiveInt('--max-frames'))
    .option('--loop <n>', 'play the recording n times back to back (memory and soak measurements; seq keeps counting)', positiveInt('--loop'), 1)
    .option('--summary-json <file>', 'also write the end-of-run summary (frames/s, latency, per-stage times) as JSON to this file')
    .action(async (flight: string, opts: ReplayCommandOptions) => {
      exitCode = await replayCommand(flight, opts);
    });

  program
    .command('diff')
    .description('Compare two result files of the same flight (two models or configs); exit 2 when a limit is passed (for CI).')
    .argument('<a>', 'results file (JSON lines): the reference')
    .argument('<b>', 'results file (JSON lines): the candidate')
    .option('--max-disagreement <share>', 'largest share of frames whose top-1 class may change, 0..1', Number, 0.05)
    .option('--max-geotag-drift-m <m>', 'largest distance between the two positions of a frame, metres', Number, 1)
    .option('--max-score-drift <d>', "largest mean change of the score of A's top-1 class, 0..1", Number, 1)
    .option('--json', 'print the whole report as JSON', false)
    .action(async (a: string, b: string, opts: DiffCommandOptions) => {
      exitCode = await diffCommand(a, b, opts);
    });

  program
    .command('export')
    .description(
      'Write a results file as a map layer of one geometry type: one point (or footprint) per result with class and score, or with --grid a majority-class field map; or a GeoPackage with every layer.',
    )
    .argument('<results>', 'results file (JSON lines)')
    .addOption(
      new Option('--format <format>', 'GeoJSON (RFC 7946), CSV with a WKT column, KML, or a GeoPackage (layers results, footprints, flight_tracks)')
        .choices(['geojson', 'csv', 'kml', 'gpkg'])
        .makeOptionMandatory(),
    )
    .addOption(new Option('--geometry <layer>', 'points (where each result is; default) or footprints (what each frame saw)').choices(['points', 'footprints']))
    .option('--grid <metres>', 'square cells of this size with class counts and the majority class', Number)
    .requiredOption('-o, --out <file>', 'file to write (replaced if it exists)')
    .action(async (results: string, opts: ExportCommandOptions) => {
      exitCode = await exportCommand(results, opts);
    });

  addCoverageCommand(program, (code) => (exitCode = code));

  addPrescribeCommand(program, (code) => (exitCode = code));

  const imports = program.command('import').description("Turn other drones' photos or videos into a flight folder that replay reads.");
  imports
    .command('images')
    .description('A folder of geotagged photos: EXIF GPS and time, DJI XMP relative altitude and gimbal/flight angles, senseFly XMP height and attitude.')
    .argument('<dir>', 'folder of JPEG photos')
    .requiredOption('-o, --out <flight>', 'new flight folder to write')
    .option('--drone-id <id>', 'drone id for the flight', 'imported')
    .option('--flight-id <id>', "flight id (default: the first photo's time, e.g. 20160623T163243Z)")
    .action(async (dir: string, opts: ImportCommonOptions) => {
      exitCode = await importImagesCommand(dir, opts);
    });
  imports
    .command('video')
    .description('A video with its DJI SRT telemetry (every DJI SRT format); frames decoded with ffmpeg, no-fix periods reported.')
    .argument('<video>', 'video file (MP4, MOV, ...)')
    .requiredOption('--srt <file>', 'the DJI .SRT written with the video')
    .requiredOption('-o, --out <flight>', 'new flight folder to write')
    .option('--fps <n>', 'frames kept per second of video', Number, 1)
    .option('--start <time>', 'ISO time of the first frame, for SRT formats without a date (else the video creation time)')
    .option('--drone-id <id>', 'drone id for the flight', 'imported')
    .option('--flight-id <id>', 'flight id (default: the start time)')
    .action(async (video: string, opts: ImportVideoCommandOptions) => {
      exitCode = await importVideoCommand(video, opts);
    });

  program
    .command('simulate')
    .description(
      'A synthetic survey flight: a procedural field of crop rows, weeds, bare soil, water and stressed crop, flown as a lawnmower; frames, 10 Hz telemetry and the true zone under each frame.',
    )
    .requiredOption('-o, --out <flight>', 'new flight folder to write (replay reads it)')
    .option('--seed <n>', 'field, attitude and GPS noise come from this seed: the same seed writes the same bytes', positiveInt('--seed'), 1)
    .option('--area <WxH>', 'surveyed area, metres east x north', '120x80')
    .option('--alt <m>', 'height above ground, metres', Number, 30)
    .option('--speed <m/s>', 'ground speed, metres per second', Number, 5)
    .option('--exposure-us <us>', "the camera's shutter, microseconds, recorded per frame for the blur check (images are not smeared)", Number, 1000)
    .action(async (opts: SimulateCommandOptions) => {
      exitCode = await simulateCommand(opts);
    });

  program
    .command('dashboard')
    .description('Ground-station page: subscribes to every drone on the broker and shows results on an offline map, status, health and a try-a-photo panel.')
    .option('-c, --config <file>', 'config file: dashboard.* (address, tiles, bounds) and sinks.mqtt.* (broker URL, TLS, credentials, topic prefix)')
    .option('--broker <url>', 'broker to subscribe to (mqtt://host:1883, mqtts://...); default: sinks.mqtt.url')
    .option('--embedded-broker', 'start an in-process MQTT 3.1.1 broker on 127.0.0.1:<sinks.mqtt.embeddedBrokerPort> for drones on this machine', false)
    .option('--host <address>', 'address to listen on (default 127.0.0.1: this machine only)')
    .option('--port <n>', 'port to listen on (default 8080; 0 = any free port)', positiveInt('--port'))
    .option('-m, --model <file>', 'ONNX model with its card for "try a photo" (same classifier code as the drone); no panel without it')
    .option('--token <token>', 'access token every request needs (prefer the variable named by dashboard.tokenEnv: arguments show in ps)')
    .option(
      '--insecure-no-token',
      'serve a non-loopback --host with no access token: anyone who can reach it sees the flight (without it the dashboard refuses)',
      false,
    )
    .option(
      '--tiles <template|folder|file>',
      'map tiles: an http(s) URL template with {z}/{x}/{y}, a folder of <z>/<x>/<y>.png, or a raster .mbtiles or .pmtiles file; default none (offline grid)',
    )
    .option(
      '--store <ground-config>',
      "list and reopen past flights from this ground config's store (GeoPackage or PostGIS, read-only); default dashboard.store",
    )
    .option(
      '--ground',
      'also write every result into that store in this process (what `fieldeye ground --config <store>` does): one command on a laptop',
      false,
    )
    .action(async (opts: DashboardCommandOptions) => {
      exitCode = await dashboardCommand(opts);
    });

  addGroundCommands(program, (code) => (exitCode = code));

  program
    .command('demo')
    .description(
      'What `npm start` runs: a simulated survey through the pipeline with a head fitted on another simulated field, published to an embedded broker, shown on the dashboard, scored against the ground truth; everything built on first start and cached.',
    )
    .option('--speed <speed>', 'replay speed: 1 = real time, N = N times faster, max = as fast as possible', '4')
    .option('--exit', 'exit after the end-of-run summary instead of keeping the dashboard serving', false)
    .option('--port <n>', 'dashboard port (default 8080, or any free port when 8080 is taken; 0 = any free port)', positiveInt('--port'))
    .option('--cache <dir>', 'where the demo model, the survey flight and the outputs are kept (default .cache/demo in the package)')
    .addOption(new Option('--area <WxH>', 'both simulated fields, metres (tests use a small one)').hideHelp())
    .action(async (opts: DemoCommandOptions) => {
      exitCode = await demoCommand(opts);
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
    .action(
      async (
        files: string[],
        opts: { model: string; seed: number; top: number; preprocess: 'fast' | 'exact'; json: boolean; logits: boolean; dumpTensor?: string; threads: number },
      ) => {
        exitCode = await classifyCommand(files, { ...opts, synthSeed: opts.seed }, cliLogger());
      },
    );

  program
    .command('quantize')
    .description('Quantize an FP32 ONNX classifier to int8 (static QDQ) with real frames; writes the model, its card and an accuracy report against FP32.')
    .requiredOption('-m, --model <file>', 'FP32 ONNX model (with its .card.json, or ImageNet defaults are assumed)')
    .requiredOption('--calibration <dir>', 'folder of real frames (JPEG/PNG) run through the pipeline preprocessing to calibrate activations')
    .option('--eval <dir>', 'folder of held-out frames for the accuracy report (default: the calibration folder frames not used to calibrate)')
    .option('--frames <n>', 'calibration frames to use, spread over the folder (default: all with --eval, else two thirds)', positiveInt('--frames'))
    .addOption(
      new Option('--method <method>', 'activation range: min-max, percentile of a histogram, or entropy (KL)')
        .choices(['minmax', 'percentile', 'entropy'])
        .default('percentile'),
    )
    .option('--percentile <p>', 'percentile method: share of values kept inside the range', Number, DEFAULT_PERCENTILE)
    .option('-o, --out <file>', 'output .onnx (default: <model>-int8.onnx); the card is written next to it')
    .addOption(new Option('--first-conv <precision>', 'precision of the first convolution').choices(['fp32', 'int8']).default('int8'))
    .addOption(new Option('--last-fc <precision>', 'precision of the final fully connected layer').choices(['fp32', 'int8']).default('int8'))
    .addOption(
      new Option('--activations <type>', 'uint8 (U8S8: onnxruntime fuses it fully on x86-64 and on arm64 such as the Pi) or int8 (S8S8: fused on arm64 only)')
        .choices(['int8', 'uint8'])
        .default(DEFAULT_ACTIVATIONS),
    )
    .addOption(new Option('--preprocess <mode>', 'preprocessing of calibration frames, as in the pipeline').choices(['fast', 'exact']).default('fast'))
    .addOption(new Option('--winograd <m>', '3x3 stride-1 convs as int8 Winograd F(m,3) around MatMulInteger (default: direct convs)').choices(['2', '4']))
    .option('--json', 'print one JSON document instead of the report', false)
    .action(async (opts: QuantizeCommandOptions) => {
      exitCode = await quantizeCommand(opts, cliLogger());
    });

  program
    .command('train-head')
    .description(
      'Fit a new classifier head (multinomial logistic regression on the frozen pooled features) for your own classes; writes the model, its labels and a card with held-out accuracy and confusion matrix.',
    )
    .requiredOption('--backbone <model.onnx>', 'FP32 classifier with its card whose last layer is a Gemm on pooled features (e.g. `fieldeye model synth`)')
    .requiredOption(
      '--data <dir|flight>',
      'folder with one subfolder of frames per class (its name is the label), or a flight written by `fieldeye simulate` (labels: its ground truth)',
    )
    .requiredOption('-o, --out <new.onnx>', 'output model; NEW.card.json and NEW.labels.txt are written next to it')
    .option('--holdout <share>', "share of each class's frames held out for the accuracy report (0 = none)", Number, DEFAULT_HOLDOUT)
    .option('--seed <n>', 'seed of the stratified hold-out split', positiveInt('--seed'), 1)
    .option('--l2 <lambda>', 'L2 penalty on the weights of the standardised features', Number, DEFAULT_HEAD_L2)
    .addOption(new Option('--preprocess <mode>', 'preprocessing of the frames, as in the pipeline').choices(['fast', 'exact']).default('fast'))
    .option('--name <name>', "model name in the card (default: the output file's name)")
    .option('--json', 'print one JSON document instead of the report', false)
    .action(async (opts: TrainHeadCommandOptions) => {
      exitCode = await trainHeadCommand(opts, cliLogger());
    });

  program
    .command('bench')
    .description('Measure batch-1 inference latency (p50/p90/p99) and frames/s per model and thread count; prints a markdown table.')
    .option(
      '-m, --model <file>',
      'ONNX model with its card; repeat for several (default: the generated ResNet-18)',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--threads <list>', 'comma-separated intra-op thread counts', (v: string) => v.split(',').map((t) => positiveInt('--threads')(t.trim())), [1, 2])
    .option('--seconds <s>', 'minimum measuring time per model and thread count', Number, 3)
    .option('--json <file>', 'also write the results, machine and versions as JSON')
    .action(async (opts: { model: string[]; threads: number[]; seconds: number; json?: string }) => {
      exitCode = await benchCommand(opts, cliLogger());
    });

  program
    .command('preflight')
    .description('Go/no-go before take-off: camera, model, GPS fix and clock, broker, free disk, temperature; exit 0 only on go.')
    .option('-c, --config <file>', 'config file (the one the flight will use)')
    .option('--json', 'print the report as JSON', false)
    .option('--publish', 'also publish the report retained on <prefix>preflight (needs a reachable configured broker)', false)
    .action(async (opts: PreflightCommandOptions) => {
      exitCode = await preflightCommand(opts, cliLogger());
    });

  const camera = program.command('camera').description('The Raspberry Pi camera (rpicam-vid).');
  camera
    .command('check')
    .description('List cameras, stream for a few seconds with the configured source settings, print frame size and measured fps, write a snapshot.')
    .option('-c, --config <file>', 'config whose source (type rpicam) gives the camera settings; default: the rpicam defaults')
    .option('--seconds <s>', 'how long to stream', Number, 3)
    .option('--snapshot <file>', 'where to write the last frame as JPEG', 'camera-check.jpg')
    .action(async (opts: { config?: string; seconds: number; snapshot: string }) => {
      exitCode = await cameraCheckCommand(opts, cliLogger());
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
  model
    .command('demo')
    .description(
      "The demo's field-zones model (crop rows, weeds, bare soil, water, stressed crop): the seeded backbone with a head fitted on a simulated field, built locally on first use (nothing downloaded), cached, written with its card and labels.",
    )
    .requiredOption('-o, --out <file>', 'output .onnx path (the card and labels go next to it)')
    .option('--cache <dir>', 'where the demo keeps what it builds (default .cache/demo in the package)')
    .addOption(new Option('--area <WxH>', 'the simulated training field, metres (tests use the small one their demo used)').hideHelp())
    .action(async (opts: ModelDemoOptions) => {
      exitCode = await modelDemoCommand(opts);
    });
  model
    .command('fuse-input')
    .description(
      'Write a copy of a float32 NCHW model that takes the crop as RGB bytes (uint8 NHWC): Cast, Transpose, Div 255, Sub mean, Div std become graph ops; writes its card.',
    )
    .requiredOption('-m, --model <file>', 'float32 NCHW ONNX model with its .card.json')
    .requiredOption('-o, --out <file>', 'output .onnx path (the card is written next to it)')
    .option('--input-name <name>', 'name of the new uint8 [N,H,W,3] input', 'input_rgb')
    .action(async (opts: ModelFuseInputCommandOptions) => {
      exitCode = await modelFuseInputCommand(opts, cliLogger());
    });
  model
    .command('ops')
    .description(
      'List the ops onnxruntime runs for a model on this CPU after its graph optimisations, and any float op still fed by a DequantizeLinear (an int8 model that did not fuse here).',
    )
    .argument('<model>', 'ONNX model')
    .option('--json', 'print JSON', false)
    .action(async (modelPath: string, opts: ModelOpsCommandOptions) => {
      exitCode = await modelOpsCommand(modelPath, opts);
    });
  model.addCommand(
    modelWinogradSubcommand(async (opts) => {
      exitCode = await modelWinogradCommand(opts, cliLogger());
    }),
  );

  await program.parseAsync(argv);
  return exitCode;
}

main(process.argv)
  .finally(stopProgress)
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err: Error) => {
      // Config, model and startup errors already name the thing and what to do; print just that.
      process.stderr.write(`fieldeye: ${redactUrlsIn(err.message)}\n`);
      if (process.env['FIELDEYE_DEBUG']) process.stderr.write(`${err.stack ?? ''}\n`);
      // A configuration fault is not retried by systemd (RestartPreventExitStatus=78): restarting cannot fix it.
      process.exitCode = exitCodeFor(err);
    },
  );
