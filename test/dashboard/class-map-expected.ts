// Test helper: the class map the ground station's own code makes of a flight's results (10 m UTM cells, zone of the
// footprints' centre): what the dashboard's class-map layer must draw for them.
import { CellAccumulator, type ClassMapCell } from '../../src/geo/class-map-cells.js';
import { utmZoneOf } from '../../src/geo/utm.js';
import type { Result } from '../../src/publish/result-schema.js';

export function expectedClassMap(results: readonly Result[], cellM = 10): ClassMapCell[] {
  const ring = (r: Result) => r.footprint?.coordinates[0] ?? [];
  const lons = results.flatMap((r) => ring(r).map(([lon]) => lon));
  const lats = results.flatMap((r) => ring(r).map(([, lat]) => lat));
  const zone = utmZoneOf((Math.min(...lons) + Math.max(...lons)) / 2, (Math.min(...lats) + Math.max(...lats)) / 2);
  const cells = new CellAccumulator(zone, cellM);
  for (const r of results) if (r.footprint) cells.add(ring(r), r.top[0]!.label, r.top[0]!.score);
  return cells.cells();
}

/** Every class-map cell the page drew: its drone, row, column, class and share (page-side code as a string: no DOM types here). */
export const DRAWN_CELLS = `Array.from(document.querySelectorAll('path.fe-classcell')).map((p) => ({
  drone: p.dataset.drone, row: Number(p.dataset.row), col: Number(p.dataset.col), label: p.dataset.label, share: Number(p.dataset.share),
}))`;
