// Writes the class map into a new GeoPackage with one layer, class_map (Polygon, EPSG:4326, rtree index), through the
// ground store's own GeoPackage schema code; never over an existing file, and a failed run leaves no file behind.
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ConfigError } from '../config/config-error.js';
import type { ClassMapCell } from '../geo/class-map-cells.js';
import { encodeGpkgGeometry, registerGpkgFunctions } from './gpkg-geometry.js';
import { createGeoPackageSchema, WGS84_SRS_ID } from './gpkg-schema.js';
import type { CellValue, ColumnKind, ColumnSpec, TableSpec } from './ground-tables.js';
import { quoteIdent } from './upsert-sql.js';
import { envelopeOf, type Envelope } from './wkb.js';

const col = (name: string, kind: ColumnKind): ColumnSpec => ({ name, kind, notNull: true });

export const CLASS_MAP: TableSpec = {
  name: 'class_map',
  title: 'fieldeye class map',
  description:
    'Top-1 class shares per square cell of cell_m metres in UTM zone crs_epsg, weighted by the area of the footprints in the cell; ' +
    'the polygon is the cell with its corners in EPSG:4326',
  geometry: 'POLYGON',
  columns: [
    col('cell_m', 'real'),
    col('row', 'integer'),
    col('col', 'integer'),
    col('majority_label', 'text'),
    col('majority_share', 'real'),
    col('covered_m2', 'real'),
    col('footprints', 'integer'),
    col('mean_score', 'real'),
    col('shares_json', 'json'),
    col('crs_epsg', 'integer'),
  ],
  unique: ['cell_m', 'row', 'col'],
};

function cellRow(c: ClassMapCell, cellM: number, epsg: number): CellValue[] {
  const shares = JSON.stringify(Object.fromEntries(c.shares));
  return [cellM, c.row, c.col, c.majorityLabel, c.majorityShare, c.coveredM2, c.footprints, c.meanScore, shares, epsg];
}

/** Creates `out` exclusively: 'wx' fails when it exists, also when it appeared after any earlier check. */
function createExclusively(out: string): void {
  mkdirSync(dirname(out), { recursive: true });
  try {
    closeSync(openSync(out, 'wx'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    throw new ConfigError(`--out: ${out} exists; the class map is written into a new GeoPackage: choose another path or remove the file`);
  }
}

export class ClassMapWriter {
  private extent: Envelope | undefined;
  private written = 0;
  private readonly insert: Database.Statement<unknown[], unknown>;

  private constructor(
    private readonly db: Database.Database,
    private readonly out: string,
  ) {
    const names = ['geom', ...CLASS_MAP.columns.map((c) => c.name)];
    this.insert = db.prepare(`INSERT INTO class_map (${names.map(quoteIdent).join(', ')}) VALUES (${names.map(() => '?').join(', ')})`);
  }

  /** An empty SQLite file is a valid database to start from, so the exclusive create comes first. */
  static create(out: string): ClassMapWriter {
    createExclusively(out);
    let db: Database.Database | undefined;
    try {
      db = new Database(out);
      registerGpkgFunctions(db);
      createGeoPackageSchema(db, out, [CLASS_MAP]);
      return new ClassMapWriter(db, out);
    } catch (error) {
      db?.close();
      rmSync(out, { force: true });
      throw error;
    }
  }

  /** One transaction per batch. */
  append(cells: readonly ClassMapCell[], cellM: number, epsg: number): void {
    this.db.transaction(() => {
      for (const cell of cells) {
        this.insert.run(encodeGpkgGeometry(cell.polygon, WGS84_SRS_ID), ...cellRow(cell, cellM, epsg));
        const [minX, maxX, minY, maxY] = envelopeOf(cell.polygon) as Envelope;
        const e = this.extent;
        this.extent = e === undefined ? [minX, maxX, minY, maxY] : [Math.min(e[0], minX), Math.max(e[1], maxX), Math.min(e[2], minY), Math.max(e[3], maxY)];
      }
    })();
    this.written += cells.length;
  }

  /** Records the layer's extent (what GIS tools zoom to) and closes; returns the cells written. */
  finish(): number {
    const [minX, maxX, minY, maxY] = this.extent ?? [null, null, null, null];
    this.db
      .prepare('UPDATE gpkg_contents SET min_x = ?, max_x = ?, min_y = ?, max_y = ?, last_change = ? WHERE table_name = ?')
      .run(minX, maxX, minY, maxY, new Date().toISOString(), CLASS_MAP.name);
    this.db.close();
    return this.written;
  }

  /** Closes and removes the half-written file. */
  abort(): void {
    if (this.db.open) this.db.close();
    for (const suffix of ['', '-journal', '-wal', '-shm']) rmSync(this.out + suffix, { force: true });
  }
}
