// Turns one received MQTT message into what the ground store keeps: a validated result, health report, flight
// document or status, or a rejected message with its reason; never a half-valid result.
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { ResultSchema } from '../publish/result-schema.js';
import { HealthSchema } from '../publish/health-schema.js';
import { FlightSchema } from '../publish/flight-schema.js';
import { StatusSchema } from '../publish/status-schema.js';
import type { GroundTopics } from './ground-topics.js';
import type { GroundRecord } from './ground-store.js';

/** At most this many zod issues are named in a rejection reason; the rest are counted. */
const MAX_ISSUES = 3;

export interface DecodeContext {
  layout: GroundTopics;
  /** Length of the payload excerpt kept with a rejected message (characters). */
  excerptChars: number;
}

function excerptOf(payload: Buffer, chars: number): string {
  const text = payload.subarray(0, chars * 4).toString('utf8');
  // Escaped so a binary or hostile payload cannot put control characters into a terminal or a table viewer.
  // eslint-disable-next-line no-control-regex
  const clean = text.slice(0, chars).replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return text.length > chars || payload.length > chars * 4 ? `${clean}…` : clean;
}

function issuesText(issues: readonly z.core.$ZodIssue[]): string {
  const named = issues.slice(0, MAX_ISSUES).map((i) => `${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
  const more = issues.length > MAX_ISSUES ? `; and ${issues.length - MAX_ISSUES} more` : '';
  return `${named.join('; ')}${more}`;
}

export function decodeMessage(ctx: DecodeContext, topic: string, payload: Buffer, receivedAt: string): GroundRecord {
  const base = { topic, receivedAt };
  const reject = (reason: string): GroundRecord => ({
    ...base,
    kind: 'rejected',
    rejected: {
      reason,
      excerpt: excerptOf(payload, ctx.excerptChars),
      payloadBytes: payload.length,
      payloadSha256: createHash('sha256').update(payload).digest('hex'),
    },
  });
  const parsedTopic = ctx.layout.parse(topic);
  if ('ignored' in parsedTopic) return { ...base, kind: 'ignored', why: parsedTopic.ignored };
  const { droneId, kind } = parsedTopic;
  if (kind === 'thumb') return { ...base, kind: 'ignored', why: 'thumbnails are not stored' };
  // The end-of-flight coverage is for the crew before landing; the store computes its own from the footprints.
  if (kind === 'coverage') return { ...base, kind: 'ignored', why: 'coverage documents are not stored (fieldeye coverage computes them from the store)' };
  // An empty retained message is how a publisher clears a retained topic, not a malformed document.
  if (payload.length === 0 && kind !== 'result') return { ...base, kind: 'ignored', why: 'retained message cleared' };

  if (kind === 'status') {
    const status = StatusSchema.safeParse(payload.toString('utf8'));
    return status.success ? { ...base, kind: 'status', droneId, status: status.data } : reject('status: expected the text "online" or "offline"');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    return reject(`${kind}: not JSON (${(error as Error).message})`);
  }
  if (kind === 'result') {
    const checked = validate(ResultSchema, doc, kind, droneId);
    return typeof checked === 'string' ? reject(checked) : { ...base, kind, result: checked };
  }
  if (kind === 'health') {
    const checked = validate(HealthSchema, doc, kind, droneId);
    return typeof checked === 'string' ? reject(checked) : { ...base, kind, health: checked };
  }
  const checked = validate(FlightSchema, doc, kind, droneId);
  return typeof checked === 'string' ? reject(checked) : { ...base, kind, flight: checked };
}

/** The document, or why it is rejected. */
function validate<T extends { droneId: string }>(schema: z.ZodType<T>, doc: unknown, kind: string, droneId: string): T | string {
  const checked = schema.safeParse(doc);
  if (!checked.success) return `${kind}: does not match the ${kind} schema: ${issuesText(checked.error.issues)}`;
  // Broker ACLs pin each drone to its topic prefix, so the topic is the authenticated drone id; a payload claiming
  // another drone would let one drone write into another's flights.
  if (checked.data.droneId !== droneId) return `${kind}: droneId "${checked.data.droneId}" in the payload is not the topic's drone "${droneId}"`;
  return checked.data;
}
