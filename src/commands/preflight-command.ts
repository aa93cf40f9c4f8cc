// `fieldeye preflight --config FILE [--json] [--publish]`: one go/no-go report before take-off; exit 0 only on go.
import { loadConfig } from '../config/load-config.js';
import { resolveSecrets, type Secrets } from '../config/resolve-secrets.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../platform/logger.js';
import { connectPreflightProbe, runPreflight, type PreflightReport } from '../app/preflight.js';

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

/** Retained on `<prefix>preflight`, so a ground station that subscribes later still sees the last verdict. */
async function publishReport(config: Config, secrets: Secrets, report: PreflightReport): Promise<void> {
  const broker = report.checks.find((c) => c.name === 'broker');
  if (!config.sinks.mqtt.enabled || config.sinks.mqtt.url === '' || broker?.status !== 'ok') {
    process.stderr.write('preflight: not published: no reachable configured broker (sinks.mqtt.url empty, disabled or failing)\n');
    return;
  }
  try {
    const probe = await connectPreflightProbe(config, secrets);
    try {
      await probe.publishJson('preflight', report, { qos: 1, retain: true });
    } finally {
      await probe.end();
    }
  } catch (err) {
    // The verdict still goes to stdout: a link that dropped since the check must not hide it.
    process.stderr.write(`preflight: not published: ${(err as Error).message}\n`);
  }
}

export async function preflightCommand(opts: PreflightCommandOptions, logger: Logger): Promise<number> {
  const { config } = loadConfig(opts.config ?? null);
  const secrets = resolveSecrets(config);
  const report = await runPreflight(config, secrets, logger);
  if (opts.publish) await publishReport(config, secrets, report);
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
  return report.go ? 0 : 1;
}
