// The dashboard's memory: every MQTT message validated with the published zod schemas, each drone's current
// flight (results, thumbnails, class counts, status, health) within fixed bounds, and what was refused.
import type { z } from 'zod';
import { FlightSchema } from '../publish/flight-schema.js';
import { HealthSchema } from '../publish/health-schema.js';
import { CoverageSchema } from '../publish/coverage-schema.js';
import { ResultSchema, type Result } from '../publish/result-schema.js';
import { StatusSchema } from '../publish/status-schema.js';
import { DiagnosticsLog } from './diagnostics-log.js';
import type { ClassCount, DashboardEvent, DiagnosticsView, DroneSnapshot, DroneView, ResultView } from './dashboard-types.js';
import type { TopicLayout } from '../publish/topic-layout.js';

export interface DashboardStateOptions {
  layout: TopicLayout;
  maxDrones: number;
  maxResultsPerDrone: number;
  maxThumbsPerDrone: number;
  diagnosticsKept: number;
}

/** JSON payloads above this are refused unread: a result is about 1.5 KB. */
export const MAX_JSON_PAYLOAD_BYTES = 256 * 1024;
/** Diagnostics reach the pages at most this often. */
const DIAGNOSTICS_EVENT_MS = 250;
/** Thumbnails are small previews (sinks.mqtt.thumb.widthPx <= 1024). */
export const MAX_THUMB_BYTES = 512 * 1024;

interface DroneRecord {
  view: DroneView;
  /** True when the current flight was named by a `flight` document (then results of other flights never take over). */
  flightFromDocument: boolean;
  latestCapturedMs: number;
  results: Map<number, ResultView>;
  counts: Map<number, ClassCount>;
  thumbs: Map<number, Buffer>;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string; detail: string };

function parseJson<T>(payload: Buffer, schema: z.ZodType<T>): Parsed<T> {
  if (payload.length > MAX_JSON_PAYLOAD_BYTES) {
    return { ok: false, problem: 'too-large', detail: `${payload.length} bytes; at most ${MAX_JSON_PAYLOAD_BYTES} are read` };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    return { ok: false, problem: 'json', detail: `not JSON: ${(error as Error).message}` };
  }
  let checked = schema.safeParse(doc);
  // Fields added since this dashboard was built are not a break (a breaking change bumps the topic's v1): a newer
  // drone's payload is read without them. Anything else wrong still refuses it.
  if (!checked.success && checked.error.issues.every((i) => i.code === 'unrecognized_keys')) {
    for (const issue of checked.error.issues) {
      const holder = issue.path.reduce<unknown>((at, key) => (at as Record<PropertyKey, unknown> | null)?.[key as PropertyKey], doc) as Record<
        string,
        unknown
      > | null;
      if (issue.code === 'unrecognized_keys' && holder && typeof holder === 'object') for (const k of issue.keys) delete holder[k];
    }
    checked = schema.safeParse(doc);
  }
  if (checked.success) return { ok: true, value: checked.data };
  const issues = checked.error.issues.slice(0, 4).map((i) => `${i.path.length > 0 ? i.path.join('.') : '(document)'}: ${i.message}`);
  const more = checked.error.issues.length > 4 ? ` (+${checked.error.issues.length - 4} more)` : '';
  return { ok: false, problem: 'schema', detail: `${issues.join('; ')}${more}` };
}

/** What the browser needs of a result: the top 3 of its top-k, the position's quality fields, no timings but the total. */
export function resultView(result: Result): ResultView {
  const p = result.position;
  return {
    seq: result.seq,
    capturedAt: result.capturedAt,
    timeSource: result.timeSource,
    frame: result.frame.name,
    position: p
      ? {
          latDeg: p.latDeg,
          lonDeg: p.lonDeg,
          altMslM: p.altMslM,
          altAglM: p.altAglM,
          source: p.source,
          fixType: p.fixType,
          hdop: p.hdop,
          satellites: p.satellites,
          sampleAgeMs: p.sampleAgeMs,
        }
      : null,
    positionReason: result.positionReason,
    target: result.target,
    footprint: result.footprint,
    footprintReason: result.footprintReason,
    top: result.top.slice(0, 3),
    totalMs: result.timingsMs.total,
  };
}

/** Widens the flight's capture span to a new result's time; results may arrive out of order (outbox drain). */
function noteCapture(view: DroneView, result: Result): void {
  const span = view.capture;
  if (span === null) {
    view.capture = { firstAt: result.capturedAt, lastAt: result.capturedAt };
    return;
  }
  const at = Date.parse(result.capturedAt);
  if (at < Date.parse(span.firstAt)) view.capture = { ...span, firstAt: result.capturedAt };
  else if (at > Date.parse(span.lastAt)) view.capture = { ...span, lastAt: result.capturedAt };
}

function userProperty(properties: Record<string, string | string[]> | undefined, name: string): string | undefined {
  const value = properties?.[name];
  return Array.isArray(value) ? value[0] : value;
}

export class DashboardState {
  private readonly drones = new Map<string, DroneRecord>();
  private readonly diagnostics: DiagnosticsLog;
  private readonly listeners = new Set<(event: DashboardEvent) => void>();
  private diagnosticsTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: DashboardStateOptions) {
    this.diagnostics = new DiagnosticsLog(options.diagnosticsKept);
  }

  /** Called synchronously for every change, in order. */
  subscribe(listener: (event: DashboardEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** One MQTT message as received; never throws. `userProperties` are the MQTT 5 ones (thumbnails carry flightId). */
  ingest(topic: string, payload: Buffer, userProperties?: Record<string, string | string[]>): void {
    const parsed = this.options.layout.parse(topic);
    if ('ignored' in parsed) {
      this.refuse('ignored', topic, 'ignored', parsed.ignored, payload);
      return;
    }
    const drone = this.droneFor(parsed.droneId, topic, payload);
    if (!drone) return;
    drone.view.lastMessageAt = new Date().toISOString();
    switch (parsed.kind) {
      case 'status':
        this.onStatus(drone, topic, payload);
        break;
      case 'flight':
        this.onFlight(drone, topic, payload);
        break;
      case 'health':
        this.onHealth(drone, topic, payload);
        break;
      case 'coverage':
        this.onCoverage(drone, topic, payload);
        break;
      case 'result':
        this.onResult(drone, topic, payload);
        break;
      case 'thumb':
        this.onThumb(drone, topic, payload, parsed.seq ?? 0, userProperty(userProperties, 'flightId'));
        break;
    }
  }

  /** The whole current state, for a browser that connects now. */
  snapshot(): { drones: DroneSnapshot[]; diagnostics: DiagnosticsView } {
    return {
      drones: [...this.drones.values()].map((d) => ({ drone: this.droneView(d), results: [...d.results.values()], thumbs: [...d.thumbs.keys()] })),
      diagnostics: this.diagnostics.view(),
    };
  }

  /** One drone's current flight and its kept results (no copy of the other drones, as snapshot() would make); undefined for an unknown drone. */
  flightResults(droneId: string): { flightId: string | null; results: Iterable<ResultView> } | undefined {
    const drone = this.drones.get(droneId);
    return drone && { flightId: drone.view.flightId, results: drone.results.values() };
  }

  /** The JPEG of a thumbnail of the drone's current flight, if it is still kept. */
  thumb(droneId: string, flightId: string, seq: number): Buffer | undefined {
    const drone = this.drones.get(droneId);
    if (!drone || drone.view.flightId !== flightId) return undefined;
    return drone.thumbs.get(seq);
  }

  private emit(event: DashboardEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private refuse(kind: 'malformed' | 'ignored', topic: string, problem: string, detail: string, payload: Buffer): void {
    this.diagnostics.add(kind, topic, problem, detail, payload);
    // At most a few panel updates a second: a sender flooding garbage must not become a flood to every page.
    if (this.diagnosticsTimer !== null) return;
    this.diagnosticsTimer = setTimeout(() => {
      this.diagnosticsTimer = null;
      this.emit({ type: 'diagnostics', diagnostics: this.diagnostics.view() });
    }, DIAGNOSTICS_EVENT_MS);
    this.diagnosticsTimer.unref();
  }

  private droneFor(droneId: string, topic: string, payload: Buffer): DroneRecord | undefined {
    const known = this.drones.get(droneId);
    if (known) return known;
    if (this.drones.size >= this.options.maxDrones) {
      this.refuse('malformed', topic, 'capacity', `already ${this.drones.size} drones (dashboard.maxDrones); this one is not tracked`, payload);
      return undefined;
    }
    const record: DroneRecord = {
      view: {
        droneId,
        status: null,
        statusAt: null,
        flightId: null,
        flight: null,
        health: null,
        healthAt: null,
        coverage: null,
        capture: null,
        counts: [],
        results: 0,
        evicted: 0,
        duplicates: 0,
        otherFlight: 0,
        ground: null,
        lastMessageAt: null,
      },
      flightFromDocument: false,
      latestCapturedMs: -Infinity,
      results: new Map(),
      counts: new Map(),
      thumbs: new Map(),
    };
    this.drones.set(droneId, record);
    return record;
  }

  private droneView(drone: DroneRecord): DroneView {
    const counts = [...drone.counts.values()].sort((a, b) => b.count - a.count || a.index - b.index).map((c) => ({ ...c }));
    return { ...drone.view, counts };
  }

  private changed(drone: DroneRecord): void {
    this.emit({ type: 'drone', drone: this.droneView(drone) });
  }

  /**
   * The payload parsed and validated, or undefined after it was refused into diagnostics. A payload that names
   * another drone than its topic is refused too: shown nowhere, because which drone is it?
   */
  private accept<T extends { droneId: string }>(drone: DroneRecord, topic: string, payload: Buffer, schema: z.ZodType<T>): T | undefined {
    const parsed = parseJson(payload, schema);
    if (!parsed.ok) {
      this.refuse('malformed', topic, parsed.problem, parsed.detail, payload);
      return undefined;
    }
    if (parsed.value.droneId !== drone.view.droneId) {
      this.refuse('malformed', topic, 'drone-mismatch', `payload droneId "${parsed.value.droneId}" on the topic of drone "${drone.view.droneId}"`, payload);
      return undefined;
    }
    return parsed.value;
  }

  private onStatus(drone: DroneRecord, topic: string, payload: Buffer): void {
    const status = StatusSchema.safeParse(payload.length <= 32 ? payload.toString('utf8') : '');
    if (!status.success) {
      this.refuse('malformed', topic, 'status', 'expected the text "online" or "offline"', payload);
      return;
    }
    drone.view.status = status.data;
    drone.view.statusAt = new Date().toISOString();
    this.changed(drone);
  }

  private onFlight(drone: DroneRecord, topic: string, payload: Buffer): void {
    const doc = this.accept(drone, topic, payload, FlightSchema);
    if (!doc) return;
    // MAVLink flights: after disarming the drone opens a "ground" flight. The flight just flown stays on the map
    // (what the crew looks at after landing) until the next one starts.
    const kind = (doc as { kind?: string }).kind;
    const shown = drone.view.flight as { kind?: string } | null;
    if (doc.flightId !== drone.view.flightId && kind === 'ground' && drone.view.results > 0 && shown?.kind !== 'ground') {
      drone.view.ground = { flightId: doc.flightId, since: doc.startedAt };
      this.changed(drone);
      return;
    }
    if (drone.view.flightId !== doc.flightId) this.startFlight(drone, doc.flightId);
    drone.view.flight = doc;
    drone.view.ground = null;
    drone.flightFromDocument = true;
    this.changed(drone);
  }

  private onHealth(drone: DroneRecord, topic: string, payload: Buffer): void {
    const health = this.accept(drone, topic, payload, HealthSchema);
    if (!health) return;
    drone.view.health = health;
    drone.view.healthAt = new Date().toISOString();
    this.changed(drone);
  }

  private onCoverage(drone: DroneRecord, topic: string, payload: Buffer): void {
    // An empty retained message clears the topic: nothing to show, nothing wrong.
    if (payload.length === 0) return;
    const coverage = this.accept(drone, topic, payload, CoverageSchema);
    if (!coverage) return;
    drone.view.coverage = coverage;
    this.changed(drone);
  }

  private onResult(drone: DroneRecord, topic: string, payload: Buffer): void {
    const result = this.accept(drone, topic, payload, ResultSchema);
    if (!result) return;
    const capturedMs = Date.parse(result.capturedAt);
    if (drone.view.flightId !== result.flightId) {
      // A flight document names the flight; without one the newest flight (by capture time) is the current one,
      // so a late outbox drain of an earlier flight does not wipe the map.
      const newer = drone.view.flightId === null || (!drone.flightFromDocument && capturedMs > drone.latestCapturedMs);
      if (!newer) {
        drone.view.otherFlight++;
        this.changed(drone);
        return;
      }
      this.startFlight(drone, result.flightId);
    }
    if (drone.results.has(result.seq) || (drone.view.evicted > 0 && this.wasEvicted(drone, result.seq))) {
      drone.view.duplicates++;
      this.changed(drone);
      return;
    }
    drone.latestCapturedMs = Math.max(drone.latestCapturedMs, capturedMs);
    noteCapture(drone.view, result);
    const view = resultView(result);
    drone.results.set(result.seq, view);
    drone.view.results++;
    const best = result.top[0];
    if (best) {
      const count = drone.counts.get(best.index) ?? { index: best.index, label: best.label, count: 0 };
      count.count++;
      drone.counts.set(best.index, count);
    }
    const evicted: number[] = [];
    while (drone.results.size > this.options.maxResultsPerDrone) {
      const oldest = drone.results.keys().next().value as number;
      drone.results.delete(oldest);
      drone.view.evicted++;
      evicted.push(oldest);
    }
    this.emit({ type: 'result', droneId: drone.view.droneId, result: view });
    if (evicted.length > 0) this.emit({ type: 'evicted', droneId: drone.view.droneId, seqs: evicted });
    this.changed(drone);
  }

  /** Evicted seqs are not remembered one by one; the lowest kept seq bounds them (results mostly arrive in order). */
  private wasEvicted(drone: DroneRecord, seq: number): boolean {
    const lowestKept = drone.results.keys().next().value;
    return lowestKept !== undefined && seq < lowestKept;
  }

  private onThumb(drone: DroneRecord, topic: string, payload: Buffer, seq: number, flightId: string | undefined): void {
    if (payload.length > MAX_THUMB_BYTES) {
      this.refuse('malformed', topic, 'too-large', `${payload.length} bytes; thumbnails are kept up to ${MAX_THUMB_BYTES}`, payload);
      return;
    }
    // JPEG start-of-image and end-of-image markers: the page only ever shows it as image/jpeg.
    const jpeg = payload.length > 4 && payload[0] === 0xff && payload[1] === 0xd8 && payload[2] === 0xff && payload.at(-2) === 0xff && payload.at(-1) === 0xd9;
    if (!jpeg) {
      this.refuse('malformed', topic, 'thumb', 'not a whole JPEG (no FF D8 FF start or FF D9 end)', payload);
      return;
    }
    if (this.options.maxThumbsPerDrone === 0) return;
    // A frame's thumbnail leaves before its result: it may be the first word of a new flight.
    if (drone.view.flightId === null && flightId !== undefined) this.startFlight(drone, flightId);
    // MQTT 3.1.1 has no user properties: then the thumbnail is taken to belong to the current flight.
    const current = drone.view.flightId;
    if (current === null || (flightId !== undefined && flightId !== current)) {
      drone.view.otherFlight++;
      this.changed(drone);
      return;
    }
    drone.thumbs.delete(seq);
    drone.thumbs.set(seq, payload);
    while (drone.thumbs.size > this.options.maxThumbsPerDrone) drone.thumbs.delete(drone.thumbs.keys().next().value as number);
    this.emit({ type: 'thumb', droneId: drone.view.droneId, flightId: current, seq });
  }

  private startFlight(drone: DroneRecord, flightId: string): void {
    drone.view.flightId = flightId;
    drone.view.flight = null;
    drone.view.results = 0;
    drone.view.evicted = 0;
    drone.view.duplicates = 0;
    drone.view.otherFlight = 0;
    drone.view.capture = null;
    drone.flightFromDocument = false;
    drone.latestCapturedMs = -Infinity;
    drone.results.clear();
    drone.counts.clear();
    drone.thumbs.clear();
    this.emit({ type: 'flight-reset', droneId: drone.view.droneId, flightId });
  }
}
