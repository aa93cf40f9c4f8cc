// `fieldeye demo` (what `npm start` runs): a simulated survey flown through the real pipeline with a head fitted on another simulated field, published to an embedded broker, shown on the dashboard, scored against the simulator's ground truth.
import { join, resolve } from 'node:path';
import { CleanupStack } from '../app/cleanup-stack.js';
import { loadConfig } from '../config/load-config.js';
import { packageRoot } from '../platform/package-root.js';
import { FIELD_ZONES } from '../flight/recording-format.js';
import { DEMO_AREA, DEMO_SURVEY_SEED, demoConfig, demoDashboardToken, demoOutputPaths } from './demo-config.js';
import { showDemoField } from './demo-field.js';
import { clearDemoOutputs, flyDemoSurvey } from './demo-flight.js';
import { prepareDemoInputs } from './demo-inputs.js';
import { demoLoggers, demoOutput } from './demo-output.js';
import { reportDemo } from './demo-report.js';
import { serveUntilSignal, startDemoServers } from './demo-servers.js';
import { parseSpeed } from './replay-command.js';
import { parseArea } from './simulate-command.js';

// Where they were defined before the demo was carved into its demo-* modules; other commands import them from here.
export { DEMO_AREA, DEMO_SURVEY_SEED, DEMO_TRAIN_SEED } from './demo-config.js';

export interface DemoCommandOptions {
  speed: string;
  exit: boolean;
  port?: number;
  cache?: string;
  /** Hidden: a smaller field for both flights (tests); the demo itself surveys DEMO_AREA. */
  area?: string;
}

export async function demoCommand(opts: DemoCommandOptions): Promise<number> {
  const speed = parseSpeed(opts.speed);
  const area = parseArea(opts.area ?? DEMO_AREA);
  if (opts.port !== undefined && opts.port > 65535) throw new Error(`--port: expected a port between 0 and 65535 (0 = any free port), received ${opts.port}`);
  const cacheDir = resolve(opts.cache ?? join(packageRoot(), '.cache', 'demo'));
  const loaded = loadConfig(null).config;
  const { logger, quiet } = demoLoggers();
  const out = demoOutput;
  const config = demoConfig(loaded, cacheDir, opts.port);
  const token = demoDashboardToken(config);

  const cleanups = new CleanupStack();
  try {
    // Broker and dashboard first: the page is up while the model is built on a first start.
    const { broker, dashboard } = await startDemoServers({ config, token, portGiven: opts.port !== undefined, quiet }, cleanups, out);
    const { model, flight } = await prepareDemoInputs(cacheDir, area, logger, out);
    // Try-a-photo with the field-zones model, as soon as it exists: a photo of the operator's own field, classified
    // by the model the survey runs.
    await dashboard.enableTryPhoto(model.modelPath);
    // The surveyed field's truth under the results, before the first one arrives: right and wrong show at a glance.
    await showDemoField(dashboard, DEMO_SURVEY_SEED, area, model.card.head?.classes ?? FIELD_ZONES, out.say);
    const paths = demoOutputPaths(cacheDir);
    await clearDemoOutputs(paths, config.sinks.mqtt.outbox.path);
    const plan = { config, flight, modelPath: model.modelPath, brokerUrl: broker.url, dashboardUrl: dashboard.url, speed, resultsPath: paths.results };
    const flown = await flyDemoSurvey(plan, quiet, out);
    await reportDemo({ flight, flown, modelName: model.card.name, brokerUrl: broker.url, paths }, out);

    if (!opts.exit && !flown.stopped) await serveUntilSignal(dashboard.url, out);
    return flown.outcome.summary.results > 0 || flown.stopped ? 0 : 1;
  } finally {
    // CleanupStack's shutdown warning, worded as the demo's own one has always been.
    await cleanups.closeAll(logger.child({}, { msgPrefix: 'demo: ' }));
    await new Promise<void>((done) => logger.flush(() => done()));
  }
}
