// What `run` and `replay` say at the end of a flight about delivery, and the exit status that follows from it.
import type { RunOutcome } from '../app/run-flight.js';
import { EXIT } from '../platform/exit-codes.js';

/** Summary rows for the broker: only what is known, worded as such (an acknowledgement is not a delivery under 3.1.1). */
export function deliveryRows(outcome: RunOutcome): Record<string, string> {
  const rows: Record<string, string> = {};
  if (outcome.brokerUrl) rows['published to'] = outcome.brokerUrl;
  const d = outcome.delivery;
  if (!d) return rows;
  rows['broker acknowledged'] = `${d.acknowledged} (MQTT ${d.protocolVersion === 5 ? '5' : '3.1.1'})`;
  rows['broker refused'] = String(d.refused);
  rows['outbox dropped'] = String(d.dropped);
  rows['still queued'] = `${d.stillQueued}${d.stillQueued > 0 ? ' (sent on next start)' : ''}`;
  if (d.carriedOver > 0) rows['from earlier runs'] = String(d.carriedOver);
  rows['publish check'] = d.publishCheck.verdict;
  return rows;
}

/** 0 for a clean flight; 3 when the broker refused results or swallowed what it acknowledged; 1 when nothing came out. */
export function flightExitCode(outcome: RunOutcome, stopped: boolean): number {
  const d = outcome.delivery;
  if (d && (d.refused > 0 || d.publishCheck.verdict === 'swallowed' || d.publishCheck.verdict === 'refused')) return EXIT.delivery;
  return outcome.summary.results > 0 || stopped ? EXIT.ok : EXIT.failure;
}
