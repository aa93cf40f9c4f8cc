// Resolves secrets (the MQTT password) from a file or the environment, never from the config text,
// and keeps them out of the Config object so logging the config can never leak them.
import { readFileSync } from 'node:fs';
import type { Config } from './schema.js';
import { ConfigError } from './config-error.js';

export interface Secrets {
  mqttPassword?: string;
}

export function resolveSecrets(config: Config, env: NodeJS.ProcessEnv = process.env): Secrets {
  const { passwordFile, passwordEnv } = config.sinks.mqtt;
  if (passwordFile !== '') {
    try {
      const first = readFileSync(passwordFile, 'utf8').split(/\r?\n/)[0] ?? '';
      return { mqttPassword: first };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new ConfigError(`sinks.mqtt.passwordFile: cannot read ${passwordFile} (${code}); create it (mode 0600) or set the key to ""`);
    }
  }
  const fromEnv = passwordEnv === '' ? undefined : env[passwordEnv];
  return fromEnv === undefined ? {} : { mqttPassword: fromEnv };
}
