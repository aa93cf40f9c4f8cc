// Read-only access to the ground store from another process (the dashboard): the GeoPackage opened read-only as a
// WAL reader next to a running `fieldeye ground`, or PostGIS through a small read-only pg pool.
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { applyEnvOverrides, readConfigDocument } from '../config/load-config.js';
import { FieldeyeError } from '../platform/fieldeye-error.js';
import type { Logger } from '../platform/logger.js';
import { redactUrl } from '../platform/redact-url.js';
import { GROUND_ENV_PREFIX, parseGroundConfig, type GroundConfig } from './ground-config.js';
import type { GroundQueries, SqlParam } from './ground-store.js';

/** Which SQL a geometry needs: the GeoPackage keeps GeoPackage blobs, PostGIS hands out WKB with ST_AsBinary. */
export type GroundDialect = 'geopackage' | 'postgis';

export interface GroundReader extends GroundQueries {
  readonly dialect: GroundDialect;
  /** For logs and the page: the file path or the redacted database URL. */
  readonly description: string;
  close(): Promise<void>;
}

/** The store cannot be read now (no file yet, no tables yet, database down); a later request may succeed. */
export class GroundStoreUnavailable extends FieldeyeError {
  constructor(message: string, cause?: unknown) {
    super('link', message, { cause });
  }
}

/**
 * The store settings of a ground config file, as `fieldeye ground` reads them (same schema, FIELDEYE_GROUND__ overrides,
 * store.path relative to the file). Not loadGroundConfig: that also reads the broker password, which a reader does not
 * need and the dashboard's user may not be allowed to read.
 */
export function loadGroundStoreConfig(file: string, env: NodeJS.ProcessEnv = process.env): GroundConfig['store'] {
  const doc = readConfigDocument(file, { label: 'ground config', exampleKeys: 'broker: ..., store: ...', reference: 'config/ground.yaml' });
  const { store } = parseGroundConfig(applyEnvOverrides(doc, env, GROUND_ENV_PREFIX), file);
  return { ...store, path: isAbsolute(store.path) ? store.path : resolve(dirname(resolve(file)), store.path) };
}

/** Opens nothing yet: the GeoPackage is opened on first use (the ground process may create it later), pg connects per query. */
export function openGroundReader(store: GroundConfig['store'], logger: Logger): GroundReader {
  return store.url === '' ? new GeoPackageReader(store.path) : new PostgisReader(store.url, logger);
}

/**
 * The GeoPackage is let go after this long without a query. While any connection is open, the writer's close is not
 * the last one and leaves its WAL uncheckpointed next to the file; an idle dashboard should not cause that.
 */
const IDLE_CLOSE_MS = 10_000;

class GeoPackageReader implements GroundReader {
  readonly dialect = 'geopackage';
  readonly description: string;
  private db: Database.Database | null = null;
  private idle: NodeJS.Timeout | null = null;

  constructor(private readonly path: string) {
    this.description = `GeoPackage ${path}`;
  }

  select(sql: string, params: readonly SqlParam[]): Promise<Array<Record<string, unknown>>> {
    try {
      return Promise.resolve(
        this.open()
          .prepare(sql)
          .all(...params) as Array<Record<string, unknown>>,
      );
    } catch (error) {
      const message = (error as Error).message;
      // An empty file (the ground process is still creating its tables) reads as the store not being there yet.
      if (/^no such table/.test(message)) return Promise.reject(new GroundStoreUnavailable(`${this.description}: ${message} yet`, error));
      return Promise.reject(error as Error);
    } finally {
      if (this.db) this.closeWhenIdle();
    }
  }

  private open(): Database.Database {
    if (this.db) return this.db;
    if (!existsSync(this.path)) {
      throw new GroundStoreUnavailable(
        `no GeoPackage at ${this.path} yet: \`fieldeye ground --config FILE\` creates it when it starts (check store.path in that file)`,
      );
    }
    // Read-only: the dashboard never writes the ground process's file. In WAL mode a reader sees each committed
    // batch and never blocks the writer; busy_timeout covers the rare waits (WAL recovery after a writer crash).
    const db = new Database(this.path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    this.db = db;
    return db;
  }

  private closeWhenIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => void this.close(), IDLE_CLOSE_MS);
    this.idle.unref();
  }

  close(): Promise<void> {
    if (this.idle) clearTimeout(this.idle);
    this.idle = null;
    this.db?.close();
    this.db = null;
    return Promise.resolve();
  }
}

/**
 * Codes that mean "not there (yet)" rather than a fault of the query: SQLSTATE connection exceptions, server shutting
 * down, unknown database, undefined table, authentication; and Node's socket errors (ECONNREFUSED, ETIMEDOUT...).
 */
const UNAVAILABLE_CODE = /^(08|57P0|3D000|42P01|28|E[A-Z]+$)/;

class PostgisReader implements GroundReader {
  readonly dialect = 'postgis';
  readonly description: string;
  private readonly pool: pg.Pool;

  constructor(url: string, logger: Logger) {
    this.description = `PostGIS ${redactUrl(url)}`;
    // Two connections are plenty for a page's requests; every transaction is read-only and bounded in time, so a
    // heavy listing cannot hold locks or run on against the ground writers.
    this.pool = new pg.Pool({
      connectionString: url,
      max: 2,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
      application_name: 'fieldeye-dashboard',
      options: '-c default_transaction_read_only=on -c statement_timeout=30000',
    });
    // An idle connection dropped by the server must not end the process as an unhandled 'error'.
    this.pool.on('error', (error) => logger.warn({ store: this.description, err: error.message }, 'dashboard: ground store connection lost'));
  }

  async select(sql: string, params: readonly SqlParam[]): Promise<Array<Record<string, unknown>>> {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    try {
      const { rows } = await this.pool.query<Record<string, unknown>>(text, [...params]);
      // timestamptz arrives as a Date; the GeoPackage keeps ISO text: callers see one form.
      return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code !== 'string' || UNAVAILABLE_CODE.test(code)) {
        throw new GroundStoreUnavailable(`${this.description}: ${(error as Error).message}`, error);
      }
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
