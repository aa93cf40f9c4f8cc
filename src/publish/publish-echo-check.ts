// Finds out whether a broker delivers what it acknowledges: publish while subscribed to the same topic and wait for the copy.
import type { IPublishPacket, MqttClient } from 'mqtt';
import { settledWithin } from '../platform/with-timeout.js';
import { describeError } from './mqtt-connect-errors.js';

/** After the broker acknowledged the publish, this long for it to come back through the subscription. */
export const ECHO_WAIT_MS = 3_000;

export type EchoVerdict = 'delivered' | 'swallowed' | 'refused' | 'unverified';

export interface EchoCheck {
  topic: string;
  payload: string;
  retain: boolean;
  /** Which received message is our publish coming back (not, say, an old retained copy). */
  isEcho: (payload: Buffer, packet: IPublishPacket) => boolean;
}

/**
 * Subscribes to `check.topic`, publishes at QoS 1 and waits for the copy. MQTT 3.1.1 brokers acknowledge publishes
 * their ACL denies and drop them, so only the missing copy shows it ("swallowed"); MQTT 5 brokers say no in the
 * PUBACK ("refused"). A client that may not subscribe cannot tell ("unverified"), nor can one whose link dropped.
 */
export async function checkPublishEcho(client: MqttClient, check: EchoCheck): Promise<{ verdict: EchoVerdict; detail: string }> {
  let echoed!: () => void;
  const echo = new Promise<void>((resolve) => {
    echoed = resolve;
  });
  const onMessage = (topic: string, payload: Buffer, packet: IPublishPacket): void => {
    if (topic === check.topic && check.isEcho(payload, packet)) echoed();
  };
  client.on('message', onMessage);
  try {
    let subscribed = false;
    try {
      const granted = await client.subscribeAsync(check.topic, { qos: 1 });
      subscribed = granted.every((g) => g.qos < 128);
    } catch {
      subscribed = false;
    }
    try {
      await client.publishAsync(check.topic, check.payload, { qos: 1, retain: check.retain });
    } catch (error) {
      if (typeof (error as { code?: unknown }).code === 'number') {
        return { verdict: 'refused', detail: `the broker refused a publish on ${check.topic} (${describeError(error)}); check its ACL for this client` };
      }
      return { verdict: 'unverified', detail: `the publish on ${check.topic} was not acknowledged (${describeError(error)})` };
    }
    if (!subscribed) return { verdict: 'unverified', detail: `not allowed to subscribe to ${check.topic}, so delivery cannot be checked` };
    if (await settledWithin(echo, ECHO_WAIT_MS)) {
      return { verdict: 'delivered', detail: `the broker delivered a publish on ${check.topic} back to this client` };
    }
    if (!client.connected) return { verdict: 'unverified', detail: 'the link dropped during the check' };
    return {
      verdict: 'swallowed',
      detail:
        `the broker acknowledged a publish on ${check.topic} but never delivered it (within ${ECHO_WAIT_MS} ms): it drops this ` +
        "client's publishes, most likely an ACL denying writes under sinks.mqtt.topicPrefix",
    };
  } finally {
    client.off('message', onMessage);
    if (client.connected) void client.unsubscribeAsync(check.topic).catch(() => undefined);
  }
}
