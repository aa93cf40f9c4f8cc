// The settings of the drone's MQTT link (broker, identity, credentials, timings) and their checks before anything connects.
import type { IClientOptions } from 'mqtt';
import { ConfigError } from '../config/config-error.js';

export interface MqttLinkOptions {
  url: string;
  /** 5 for Mosquitto and other modern brokers; 4 (MQTT 3.1.1) for the embedded aedes broker. */
  protocolVersion: 4 | 5;
  clientId: string;
  /** Ends with '/', e.g. 'fieldeye/v1/drone-1/'; topics are `<prefix>result` and `<prefix>status`. */
  topicPrefix: string;
  username?: string;
  password?: string;
  connectTimeoutMs: number;
  keepaliveS: number;
  /** Upper bound for close(): pending PUBACKs, the `offline` status and DISCONNECT. Default 3000 ms. */
  closeTimeoutMs?: number;
  /** For mqtts:// and wss://: the CA that signed the broker's certificate, and an optional client certificate + key (PEM). */
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** 0 = clean session; > 0 = the broker keeps this client's session that long after a disconnect (MQTT 5 session expiry). */
  sessionExpiryS?: number;
  /** Reconnect delays after a link loss: exponential from min to max, with jitter. Default 1000 / 30000 ms. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/** Username, password and TLS material for mqtt.js (also used by the preflight's broker probe). */
export function credentialOptions(options: MqttLinkOptions): IClientOptions {
  return {
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.tls?.ca !== undefined ? { ca: options.tls.ca } : {}),
    ...(options.tls?.cert !== undefined ? { cert: options.tls.cert } : {}),
    ...(options.tls?.key !== undefined ? { key: options.tls.key } : {}),
    // Never accept a broker certificate we cannot verify: the link is a radio anyone can listen to.
    rejectUnauthorized: true,
  };
}

/** URL schemes mqtt.js connects with. */
const SCHEMES = new Set(['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'tls:', 'ws:', 'wss:']);

/** Configuration faults found before connecting: they are startup errors, never a link that is merely down. */
export function validateLinkOptions(options: MqttLinkOptions, safeUrl: string): void {
  let scheme: string;
  try {
    scheme = new URL(options.url).protocol;
  } catch {
    throw new ConfigError(`mqtt: sinks.mqtt.url is not a URL (received "${safeUrl}"); write it as mqtt://host:1883 or mqtts://host:8883`);
  }
  if (!SCHEMES.has(scheme)) {
    throw new ConfigError(`mqtt: sinks.mqtt.url must start with mqtt://, mqtts://, ws:// or wss:// (received "${safeUrl}")`);
  }
  const prefix = options.topicPrefix;
  if (prefix.length === 0 || !prefix.endsWith('/') || prefix.includes('+') || prefix.includes('#') || prefix.includes('\0')) {
    throw new ConfigError(
      `mqtt: sinks.mqtt.topicPrefix must end with '/' and contain no '+', '#' or NUL, e.g. 'fieldeye/v1/drone-1/' (received ${JSON.stringify(prefix)})`,
    );
  }
  if (options.clientId.length === 0) {
    throw new ConfigError('mqtt: sinks.mqtt.clientId must not be empty (received "")');
  }
  if (!Number.isFinite(options.connectTimeoutMs) || options.connectTimeoutMs <= 0) {
    throw new ConfigError(`mqtt: sinks.mqtt.connectTimeoutMs must be a positive number (received ${String(options.connectTimeoutMs)})`);
  }
}

/**
 * Delay before reconnect attempt `attempt` (0-based): doubles from min up to max, then a random 50-100 %
 * of that, so a fleet that lost the same broker does not come back in lockstep.
 */
export function reconnectDelayMs(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(Math.max(minMs, maxMs), minMs * 2 ** Math.min(attempt, 30));
  return Math.max(1, Math.round(ceiling * (0.5 + random() / 2)));
}

/** How a queued publish ended (see OutboxForwarder): acknowledged, refused by the broker, or never answered. */
export type MqttPublishOutcome = 'acked' | 'refused' | 'unacknowledged';

export interface LinkState {
  link: 'up' | 'down';
  /** Why, in words an operator can act on: the broker's answer or the network error, with what to check. */
  detail: string;
  sinceMs: number;
}

/**
 * Whether the broker really delivers what it acknowledges, checked by publishing the retained `online` status while
 * subscribed to it. MQTT 3.1.1 brokers acknowledge publishes an ACL denies and drop them; only this check shows it.
 */
export interface PublishCheck {
  verdict: 'pending' | 'delivered' | 'swallowed' | 'refused' | 'unverified';
  detail: string;
}

export interface MqttLinkOpenOptions {
  /**
   * Under MQTT 3.1.1 say once that broker refusals are invisible. Off for the embedded broker, which has no ACL;
   * default on.
   */
  warnInvisibleRefusals?: boolean;
}
