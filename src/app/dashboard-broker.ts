// The broker the dashboard subscribes to: the one given, sinks.mqtt.url, or an embedded one opened here; the URL checked.
import type { Config } from '../config/schema.js';
import type { Secrets } from '../config/resolve-secrets.js';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from '../platform/logger.js';
import { redactUrl } from '../platform/redact-url.js';
import { startEmbeddedBroker } from '../publish/embedded-broker.js';
import type { MqttLinkOptions } from '../publish/mqtt-link-options.js';
import type { CleanupStack } from './cleanup-stack.js';
import { mqttLinkOptionsFrom } from './open-publishing.js';

export interface DashboardBroker {
  /** The URL to subscribe to, with credentials if the caller gave them. */
  readonly url: string;
  readonly protocolVersion: 4 | 5;
  /** Credentials and TLS from sinks.mqtt.*, as the drone would connect. */
  readonly mqtt: MqttLinkOptions;
}

/** A broker value as it may appear in an error: a URL's password redacted, and a scheme-less `user:pass@host` too. */
function shownBroker(value: string): string {
  return redactUrl(value).replace(/^([^\s:@/]*):[^\s@/]*@/, '$1:redacted@');
}

/** `broker` as DashboardOptions.broker has it; an embedded broker is pushed on `cleanups` as soon as it listens. */
export async function resolveDashboardBroker(
  broker: string | 'embedded' | null,
  config: Config,
  secrets: Secrets,
  cleanups: CleanupStack,
  logger: Logger,
): Promise<DashboardBroker> {
  let url = broker === 'embedded' ? '' : (broker ?? config.sinks.mqtt.url);
  let protocolVersion = config.sinks.mqtt.protocolVersion;
  if (broker === 'embedded') {
    const embedded = await startEmbeddedBroker({ host: '127.0.0.1', port: config.sinks.mqtt.embeddedBrokerPort }, logger.child({ stage: 'broker' }));
    cleanups.push(() => embedded.close());
    url = embedded.url;
    protocolVersion = 4; // aedes speaks MQTT 3.1.1 only
  }
  if (url === '') {
    throw new ConfigError('dashboard: no broker to subscribe to: pass --broker mqtt://host:1883, set sinks.mqtt.url in --config, or pass --embedded-broker');
  }
  if (!/^(mqtts?|wss?):\/\/[^\s]+$/.test(url)) {
    throw new ConfigError(`--broker: expected a broker URL such as mqtt://host:1883, received "${shownBroker(url)}"`);
  }
  return { url, protocolVersion, mqtt: mqttLinkOptionsFrom(config, secrets, url, protocolVersion) };
}
