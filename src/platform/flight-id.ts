// Flight ids: "auto" becomes the UTC start time, sortable and safe in MQTT topics and file names.

export function autoFlightId(now: Date = new Date()): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}
