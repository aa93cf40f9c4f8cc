// Turns what mqtt.js reports about a connection attempt into errors that name the broker, the cause and the setting to change, and says which are configuration faults.
import { ReasonCodes, type MqttClient } from 'mqtt';
import { ConfigError } from '../config/config-error.js';
import type { MqttLinkOptions } from './mqtt-link-options.js';

/** Resolves on the first CONNACK; rejects with an error naming the broker, the cause and what to change (also used by the preflight's broker probe). */
export function waitForFirstConnack(client: MqttClient, options: MqttLinkOptions, safeUrl: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (error: Error): void => {
      cleanup();
      reject(error);
    };
    const onConnect = (): void => {
      cleanup();
      resolve();
    };
    const timedOut = (): Error =>
      new Error(
        `mqtt: no answer from broker ${safeUrl} within ${options.connectTimeoutMs} ms (timeout); ` +
          'check sinks.mqtt.url (host, port, mqtt:// or mqtts://) and the network link to it',
      );
    const onError = (error: Error): void => {
      // mqtt.js runs the same timer for CONNACK and may get there first.
      fail(error.message === 'connack timeout' ? timedOut() : connectError(error, options, safeUrl));
    };
    const onClose = (): void => {
      fail(
        new Error(
          `mqtt: broker ${safeUrl} closed the connection before accepting it; if it only speaks MQTT 3.1.1 ` +
            '(like the embedded aedes broker) set sinks.mqtt.protocolVersion to 4',
        ),
      );
    };
    const timer = setTimeout(() => fail(timedOut()), options.connectTimeoutMs);
    function cleanup(): void {
      clearTimeout(timer);
      client.off('connect', onConnect);
      client.off('error', onError);
      client.off('close', onClose);
    }
    client.on('connect', onConnect);
    client.on('error', onError);
    client.on('close', onClose);
  });
}

export function connectError(error: Error, options: MqttLinkOptions, safeUrl: string): Error {
  const code: unknown = (error as { code?: unknown }).code;
  const cause = { cause: error };
  if (typeof code === 'string') {
    switch (code) {
      case 'ECONNREFUSED':
        return new Error(
          `mqtt: cannot reach broker ${safeUrl} (ECONNREFUSED); is it running? ` + 'set sinks.mqtt.url or leave it empty to use the embedded broker',
          cause,
        );
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return new Error(`mqtt: cannot resolve the host of ${safeUrl} (${code}); check sinks.mqtt.url`, cause);
      default:
        if (TLS_CODE.test(code)) {
          return new Error(
            `mqtt: TLS handshake with broker ${safeUrl} failed (${code}: ${error.message}); check sinks.mqtt.tls.caFile ` +
              "(the CA that signed the broker's certificate), that the URL's host is in that certificate, and " +
              'sinks.mqtt.tls.certFile/keyFile when the broker requires a client certificate',
            cause,
          );
        }
        return new Error(`mqtt: cannot reach broker ${safeUrl} (${code}: ${error.message}); check sinks.mqtt.url and the network link to it`, cause);
    }
  }
  if (typeof code === 'number') {
    const v5 = options.protocolVersion === 5;
    const label = `${(ReasonCodes as Record<number, string | undefined>)[code] ?? 'refused'} (code ${code})`;
    if (code === (v5 ? 134 : 4)) {
      return new Error(`mqtt: broker ${safeUrl} refused the connection: ${label}; check sinks.mqtt.username and sinks.mqtt.password`, cause);
    }
    if (code === (v5 ? 135 : 5)) {
      return new Error(
        `mqtt: broker ${safeUrl} refused the connection: ${label}; check sinks.mqtt.username/password and the broker's ACL for this client`,
        cause,
      );
    }
    // A 3.1.1-only broker (aedes) answers an MQTT 5 CONNECT with the 3.1.1 code 1, not 132.
    if (code === 132 || code === 1) {
      return new Error(`mqtt: broker ${safeUrl} refused the connection: ${label}; set sinks.mqtt.protocolVersion to ${v5 ? 4 : 5}`, cause);
    }
    if (code === (v5 ? 133 : 2)) {
      return new Error(
        `mqtt: broker ${safeUrl} refused client id "${options.clientId}": ${label}; use a unique client id (it defaults to the drone id)`,
        cause,
      );
    }
    return new Error(`mqtt: broker ${safeUrl} refused the connection: ${label}; see the broker's log`, cause);
  }
  return new Error(`mqtt: cannot connect to broker ${safeUrl} (${error.message}); check sinks.mqtt.url`, cause);
}

/**
 * A connection error that retrying cannot fix: the broker answered and refused these credentials, this client id or
 * this protocol version, or its certificate does not verify against the configured CA. Everything else (refused,
 * unreachable, unresolved, timed out) is a link that is down for now.
 */
export function isConfigurationFault(error: unknown): boolean {
  if (error instanceof ConfigError) return true;
  const code: unknown = (error as { code?: unknown } | null)?.code ?? (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof code === 'number') return CONFIG_CONNACK_CODES.has(code);
  return typeof code === 'string' && TLS_CODE.test(code);
}

/** CONNACK codes that mean "this client, as configured, will never be let in" (3.1.1: 1, 2, 4, 5; MQTT 5: 132-138, 140). */
const CONFIG_CONNACK_CODES = new Set([1, 2, 4, 5, 132, 133, 134, 135, 138, 140]);
const TLS_CODE = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO|HOSTNAME|ALTNAME/i;

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code: unknown = (error as { code?: unknown }).code;
    return code !== undefined ? `${String(code)}: ${error.message}` : error.message;
  }
  return String(error);
}
