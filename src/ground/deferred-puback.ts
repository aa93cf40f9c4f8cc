// Holds back the PUBACK of every QoS 1 message the ground process receives until its batch is committed, so the
// broker keeps (and redelivers after a crash) every result that is not yet in the store.
//
// Why not mqtt.js's documented hooks alone: `customHandleAcks` and `handleMessage` do delay the PUBACK, but they also
// stop mqtt.js from reading the next packet until they call back (node_modules/mqtt/build/lib/client.js: `work` runs
// one packet at a time; handlers/publish.js sends the PUBACK in the same callback). Used as designed they allow one
// unacknowledged message at a time: one transaction per message, a few hundred results/s. So mqtt.js still builds and
// "sends" each PUBACK, and this wrapper around its packet writer keeps it and lets the reader move on at once; the
// batch releases them, in the order the messages came (MQTT 5 §4.6), after COMMIT. A PUBACK held when the connection
// drops is discarded: the broker redelivers those messages on the new connection, and the store ignores the copies.
import type { IPublishPacket, MqttClient, Packet } from 'mqtt';

type SendPacket = (packet: Packet, cb?: (error?: Error) => void, cbStorePut?: () => void, noStore?: boolean) => void;

/** Which message to acknowledge, on which connection. */
export interface AckToken {
  readonly messageId: number;
  readonly connection: number;
}

export class DeferredPubacks {
  /** messageId -> the PUBACK mqtt.js built for it, on the current connection. */
  private readonly held = new Map<number, Packet>();
  /** Released before mqtt.js built their PUBACK (does not happen with mqtt 5.x, which builds it in the same tick). */
  private readonly releasedEarly = new Set<number>();
  private connection = 0;
  private readonly send: SendPacket;
  private discarded = 0;

  constructor(private readonly client: MqttClient) {
    const internals = client as unknown as { _sendPacket?: SendPacket };
    const original = internals._sendPacket;
    if (typeof original !== 'function') {
      throw new Error(
        'ground: this mqtt.js has no MqttClient._sendPacket, which holding PUBACKs until commit relies on; ' +
          'install the mqtt 5.x that package.json names (npm ci)',
      );
    }
    this.send = original.bind(client);
    internals._sendPacket = (packet, cb, cbStorePut, noStore) => {
      if (packet.cmd !== 'puback' || packet.messageId === undefined) {
        this.send(packet, cb, cbStorePut, noStore);
        return;
      }
      if (this.releasedEarly.delete(packet.messageId)) {
        this.send(packet, cb, cbStorePut, noStore);
        return;
      }
      this.held.set(packet.messageId, packet);
      // mqtt.js reads the next packet only after this callback: call it now, the PUBACK goes out at release().
      cb?.();
    };
    client.on('close', () => {
      this.discarded += this.held.size;
      this.held.clear();
      this.releasedEarly.clear();
      this.connection += 1;
    });
  }

  /** The token for a received message; null for QoS 0, which has no acknowledgement. */
  token(packet: IPublishPacket): AckToken | null {
    if (packet.qos !== 1 || packet.messageId === undefined) return null;
    return { messageId: packet.messageId, connection: this.connection };
  }

  /** Sends the PUBACKs of committed messages, in order; those from an earlier connection are skipped (redelivered). */
  release(tokens: readonly (AckToken | null)[]): number {
    let sent = 0;
    for (const token of tokens) {
      if (token === null || token.connection !== this.connection || !this.client.connected) continue;
      const packet = this.held.get(token.messageId);
      if (packet === undefined) {
        this.releasedEarly.add(token.messageId);
        continue;
      }
      this.held.delete(token.messageId);
      this.send(packet);
      sent += 1;
    }
    return sent;
  }

  /** PUBACKs waiting for a commit now. */
  get waiting(): number {
    return this.held.size;
  }

  /** PUBACKs dropped with a lost connection since the start (their messages come again). */
  get dropped(): number {
    return this.discarded;
  }
}
