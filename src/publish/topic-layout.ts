// The ground station's view of the drones' topic prefix (sinks.mqtt.topicPrefix): one subscription for every
// drone, and which drone and which message kind a received topic is.
import { ConfigError } from '../config/config-error.js';

export type MessageKind = 'result' | 'status' | 'health' | 'flight' | 'coverage' | 'thumb';

export interface ParsedTopic {
  droneId: string;
  kind: MessageKind;
  /** thumb/<seq>: the frame's seq; null for other kinds. */
  seq: number | null;
}

export interface TopicLayout {
  /** e.g. fieldeye/v1/+/# */
  readonly filter: string;
  /** The drone and kind, or a reason when the topic is none of ours (another suffix, a malformed drone id). */
  parse(topic: string): ParsedTopic | { ignored: string };
}

const PLACEHOLDER = '{droneId}';
/** The same rule as the config's droneId: a topic level that cannot smuggle wildcards or path tricks. */
const DRONE_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * `prefix` is the drones' sinks.mqtt.topicPrefix ("fieldeye/v1/{droneId}/"). Without the placeholder every
 * message on it belongs to `fallbackDroneId` (a single-drone set-up).
 */
export function topicLayout(prefix: string, fallbackDroneId: string): TopicLayout {
  const at = prefix.indexOf(PLACEHOLDER);
  if (at < 0) {
    return {
      filter: `${prefix}#`,
      parse: (topic) => (topic.startsWith(prefix) ? parseSuffix(fallbackDroneId, topic.slice(prefix.length)) : { ignored: 'outside the topic prefix' }),
    };
  }
  const before = prefix.slice(0, at);
  const after = prefix.slice(at + PLACEHOLDER.length);
  // '+' only matches a whole level, so the placeholder must be one.
  if ((before !== '' && !before.endsWith('/')) || !after.startsWith('/') || after.includes(PLACEHOLDER)) {
    throw new ConfigError(
      `sinks.mqtt.topicPrefix: the dashboard needs "${PLACEHOLDER}" once, as a whole topic level (like fieldeye/v1/${PLACEHOLDER}/), received "${prefix}"`,
    );
  }
  return {
    filter: `${before}+${after}#`,
    parse: (topic) => {
      if (!topic.startsWith(before)) return { ignored: 'outside the topic prefix' };
      const rest = topic.slice(before.length);
      const slash = rest.indexOf('/');
      if (slash < 0) return { ignored: 'no drone level' };
      const droneId = rest.slice(0, slash);
      const tail = rest.slice(slash);
      if (!tail.startsWith(after)) return { ignored: 'outside the topic prefix' };
      if (!DRONE_ID.test(droneId)) return { ignored: 'drone id is not letters, digits, "_", "." or "-" (1-64)' };
      return parseSuffix(droneId, tail.slice(after.length));
    },
  };
}

function parseSuffix(droneId: string, suffix: string): ParsedTopic | { ignored: string } {
  switch (suffix) {
    case 'result':
    case 'status':
    case 'health':
    case 'flight':
    case 'coverage':
      return { droneId, kind: suffix, seq: null };
  }
  const thumb = /^thumb\/(\d{1,15})$/.exec(suffix);
  if (thumb) return { droneId, kind: 'thumb', seq: Number(thumb[1]) };
  return { ignored: `topic "${suffix}" is not shown (result, status, health, flight, coverage and thumb/<seq> are)` };
}
