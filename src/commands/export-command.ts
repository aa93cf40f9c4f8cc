// `fieldeye export RESULTS`: a results file as map layers of one geometry type each: GeoJSON, CSV with WKT or KML
// (points, or footprints with --geometry, or a majority-class grid), or a GeoPackage with all of them as named layers.
import { existsSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { readResults } from '../flight/flight-reader.js';
import { exportResults, type ExportFormat, type ExportGeometry } from '../flight/export-results.js';
import { GeoPackageGroundStore } from '../ground/geopackage-store.js';
import type { Result } from '../publish/result-schema.js';

export interface ExportCommandOptions {
  format: ExportFormat | 'gpkg';
  grid?: number;
  geometry?: ExportGeometry;
  out: string;
}

/**
 * The ground station's GeoPackage layout, filled from a file instead of MQTT: `results` (Point), `footprints`
 * (Polygon) and `flight_tracks` (LineString) as named layers, the same tables `fieldeye ground` keeps.
 */
async function writeGeoPackage(results: readonly Result[], out: string, source: string): Promise<string> {
  await rm(out, { force: true });
  const store = GeoPackageGroundStore.open(out);
  try {
    const receivedAt = new Date().toISOString();
    await store.write(results.map((result) => ({ kind: 'result' as const, result, topic: source, receivedAt })));
    const flights = [...new Map(results.map((r) => [`${r.droneId}\u0000${r.flightId}`, { droneId: r.droneId, flightId: r.flightId }])).values()];
    const tracks = await store.rebuildTracks(flights);
    const footprints = results.filter((r) => r.footprint).length;
    return `layers results (${results.length} points, those without a position have no geometry), footprints (${footprints} polygons), flight_tracks (${tracks} lines)`;
  } finally {
    await store.close();
  }
}

export async function exportCommand(resultsPath: string, opts: ExportCommandOptions): Promise<number> {
  if (opts.grid !== undefined && !(opts.grid > 0)) throw new ConfigError(`--grid: expected a cell size in metres above 0, received ${opts.grid}`);
  if (opts.format === 'gpkg' && (opts.grid !== undefined || opts.geometry !== undefined)) {
    throw new ConfigError('--format gpkg writes every layer (results, footprints, flight tracks): leave out --grid and --geometry');
  }
  if (opts.grid !== undefined && opts.geometry !== undefined) throw new ConfigError('--grid writes grid cells: leave out --geometry');
  const read = await readResults(resultsPath);
  for (const p of read.problems) process.stderr.write(`fieldeye: skipped ${p}\n`);
  const out = resolve(opts.out);
  if (opts.format === 'gpkg') {
    if (existsSync(out) && !out.endsWith('.gpkg')) throw new ConfigError(`--out: ${out} exists and is not a .gpkg; choose another path`);
    const layers = await writeGeoPackage(read.items, out, basename(resultsPath));
    process.stdout.write(`wrote ${layers} from ${read.items.length} results to ${out}\n`);
    return 0;
  }
  const geometry = opts.geometry ?? 'points';
  const { text, features } = exportResults(read.items, {
    format: opts.format,
    ...(opts.grid !== undefined ? { gridM: opts.grid } : { geometry }),
    title: basename(resultsPath),
  });
  await writeFile(out, text);
  const unplaced = read.items.filter((r) => r.position === null && r.target === null).length;
  const what = opts.grid !== undefined ? `${opts.grid} m grid cells` : geometry;
  process.stdout.write(
    `wrote ${features} features (${what}) from ${read.items.length} results to ${out}${unplaced > 0 ? `; ${unplaced} results without a position left out` : ''}\n`,
  );
  return 0;
}
