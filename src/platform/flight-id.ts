// Flight ids: "auto" becomes the UTC start time, sortable and safe in MQTT topics and file names; arming sessions derive theirs.

export function autoFlightId(now: Date = new Date()): string {
  return now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The id of the n-th armed flight of a run (n from 1): the arming time for `flightId: auto`, so ids stay sortable
 * and unique across runs; `<configured>-<n>` for a configured id, which names the run, not one take-off.
 */
export function armedFlightId(configured: string, n: number, armedAtMs: number): string {
  return configured === 'auto' ? autoFlightId(new Date(armedAtMs)) : `${configured}-${n}`;
}

/** The ground session after a flight lands: named after the flight, so it sorts next to it and says what it follows. */
export function landedFlightId(flightId: string): string {
  return `${flightId}-landed`;
}
