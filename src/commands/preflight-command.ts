// `fieldeye preflight --config FILE [--json] [--publish]`: one go/no-go report before take-off; exit 0 only on go.
import { loadConfig } from '../config/load-config.js';
import { resolveSecrets } from '../config/resolve-secrets.js';
import type { Logger } from '../platform/logger.js';
import { runPreflight, type PreflightReport } from '../platform/preflight.js';

export interface PreflightCommandOptions {
  config?: string;
  json: boolean;
  publish: boolean;
}

function renderReport(report: PreflightReport): string {
  const width = Math.max(...report.checks.map((c) => c.name.length));
  const lines = report.checks.map((c) => `${c.status.toUpperCase().padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}`);
  return `${lines.join('\n')}\n${report.go ? 'GO' : 'NO-GO'}: ${report.checks.filter((c) => c.status === 'fail').length} failed, ${report.checks.filter((c) => c.status === 'warn').length} warnings\n`;
}

export async function preflightCommand(opts: PreflightCommandOptions, logger: Logger): Promise<number> {
  const { config } = loadConfig(opts.config ?? null);
  const secrets = resolveSecrets(config);
  const { report, broker } = await runPreflight(config, secrets, logger);
  try {
    if (opts.publish) {
      if (broker) {
        // Retained, so a ground station that subscribes later still sees the last verdict.
        await broker.publishJson('preflight', report, { qos: 1, retain: true });
      } else {
        process.stderr.write('preflight: not published: no reachable configured broker (sinks.mqtt.url empty, disabled or failing)\n');
      }
    }
  } finally {
    await broker?.close();
  }
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
  return report.go ? 0 : 1;
}
