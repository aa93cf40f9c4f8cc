// The embedded ground store: one GeoPackage file (SQLite, WAL) that QGIS and GDAL open as it is being written;
// each batch is one durable transaction (synchronous=FULL), so a commit survives kill -9 and power loss.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { encodeGpkgGeometry, gpkgBlobFromWkb, registerGpkgFunctions, wkbOfGpkgBlob } from './gpkg-geometry.js';
import { createGeoPackageSchema, WGS84_SRS_ID } from './gpkg-schema.js';
import * as T from './ground-tables.js';
import { conflictClause, quoteIdent, ruleFor } from './upsert-sql.js';
import { emptyOutcome, type FlightKey, type GroundQueries, type GroundRecord, type GroundStore, type SqlParam, type WriteOutcome } from './ground-store.js';
import { filterClause, type RowFilter, type RowReader, type StoredRow } from './row-exchange.js';
import { envelopeOf, envelopeOfWkb, type Envelope, type SimpleGeometry } from './wkb.js';
import { classCells, type ClassPoint } from './class-grid.js';

type Statement = Database.Statement<unknown[], unknown>;

function insertSql(spec: T.TableSpec): string {
  const names = [...(spec.geometry ? ['geom'] : []), ...spec.columns.map((c) => c.name)];
  return `INSERT INTO ${quoteIdent(spec.name)} (${names.map(quoteIdent).join(', ')}) VALUES (${names.map(() => '?').join(', ')}) ${conflictClause(spec, ruleFor(spec))}`;
}

function merge(a: Envelope | undefined, b: Envelope): Envelope {
  return a === undefined ? b : [Math.min(a[0], b[0]), Math.max(a[1], b[1]), Math.min(a[2], b[2]), Math.max(a[3], b[3])];
}

export class GeoPackageGroundStore implements GroundStore, RowReader, GroundQueries {
  readonly description: string;
  private readonly insert: Map<string, Statement>;
  private readonly touchContents: Statement;
  private readonly growExtent: Statement;
  private readonly trackPoints: Statement;
  private readonly countTracks: Statement;
  private readonly insertTrack: Statement;
  private readonly updateTrack: Statement;

  private constructor(
    private readonly db: Database.Database,
    path: string,
  ) {
    this.description = `GeoPackage ${path}`;
    this.insert = new Map(T.ALL_TABLES.map((spec) => [spec.name, db.prepare(insertSql(spec))]));
    this.touchContents = db.prepare('UPDATE gpkg_contents SET last_change = ? WHERE table_name = ?');
    // The layer extent GIS tools zoom to; grown per batch rather than recomputed over the whole table.
    this.growExtent = db.prepare(
      'UPDATE gpkg_contents SET min_x = min(coalesce(min_x, @minX), @minX), max_x = max(coalesce(max_x, @maxX), @maxX), ' +
        'min_y = min(coalesce(min_y, @minY), @minY), max_y = max(coalesce(max_y, @maxY), @maxY) WHERE table_name = @table',
    );
    this.trackPoints = db.prepare(
      'SELECT seq, lon_deg, lat_deg, captured_at FROM results WHERE drone_id = ? AND flight_id = ? AND lon_deg IS NOT NULL ORDER BY seq',
    );
    this.countTracks = db.prepare('SELECT count(*) AS n FROM flight_tracks');
    const trackColumns = T.FLIGHT_TRACKS.columns.map((c) => c.name);
    this.insertTrack = db.prepare(`INSERT INTO flight_tracks (geom, ${trackColumns.join(', ')}) VALUES (?, ${trackColumns.map(() => '?').join(', ')})`);
    this.updateTrack = db.prepare(
      `UPDATE flight_tracks SET geom = ?, ${trackColumns
        .slice(2)
        .map((c) => `${c} = ?`)
        .join(', ')} WHERE drone_id = ? AND flight_id = ?`,
    );
  }

  /** Opens (creating it and its folder when missing) the GeoPackage at `path`. */
  static open(path: string): GeoPackageGroundStore {
    mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      registerGpkgFunctions(db);
      // WAL: readers (QGIS, ogrinfo) never block the writer and see only committed batches. FULL: the WAL is
      // fsynced at every commit, which is what makes acknowledging to the broker after commit safe.
      db.pragma('busy_timeout = 10000');
      createGeoPackageSchema(db, path, T.ALL_TABLES);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      // GDAL reads application_id from the file's first page itself, not through SQLite: make sure it is in the
      // main file, not only in the WAL, or ogrinfo warns "bad application_id" until the next checkpoint.
      db.pragma('wal_checkpoint(TRUNCATE)');
      return new GeoPackageGroundStore(db, path);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  write(records: readonly GroundRecord[]): Promise<WriteOutcome> {
    try {
      return Promise.resolve(this.writeNow(records));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  private writeNow(records: readonly GroundRecord[]): WriteOutcome {
    const out = emptyOutcome();
    const extents = new Map<string, Envelope>();
    const touched = new Set<string>();
    const run = (spec: T.TableSpec, row: T.CellValue[], geometry: SimpleGeometry | null | undefined): number => {
      touched.add(spec.name);
      const values = spec.geometry ? [geometry ? encodeGpkgGeometry(geometry, WGS84_SRS_ID) : null, ...row] : row;
      const changes = (this.insert.get(spec.name) as Statement).run(...values).changes;
      const box = geometry && changes > 0 ? envelopeOf(geometry) : null;
      if (box) extents.set(spec.name, merge(extents.get(spec.name), box));
      return changes;
    };
    this.db.transaction(() => {
      for (const rec of records) {
        switch (rec.kind) {
          case 'result': {
            const inserted = run(T.RESULTS, T.resultRow(rec.result, rec.receivedAt), T.resultGeometry(rec.result));
            out.resultsInserted += inserted;
            out.resultsDuplicate += 1 - inserted;
            const footprint = T.footprintGeometry(rec.result);
            if (footprint) out.footprintsInserted += run(T.FOOTPRINTS, T.footprintRow(rec.result), footprint);
            break;
          }
          case 'health':
            out.healthInserted += run(T.HEALTH, T.healthRow(rec.health, rec.receivedAt), undefined);
            break;
          case 'flight':
            out.flightsUpserted += run(T.FLIGHTS, T.flightRow(rec.flight, rec.receivedAt), undefined);
            break;
          case 'status':
            out.statusesUpserted += run(T.DRONE_STATUS, [rec.droneId, rec.status, rec.receivedAt], undefined);
            break;
          case 'rejected':
            out.rejectedInserted += run(T.REJECTED, T.rejectedRow(rec.topic, rec.receivedAt, rec.rejected), undefined);
            break;
          case 'ignored':
            break;
        }
      }
      this.finishTables(touched, extents);
    })();
    return out;
  }

  private finishTables(touched: ReadonlySet<string>, extents: ReadonlyMap<string, Envelope>): void {
    const now = new Date().toISOString();
    for (const table of touched) this.touchContents.run(now, table);
    for (const [table, [minX, maxX, minY, maxY]] of extents) this.growExtent.run({ minX, maxX, minY, maxY, table });
  }

  rebuildTracks(flights: readonly FlightKey[]): Promise<number> {
    const extents = new Map<string, Envelope>();
    this.db.transaction(() => {
      const now = new Date().toISOString();
      for (const { droneId, flightId } of flights) {
        const rows = this.trackPoints.raw().all(droneId, flightId) as Array<[number, number, number, string]>;
        const first = rows[0];
        const last = rows[rows.length - 1];
        // A line needs two points; a flight with one fix so far gets its track on a later rebuild.
        if (first === undefined || last === undefined || rows.length < 2) continue;
        const line: SimpleGeometry = { type: 'LineString', coordinates: rows.map(([, lon, lat]) => [lon, lat] as const) };
        const row: T.CellValue[] = [droneId, flightId, rows.length, first[0], last[0], first[3], last[3], now];
        const geom = encodeGpkgGeometry(line, WGS84_SRS_ID);
        // UPDATE, then INSERT when there was no row: an upsert's conflict clause would override the OR REPLACE in
        // the rtree trigger (SQLite applies the outer statement's policy inside triggers) and fail on the index.
        if (this.updateTrack.run(geom, ...row.slice(2), droneId, flightId).changes === 0) this.insertTrack.run(geom, ...row);
        const box = envelopeOf(line);
        if (box) extents.set(T.FLIGHT_TRACKS.name, merge(extents.get(T.FLIGHT_TRACKS.name), box));
      }
      this.finishTables(new Set([T.FLIGHT_TRACKS.name]), extents);
    })();
    return Promise.resolve((this.countTracks.get() as { n: number }).n);
  }

  rebuildClassCells(flights: readonly FlightKey[], cellM: number): Promise<number> {
    const points = this.db.prepare(T.CLASS_POINT_SQL);
    const clear = this.db.prepare('DELETE FROM class_cells WHERE drone_id = ? AND flight_id = ? AND cell_m = ?');
    const insert = this.insert.get(T.CLASS_CELLS.name) as Statement;
    let total = 0;
    this.db.transaction(() => {
      const now = new Date().toISOString();
      let extent: Envelope | undefined;
      for (const { droneId, flightId } of flights) {
        const cells = classCells(points.all(droneId, flightId) as ClassPoint[], cellM);
        clear.run(droneId, flightId, cellM);
        for (const cell of cells) {
          insert.run(encodeGpkgGeometry(cell.polygon, WGS84_SRS_ID), ...T.classCellRow(droneId, flightId, cellM, cell, now));
          const box = envelopeOf(cell.polygon);
          if (box) extent = merge(extent, box);
        }
        total += cells.length;
      }
      this.finishTables(new Set([T.CLASS_CELLS.name]), extent ? new Map([[T.CLASS_CELLS.name, extent]]) : new Map());
    })();
    return Promise.resolve(total);
  }

  select(sql: string, params: readonly SqlParam[]): Promise<Array<Record<string, unknown>>> {
    return Promise.resolve(this.db.prepare(sql).all(...params) as Array<Record<string, unknown>>);
  }

  async *readRows(spec: T.TableSpec, filter: RowFilter): AsyncIterable<StoredRow[]> {
    const where = filterClause(spec, filter, () => '?');
    if (where === null) return;
    const columns = spec.columns.map((c) => quoteIdent(c.name)).join(', ');
    const sql = `SELECT ${spec.geometry ? 'geom' : 'NULL'}, ${columns} FROM ${quoteIdent(spec.name)}${where.sql ? ` WHERE ${where.sql}` : ''} ORDER BY fid`;
    let chunk: StoredRow[] = [];
    for (const row of this.db
      .prepare(sql)
      .raw()
      .iterate(...where.params) as Iterable<unknown[]>) {
      const [geom, ...values] = row;
      chunk.push({ wkb: geom === null ? null : wkbOfGpkgBlob(geom), values: values as T.CellValue[] });
      if (chunk.length >= 2000) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  }

  /** Rows read from another store (export), in one transaction; returns how many were new. */
  appendRows(spec: T.TableSpec, rows: readonly StoredRow[]): number {
    const insert = this.insert.get(spec.name) as Statement;
    let inserted = 0;
    this.db.transaction(() => {
      let extent: Envelope | undefined;
      for (const { values, wkb } of rows) {
        const changes = insert.run(...(spec.geometry ? [wkb ? gpkgBlobFromWkb(wkb, WGS84_SRS_ID) : null, ...values] : values)).changes;
        inserted += changes;
        const box = wkb && changes > 0 ? envelopeOfWkb(wkb) : null;
        if (box) extent = merge(extent, box);
      }
      this.finishTables(new Set([spec.name]), extent ? new Map([[spec.name, extent]]) : new Map());
    })();
    return inserted;
  }

  close(): Promise<void> {
    // A clean close checkpoints the WAL into the main file, so a copied .gpkg is complete on its own.
    this.db.close();
    return Promise.resolve();
  }
}
