// `fieldeye run --config FILE`: one flight through the pipeline, then the summary table.
import { loadConfig } from '../config/load-config.js';
import { resolveSecrets } from '../config/resolve-secrets.js';
import { createLogger } from '../platform/logger.js';
import { renderSummaryTable } from '../platform/summary-table.js';
import { runFlight } from '../app.js';

export interface RunCommandOptions {
  config?: string;
  maxFrames?: number;
  out?: string;
}

export async function runCommand(opts: RunCommandOptions): Promise<number> {
  const { config, file } = loadConfig(opts.config ?? null);
  const secrets = resolveSecrets(config);
  const logger = createLogger({ level: config.log.level });
  logger.info({ configFile: file, config }, 'starting');
  const outcome = await runFlight(config, secrets, logger, {
    ...(opts.maxFrames !== undefined ? { maxFrames: opts.maxFrames } : {}),
    ...(opts.out !== undefined ? { outPath: opts.out } : {}),
  });
  await new Promise<void>((resolve) => logger.flush(() => resolve()));
  const extra: Record<string, string> = { flight: outcome.flightId, 'model sha256': outcome.modelSha256.slice(0, 16) };
  if (outcome.resultsFile) extra['results file'] = outcome.resultsFile;
  if (outcome.brokerUrl) extra['published to'] = outcome.brokerUrl;
  process.stdout.write(`${renderSummaryTable(outcome.summary, extra)}\n`);
  return outcome.summary.results > 0 ? 0 : 1;
}
