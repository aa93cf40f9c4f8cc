// The class map from the station's GeoPackage: plain SQLite has no geometry functions, so the footprints the
// selection's SQL filter picks are streamed one row at a time and clipped in TypeScript (class-map-cells.ts);
// memory holds one tally per touched cell, never the footprints. The store is opened read-only.
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ConfigError } from '../config/config-error.js';
import { CellAccumulator, type ClassMapCell } from '../geo/class-map-cells.js';
import { selectionWhere, type ClassMapSelection } from './class-map-options.js';
import { CELL_BATCH, type ClassMapSource, type SelectionExtent } from './class-map-source.js';
import type { UtmZone } from '../geo/utm.js';
import { registerGpkgFunctions, wkbOfGpkgBlob } from './gpkg-geometry.js';
import { geometryOfWkb } from './wkb-geojson.js';

export class GeoPackageClassMapSource implements ClassMapSource {
  readonly description: string;

  private constructor(
    private readonly db: Database.Database,
    path: string,
  ) {
    this.description = `GeoPackage ${path}`;
  }

  static open(path: string): GeoPackageClassMapSource {
    if (!existsSync(path)) throw new ConfigError(`store.path: ${path} does not exist; point --config at the ground station's configuration`);
    const db = new Database(path, { readonly: true, fileMustExist: true });
    // ST_MinX etc. read the envelope GeoPackage blobs carry in their header: the extent without decoding WKB.
    registerGpkgFunctions(db);
    db.pragma('busy_timeout = 10000');
    return new GeoPackageClassMapSource(db, path);
  }

  extent(selection: ClassMapSelection): Promise<SelectionExtent> {
    const where = selectionWhere(selection, () => '?');
    const row = this.db
      .prepare(
        'SELECT count(*) AS n, min(ST_MinX(geom)) AS minLon, max(ST_MaxX(geom)) AS maxLon, min(ST_MinY(geom)) AS minLat, ' +
          `max(ST_MaxY(geom)) AS maxLat FROM footprints WHERE ${where.sql}`,
      )
      .get(...where.params) as { n: number; minLon: number | null; maxLon: number; minLat: number; maxLat: number };
    const bounds = row.minLon === null ? null : { minLon: row.minLon, maxLon: row.maxLon, minLat: row.minLat, maxLat: row.maxLat };
    return Promise.resolve({ footprints: row.n, bounds });
  }

  async *cells(selection: ClassMapSelection, zone: UtmZone, cellM: number): AsyncIterable<ClassMapCell[]> {
    const where = selectionWhere(selection, () => '?');
    const accumulator = new CellAccumulator(zone, cellM);
    const rows = this.db
      .prepare(`SELECT geom, top1_label, top1_score FROM footprints WHERE ${where.sql} ORDER BY fid`)
      .raw()
      .iterate(...where.params) as Iterable<[Buffer, string, number]>;
    for (const [blob, label, score] of rows) {
      const wkb = wkbOfGpkgBlob(blob);
      const geometry = wkb === null ? null : geometryOfWkb(wkb);
      const ring = geometry?.type === 'Polygon' ? geometry.coordinates[0] : undefined;
      if (ring !== undefined) accumulator.add(ring, label, score);
    }
    const cells = accumulator.cells();
    for (let at = 0; at < cells.length; at += CELL_BATCH) yield cells.slice(at, at + CELL_BATCH);
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}
