// The ground store at scale: PostgreSQL + PostGIS through `pg`. A batch is one transaction of one set-based
// INSERT ... ON CONFLICT per table (rows passed as arrays and unnested), so several workers can share the load.
import pg from 'pg';
import type { Logger } from '../platform/logger.js';
import { redactUrl } from '../platform/redact-url.js';
import * as T from './ground-tables.js';
import { createPostgisSchema, PG_TYPE } from './postgis-schema.js';
import { conflictClause, quoteIdent, ruleFor } from './upsert-sql.js';
import { emptyOutcome, type FlightKey, type GroundQueries, type GroundRecord, type GroundStore, type SqlParam, type WriteOutcome } from './ground-store.js';
import { filterClause, type RowFilter, type RowReader, type StoredRow } from './row-exchange.js';
import { encodeWkb, type SimpleGeometry } from './wkb.js';
import { classCells, type ClassPoint } from './class-grid.js';

interface Rows {
  values: T.CellValue[][];
  geometries: (Buffer | null)[];
}

/** INSERT ... SELECT FROM unnest(text[] per column, bytea[] of WKB): one statement and one round trip per table. */
function unnestInsertSql(spec: T.TableSpec): string {
  const names = spec.columns.map((c) => quoteIdent(c.name));
  const params = spec.columns.map((_, i) => `$${i + 1}::text[]`);
  const casts = spec.columns.map((c) => `t.${quoteIdent(c.name)}::${PG_TYPE[c.kind]}`);
  if (spec.geometry) {
    names.unshift('"geom"');
    params.push(`$${spec.columns.length + 1}::bytea[]`);
    casts.unshift('ST_GeomFromWKB(t."wkb", 4326)');
  }
  const aliases = [...spec.columns.map((c) => quoteIdent(c.name)), ...(spec.geometry ? ['"wkb"'] : [])];
  return (
    `INSERT INTO ${quoteIdent(spec.name)} (${names.join(', ')}) SELECT ${casts.join(', ')} ` +
    `FROM unnest(${params.join(', ')}) AS t(${aliases.join(', ')}) ${conflictClause(spec, ruleFor(spec))}`
  );
}

/** Sorted by key: concurrent workers then take row locks in one order and cannot deadlock on each other. */
function sortedByKey(spec: T.TableSpec, rows: Rows): Rows {
  const keyAt = spec.unique.map((name) => spec.columns.findIndex((c) => c.name === name));
  const order = rows.values.map((_, i) => i);
  const key = (i: number): string => keyAt.map((k) => String(rows.values[i]?.[k])).join('\u0000');
  order.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a - b));
  return { values: order.map((i) => rows.values[i] as T.CellValue[]), geometries: order.map((i) => rows.geometries[i] ?? null) };
}

/** Latest-wins tables take one row per key per statement (PostgreSQL refuses to update a row twice in one). */
function lastPerKey(spec: T.TableSpec, rows: Rows): Rows {
  const keyAt = spec.unique.map((name) => spec.columns.findIndex((c) => c.name === name));
  const keep = new Set(ruleFor(spec).keepIfNull ?? []);
  const byKey = new Map<string, number>();
  const out: Rows = { values: [], geometries: [] };
  rows.values.forEach((row, i) => {
    const key = keyAt.map((k) => String(row[k])).join('\u0000');
    const at = byKey.get(key);
    if (at === undefined) {
      byKey.set(key, out.values.length);
      out.values.push(row);
      out.geometries.push(rows.geometries[i] ?? null);
      return;
    }
    const previous = out.values[at] as T.CellValue[];
    out.values[at] = row.map((v, c) => (v === null && keep.has(spec.columns[c]?.name ?? '') ? (previous[c] ?? null) : v));
    out.geometries[at] = rows.geometries[i] ?? null;
  });
  return out;
}

export class PostgisGroundStore implements GroundStore, RowReader, GroundQueries {
  readonly description: string;
  private client: pg.Client | null = null;
  private readonly insertSql = new Map(T.ALL_TABLES.map((spec) => [spec.name, unnestInsertSql(spec)]));

  private constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {
    this.description = `PostGIS ${redactUrl(url)}`;
  }

  /** Connects and creates the tables (and the postgis extension) when missing. */
  static async open(url: string, logger: Logger): Promise<PostgisGroundStore> {
    const store = new PostgisGroundStore(url, logger);
    const client = await store.connected();
    await createPostgisSchema(client, T.ALL_TABLES);
    return store;
  }

  /** The connection, opened again after a loss: a database restart is a pause in storing, not the end of the process. */
  private async connected(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.url, application_name: 'fieldeye-ground' });
    // Without a listener a connection lost while idle would be an uncaught 'error' and end the process.
    client.on('error', (error) => {
      this.logger.warn({ store: this.description, err: error.message }, 'ground: database connection lost; reconnecting on the next batch');
      if (this.client === client) this.client = null;
    });
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new Error(`store.url: cannot connect to ${this.description} (${(error as Error).message})`, { cause: error });
    }
    this.client = client;
    return client;
  }

  private async insert(client: pg.Client, spec: T.TableSpec, rows: Rows): Promise<number> {
    if (rows.values.length === 0) return 0;
    const ready = sortedByKey(spec, ruleFor(spec).onConflict === 'update' ? lastPerKey(spec, rows) : rows);
    const columns = spec.columns.map((_, c) => ready.values.map((row) => (row[c] === null || row[c] === undefined ? null : String(row[c]))));
    const params: unknown[] = spec.geometry ? [...columns, ready.geometries] : columns;
    const done = await client.query(this.insertSql.get(spec.name) as string, params);
    return done.rowCount ?? 0;
  }

  async write(records: readonly GroundRecord[]): Promise<WriteOutcome> {
    const rows = new Map<string, Rows>(T.ALL_TABLES.map((spec) => [spec.name, { values: [], geometries: [] }]));
    const add = (spec: T.TableSpec, values: T.CellValue[], geometry: SimpleGeometry | null = null): void => {
      const r = rows.get(spec.name) as Rows;
      r.values.push(values);
      r.geometries.push(geometry ? encodeWkb(geometry) : null);
    };
    for (const rec of records) {
      if (rec.kind === 'result') {
        add(T.RESULTS, T.resultRow(rec.result, rec.receivedAt), T.resultGeometry(rec.result));
        const footprint = T.footprintGeometry(rec.result);
        if (footprint) add(T.FOOTPRINTS, T.footprintRow(rec.result), footprint);
      } else if (rec.kind === 'health') add(T.HEALTH, T.healthRow(rec.health, rec.receivedAt));
      else if (rec.kind === 'flight') add(T.FLIGHTS, T.flightRow(rec.flight, rec.receivedAt));
      else if (rec.kind === 'status') add(T.DRONE_STATUS, [rec.droneId, rec.status, rec.receivedAt]);
      else if (rec.kind === 'rejected') add(T.REJECTED, T.rejectedRow(rec.topic, rec.receivedAt, rec.rejected));
    }
    const get = (spec: T.TableSpec): Rows => rows.get(spec.name) as Rows;
    return await this.inTransaction(async (client) => {
      const out = emptyOutcome();
      out.resultsInserted = await this.insert(client, T.RESULTS, get(T.RESULTS));
      out.resultsDuplicate = get(T.RESULTS).values.length - out.resultsInserted;
      out.footprintsInserted = await this.insert(client, T.FOOTPRINTS, get(T.FOOTPRINTS));
      out.healthInserted = await this.insert(client, T.HEALTH, get(T.HEALTH));
      out.flightsUpserted = await this.insert(client, T.FLIGHTS, get(T.FLIGHTS));
      out.statusesUpserted = await this.insert(client, T.DRONE_STATUS, get(T.DRONE_STATUS));
      out.rejectedInserted = await this.insert(client, T.REJECTED, get(T.REJECTED));
      return out;
    });
  }

  async rebuildTracks(flights: readonly FlightKey[]): Promise<number> {
    const spec = T.FLIGHT_TRACKS;
    const sql =
      `INSERT INTO flight_tracks ("geom", ${spec.columns.map((c) => quoteIdent(c.name)).join(', ')}) ` +
      'SELECT ST_MakeLine(r.geom ORDER BY r.seq), r.drone_id, r.flight_id, count(*), min(r.seq), max(r.seq), ' +
      'min(r.captured_at), max(r.captured_at), now() ' +
      'FROM results r JOIN unnest($1::text[], $2::text[]) AS k(drone_id, flight_id) ' +
      'ON r.drone_id = k.drone_id AND r.flight_id = k.flight_id WHERE r.geom IS NOT NULL ' +
      `GROUP BY r.drone_id, r.flight_id HAVING count(*) >= 2 ${conflictClause(spec, ruleFor(spec))}`;
    const sorted = [...flights].sort((a, b) => (a.droneId + a.flightId < b.droneId + b.flightId ? -1 : 1));
    return await this.inTransaction(async (client) => {
      await client.query(sql, [sorted.map((f) => f.droneId), sorted.map((f) => f.flightId)]);
      const count = await client.query<{ n: string }>('SELECT count(*) AS n FROM flight_tracks');
      return Number(count.rows[0]?.n ?? 0);
    });
  }

  async rebuildClassCells(flights: readonly FlightKey[], cellM: number): Promise<number> {
    let n = 0;
    const pointsSql = T.CLASS_POINT_SQL.replace(/\?/g, () => `$${++n}`);
    return await this.inTransaction(async (client) => {
      let total = 0;
      const now = new Date().toISOString();
      for (const { droneId, flightId } of flights) {
        const points = (await client.query<ClassPoint>(pointsSql, [droneId, flightId])).rows;
        const cells = classCells(points, cellM);
        await client.query('DELETE FROM class_cells WHERE drone_id = $1 AND flight_id = $2 AND cell_m = $3', [droneId, flightId, cellM]);
        await this.insert(client, T.CLASS_CELLS, {
          values: cells.map((c) => T.classCellRow(droneId, flightId, cellM, c, now)),
          geometries: cells.map((c) => encodeWkb(c.polygon)),
        });
        total += cells.length;
      }
      return total;
    });
  }

  async select(sql: string, params: readonly SqlParam[]): Promise<Array<Record<string, unknown>>> {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    const client = await this.connected();
    const { rows } = await client.query<Record<string, unknown>>(text, [...params]);
    // timestamptz arrives as a Date; the GeoPackage keeps ISO text: callers see one form.
    return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])));
  }

  async *readRows(spec: T.TableSpec, filter: RowFilter): AsyncIterable<StoredRow[]> {
    const where = filterClause(spec, filter, (n) => `$${n + 1}`);
    if (where === null) return;
    // Times as the GeoPackage keeps them (ISO 8601 UTC with ms), JSON as text, bigints as numbers.
    const select = spec.columns.map((c) => {
      const n = quoteIdent(c.name);
      if (c.kind === 'time') return `to_char(${n} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
      return c.kind === 'json' ? `${n}::text` : n;
    });
    const sql =
      `SELECT fid, ${spec.geometry ? 'ST_AsBinary(geom)' : 'NULL'}, ${select.join(', ')} FROM ${quoteIdent(spec.name)} ` +
      `WHERE fid > $1${where.sql ? ` AND ${where.sql}` : ''} ORDER BY fid LIMIT 2000`;
    const client = await this.connected();
    for (let after = '0'; ;) {
      const { rows } = await client.query<unknown[]>({ text: sql, values: [after, ...where.params], rowMode: 'array' });
      if (rows.length === 0) return;
      after = String(rows[rows.length - 1]?.[0]);
      yield rows.map(([, wkb, ...values]) => ({
        wkb: (wkb as Buffer | null) ?? null,
        values: values.map((v, i) => (v !== null && spec.columns[i]?.kind === 'integer' ? Number(v) : v) as T.CellValue),
      }));
    }
  }

  private async inTransaction<R>(work: (client: pg.Client) => Promise<R>): Promise<R> {
    const client = await this.connected();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A failed statement leaves the transaction aborted; a lost connection is replaced on the next call.
      await client.query('ROLLBACK').catch(() => {
        if (this.client === client) this.client = null;
        void client.end().catch(() => undefined);
      });
      throw error;
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.end();
  }
}
