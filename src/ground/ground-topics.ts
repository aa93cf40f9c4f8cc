// The drones' topic layout as the ground store reads it: the shared parser (src/publish/topic-layout.ts), with the
// ground's stricter rule that the prefix names the drone ("{droneId}" -> "+"), since a store keeps many drones apart.
import { ConfigError } from '../config/config-error.js';
import { topicLayout, type MessageKind } from '../publish/topic-layout.js';

export type GroundMessageKind = MessageKind;

export interface GroundTopics {
  /** e.g. fieldeye/v1/+/# */
  readonly filter: string;
  parse(topic: string): { droneId: string; kind: GroundMessageKind } | { ignored: string };
}

const PLACEHOLDER = '{droneId}';

/** `prefix` is the drones' sinks.mqtt.topicPrefix; it must hold "{droneId}" once, as a whole topic level. */
export function groundTopics(prefix: string): GroundTopics {
  const refuse = (): ConfigError =>
    new ConfigError(
      `broker.topicPrefix: expected the drones' topic prefix with "${PLACEHOLDER}" once as a whole level (like fieldeye/v1/${PLACEHOLDER}/), received "${prefix}"`,
    );
  if (!prefix.includes(PLACEHOLDER)) throw refuse();
  let layout;
  try {
    layout = topicLayout(prefix, '');
  } catch {
    throw refuse();
  }
  return {
    filter: layout.filter,
    parse: (topic) => {
      const parsed = layout.parse(topic);
      return 'ignored' in parsed ? parsed : { droneId: parsed.droneId, kind: parsed.kind };
    },
  };
}
