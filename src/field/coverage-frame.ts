// What the coverage check takes in: one frame's footprint, position and camera facts, and a field boundary, in [lon, lat].
import type { MultiPolygon, Pair } from 'polygon-clipping';

/** What the check needs of one frame; built from results (and the recording, when there is one). */
export interface CoverageFrame {
  seq: number;
  capturedAtMs: number;
  /** The camera's position, [lon, lat]; null when the frame had none. */
  position: Pair | null;
  /** The footprint's outer ring, [lon, lat]; null when there is none. */
  footprint: Pair[] | null;
  /** Ground speed, m/s, when the telemetry says; otherwise derived from the neighbouring positions. */
  speedMps: number | null;
  /** Exposure time, seconds; null when nothing recorded it. */
  exposureS: number | null;
  /** Pixels of the captured image across the footprint (the model's crop); null when the frame size is unknown. */
  footprintPx: number | null;
}

/** A field boundary in [lon, lat]: polygons with holes, as GeoJSON MultiPolygon coordinates. */
export interface FieldBoundary {
  name: string;
  polygons: MultiPolygon;
}
