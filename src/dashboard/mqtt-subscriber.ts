// The dashboard's MQTT client: one subscription to every drone's topics, kept across link losses (the broker
// link is a state shown on the page, never a reason to stop), every message handed on as received.
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from '../platform/logger.js';
import { redactUrl, redactUrlsIn } from '../platform/redact-url.js';
import type { BrokerView } from './dashboard-types.js';

export interface MqttSubscriberOptions {
  url: string;
  protocolVersion: 4 | 5;
  filter: string;
  username?: string;
  password?: string;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  /** Delay between reconnect attempts. */
  reconnectMs: number;
  connectTimeoutMs: number;
  keepaliveS: number;
  onMessage(topic: string, payload: Buffer, userProperties: Record<string, string | string[]> | undefined): void;
  onBrokerChange(view: BrokerView): void;
  logger: Logger;
}

export class MqttSubscriber {
  private state: BrokerView;
  private readonly client: MqttClient;

  private constructor(private readonly options: MqttSubscriberOptions) {
    this.state = { url: redactUrl(options.url), filter: options.filter, state: 'connecting', detail: null, since: new Date().toISOString() };
    const clientOptions: IClientOptions = {
      protocolVersion: options.protocolVersion,
      clientId: `fieldeye-dashboard-${process.pid}-${Math.random().toString(16).slice(2, 10)}`,
      clean: true,
      // Subscribed again on every connect below, after which the page says the link is up.
      resubscribe: false,
      reconnectPeriod: options.reconnectMs,
      connectTimeout: options.connectTimeoutMs,
      keepalive: options.keepaliveS,
      ...(options.username !== undefined && options.username !== '' ? { username: options.username } : {}),
      ...(options.password !== undefined ? { password: options.password } : {}),
      ...(options.tls?.ca !== undefined ? { ca: options.tls.ca } : {}),
      ...(options.tls?.cert !== undefined ? { cert: options.tls.cert } : {}),
      ...(options.tls?.key !== undefined ? { key: options.tls.key } : {}),
      rejectUnauthorized: true,
    };
    this.client = connect(options.url, clientOptions);
    // Attached before anything can arrive: retained status and flight documents come right after SUBACK.
    this.client.on('message', (topic, payload, packet) => {
      options.onMessage(topic, payload, packet.properties?.userProperties as Record<string, string | string[]> | undefined);
    });
    this.client.on('connect', () => {
      this.client.subscribe(options.filter, { qos: 1 }, (error, granted) => {
        const refused = granted?.find((g) => g.qos > 2);
        if (error || refused) {
          const detail = error ? error.message : `subscription to ${options.filter} refused by the broker (check its ACL)`;
          options.logger.error({ url: this.state.url, filter: options.filter, err: detail }, 'dashboard: cannot subscribe');
          this.set('down', detail);
          return;
        }
        options.logger.info({ url: this.state.url, filter: options.filter }, 'dashboard: subscribed');
        this.set('up', null);
      });
    });
    this.client.on('error', (error) => {
      options.logger.warn({ url: this.state.url, err: error.message }, 'dashboard: broker link error');
      this.set(this.client.connected ? 'up' : 'down', error.message);
    });
    this.client.on('close', () => {
      if (this.state.state !== 'down') this.set('down', this.state.detail ?? 'connection closed');
    });
    this.client.on('reconnect', () => this.set('connecting', this.state.detail));
  }

  static start(options: MqttSubscriberOptions): MqttSubscriber {
    return new MqttSubscriber(options);
  }

  view(): BrokerView {
    return { ...this.state };
  }

  async close(): Promise<void> {
    await this.client.endAsync(true);
  }

  private set(state: BrokerView['state'], rawDetail: string | null): void {
    // The detail is shown on the page: an error quoting the broker URL must not carry its password there.
    const detail = rawDetail === null ? null : redactUrlsIn(rawDetail);
    if (state === this.state.state && detail === this.state.detail) return;
    this.state = { ...this.state, state, detail, since: state === this.state.state ? this.state.since : new Date().toISOString() };
    this.options.onBrokerChange(this.view());
  }
}
