// Test helper: the dashboard as `fieldeye demo` runs it (startDashboard in this process, no model at start), so a
// test can switch try-a-photo on with enableTryPhoto while a page is open, as the demo does once its model is built.
import { startDashboard, type RunningDashboard } from '../../src/app/start-dashboard.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/platform/logger.js';

export type TryPhotoDashboard = Pick<RunningDashboard, 'url' | 'enableTryPhoto' | 'close'>;

export async function startTryPhotoDashboard(brokerUrl: string): Promise<TryPhotoDashboard> {
  const loaded = loadConfig(null, {}).config;
  const config = { ...loaded, dashboard: { ...loaded.dashboard, host: '127.0.0.1', port: 0 } };
  const logger = createLogger({ level: 'warn', pretty: false, destination: 2 });
  return startDashboard({ config, secrets: {}, broker: brokerUrl, token: null, modelPath: null, logger });
}
