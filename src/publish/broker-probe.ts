// A plain MQTT connection for checking the broker (preflight): the flight's credentials and TLS, but no Last Will, nothing published on its own, and a clean end.
import { connect, type MqttClient } from 'mqtt';
import { redactUrl } from '../platform/redact-url.js';
import { waitForFirstConnack } from './mqtt-connect-errors.js';
import { credentialOptions, type MqttLinkOptions } from './mqtt-link-options.js';
import { checkPublishEcho, type EchoVerdict } from './publish-echo-check.js';

const END_TIMEOUT_MS = 2_000;

/**
 * Why not MqttLink: it publishes the retained `online`/`offline` status and leaves a Last Will, so a check
 * would tell every ground station the drone came and went. A probe only connects (clean session, no retries).
 */
export class BrokerProbe {
  private constructor(
    private readonly client: MqttClient,
    private readonly options: MqttLinkOptions,
    /** The URL without an embedded password, for reports. */
    readonly safeUrl: string,
  ) {}

  /** Connects within options.connectTimeoutMs; rejects with the reason worded as for a flight (refused, TLS, credentials, timeout). */
  static async connect(options: MqttLinkOptions): Promise<BrokerProbe> {
    const safeUrl = redactUrl(options.url);
    const client = connect(options.url, {
      protocolVersion: options.protocolVersion,
      clientId: options.clientId,
      clean: true,
      keepalive: options.keepaliveS,
      connectTimeout: options.connectTimeoutMs,
      reconnectPeriod: 0,
      ...credentialOptions(options),
    });
    // A late 'error' from a dying connection must not become an uncaught exception.
    client.on('error', () => undefined);
    try {
      await waitForFirstConnack(client, options, safeUrl);
    } catch (error) {
      client.end(true);
      throw error;
    }
    return new BrokerProbe(client, options, safeUrl);
  }

  /** What the check reports when the broker accepted the connection. */
  describe(): string {
    return `broker ${this.safeUrl} reachable: accepted an MQTT ${this.options.protocolVersion === 5 ? '5' : '3.1.1'} connection as "${this.options.clientId}"`;
  }

  /**
   * Whether the broker delivers what this client publishes, without telling ground stations anything: a
   * non-retained nonce on `<prefix>preflight/check`, subscribed to, must come back.
   */
  checkDelivery(): Promise<{ verdict: EchoVerdict; detail: string }> {
    const nonce = `preflight-${process.pid}-${Date.now()}`;
    return checkPublishEcho(this.client, {
      topic: `${this.options.topicPrefix}preflight/check`,
      payload: nonce,
      retain: false,
      isEcho: (payload) => payload.toString() === nonce,
    });
  }

  /** Only on request (`preflight --publish`): a JSON document on `<prefix><suffix>`, resolved on PUBACK for QoS 1. */
  async publishJson(suffix: string, document: unknown, options: { qos: 0 | 1; retain: boolean }): Promise<void> {
    const properties = this.options.protocolVersion === 5 ? { properties: { contentType: 'application/json', payloadFormatIndicator: true } } : {};
    await this.client.publishAsync(`${this.options.topicPrefix}${suffix}`, JSON.stringify(document), { ...options, ...properties });
  }

  /** DISCONNECT (normal), bounded: a stalled link is cut instead of holding the command up. */
  async end(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([
      this.client.endAsync(false).then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), END_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    if (!ended) await this.client.endAsync(true);
  }
}
