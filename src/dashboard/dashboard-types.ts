// What the dashboard server sends the browser (snapshot on connect, then events over Server-Sent Events):
// only validated, reduced views of the MQTT payloads, never a payload as received.
import type { Flight } from '../publish/flight-schema.js';
import type { Health } from '../publish/health-schema.js';
import type { Coverage } from '../publish/coverage-schema.js';
import type { GeoJsonPolygon, Result, TopClass } from '../publish/result-schema.js';
import type { FlightSummary } from '../ground/flight-history.js';

/**
 * One result as drawn on the map: the top 3, where it was taken and how well that is known. Live from MQTT or read
 * back from the ground store; the store keeps no fix age and no timings, so a stored result has null there.
 */
export interface ResultView {
  seq: number;
  capturedAt: string;
  timeSource: Result['timeSource'];
  frame: string;
  position:
    | (Pick<NonNullable<Result['position']>, 'latDeg' | 'lonDeg' | 'altMslM' | 'altAglM' | 'source' | 'fixType' | 'hdop' | 'satellites'> & {
        sampleAgeMs: number | null;
      })
    | null;
  positionReason: string | null;
  target: Result['target'];
  footprint: GeoJsonPolygon | null;
  footprintReason: string | null;
  top: TopClass[];
  totalMs: number | null;
}

export interface ClassCount {
  index: number;
  label: string;
  count: number;
}

export interface DroneView {
  droneId: string;
  /** From the retained status topic (or the broker's Last Will); null until one arrived. */
  status: 'online' | 'offline' | null;
  /** When the dashboard received that status, ISO 8601. */
  statusAt: string | null;
  flightId: string | null;
  flight: Flight | null;
  health: Health | null;
  healthAt: string | null;
  /** The retained end-of-flight coverage (covered share, gaps, extra survey lines); null until one arrived. */
  coverage: Coverage | null;
  /** The current flight's earliest and latest capture time, ISO 8601: the clock its chart and "started" are in. Null before a result. */
  capture: { firstAt: string; lastAt: string } | null;
  /** Top-1 classes of every result of the current flight, most frequent first. */
  counts: ClassCount[];
  /** Results of the current flight received (deduplicated), kept or not. */
  results: number;
  /** Results left out of memory (and off the map) by dashboard.maxResultsPerDrone; still counted above. */
  evicted: number;
  /** Results received twice (at-least-once delivery), ignored. */
  duplicates: number;
  /** Results and thumbnails of another flight than the current one, ignored. */
  otherFlight: number;
  /** Landed: the drone opened a ground flight (MAVLink disarm) while its last flight stays shown. */
  ground: { flightId: string; since: string } | null;
  lastMessageAt: string | null;
}

export interface DiagnosticEntry {
  at: string;
  topic: string;
  /** json | schema | drone-mismatch | thumb | status | capacity | too-large | ignored */
  problem: string;
  detail: string;
  /** The start of the payload as text (control characters shown as \u escapes), at most a few hundred characters. */
  excerpt: string;
  bytes: number;
}

export interface DiagnosticsView {
  /** Payloads that failed to parse or validate, or broke a bound, since start. */
  malformed: number;
  /** Messages on topics the dashboard does not show (e.g. preflight), since start. */
  ignored: number;
  /** The newest entries, newest first (dashboard.diagnosticsKept). */
  recent: DiagnosticEntry[];
}

export interface BrokerView {
  /** Without credentials. */
  url: string;
  filter: string;
  state: 'connecting' | 'up' | 'down';
  detail: string | null;
  since: string;
}

/** `bounds` ([[south, west], [north, east]]) when an MBTiles or PMTiles file says where its tiles are. */
export type TilesView =
  | { kind: 'none' }
  | { kind: 'template'; url: string }
  | { kind: 'folder'; url: string; minZoom: number; maxZoom: number; bounds?: [[number, number], [number, number]] };

export interface SettingsView {
  tiles: TilesView;
  /** The model behind "try a photo", or null when the dashboard was started without --model. */
  tryPhoto: { model: string; sha256: string; precision: string; classes: number } | null;
  uploadMaxBytes: number;
  maxResultsPerDrone: number;
  /** The ground store past flights are read from (--store / dashboard.store), or null: no past flights panel. */
  store: string | null;
  /** An image of the surveyed field to lay under the results (the demo's simulated truth), or null: none. */
  field: FieldOverlayView | null;
}

/** A georeferenced picture of the field (GET `url`), north up, and the class colours it is drawn in. */
export interface FieldOverlayView {
  url: string;
  /** [[south, west], [north, east]], degrees. */
  bounds: [[number, number], [number, number]];
  /** What the picture is, for the map's switch and the operator. */
  title: string;
  /** Each class shown in the picture with its model output index and colour: the page draws that class so too. */
  classes: Array<{ index: number; label: string; colour: string }>;
}

export interface DroneSnapshot {
  drone: DroneView;
  results: ResultView[];
  /** Seqs of the current flight that have a thumbnail. */
  thumbs: number[];
}

export interface Snapshot {
  settings: SettingsView;
  broker: BrokerView;
  drones: DroneSnapshot[];
  diagnostics: DiagnosticsView;
}

export type DashboardEvent =
  | { type: 'drone'; drone: DroneView }
  /** The drone started another flight: the browser drops its markers, track and chart. */
  | { type: 'flight-reset'; droneId: string; flightId: string }
  | { type: 'result'; droneId: string; result: ResultView }
  | { type: 'evicted'; droneId: string; seqs: number[] }
  | { type: 'thumb'; droneId: string; flightId: string; seq: number }
  | { type: 'diagnostics'; diagnostics: DiagnosticsView }
  | { type: 'broker'; broker: BrokerView }
  /** Settings changed while the page is open (try-a-photo turned on once its model exists). */
  | { type: 'settings'; settings: SettingsView };

/** GET /api/flights: the stored flights, newest first (at most `limit`; `truncated` when the store has more). */
export interface FlightListView {
  store: string;
  flights: FlightSummary[];
  limit: number;
  truncated: boolean;
}

/** GET /api/flights/<droneId>/<flightId>: one page of a stored flight's results, in seq order. */
export interface StoredFlightView {
  droneId: string;
  flightId: string;
  /** Results of the whole flight. */
  total: number;
  /** Top-1 classes of the whole flight, most frequent first (what the legend shows). */
  counts: ClassCount[];
  results: ResultView[];
  /** Pass as ?after= for the next page; null on the last one. */
  nextAfter: number | null;
}
