// Starts a throwaway PostgreSQL 15 + PostGIS cluster (initdb in a temp dir, a free loopback port) for tests and
// benches, and stops and removes it; as root the server runs as user postgres, since initdb and postgres refuse root.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { access, chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { constants as fsConstants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freeLoopbackPort } from './mosquitto.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';
const run = promisify(execFile);

export interface PostgisOptions {
  /** fsync off makes tests quicker; benches keep it on to measure durable commits. Default false (fsync off). */
  durable?: boolean;
  /** Extra `-c name=value` server settings. */
  settings?: Readonly<Record<string, string>>;
}

export interface PostgisServer {
  /** postgres://fieldeye@127.0.0.1:<port>/fieldeye (trust authentication on loopback). */
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Everything the server logged so far. */
  log(): string;
  /** A new database in this cluster (for a test that wants a clean one); returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Fast shutdown and start again on the same port and data (a database restart under a running client). */
  restart(): Promise<void>;
  /** Fast shutdown, then removes the data folder. */
  stop(): Promise<void>;
}

/** uid/gid of the postgres account when running as root; undefined when not root (the server then runs as us). */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const passwd = await readFile('/etc/passwd', 'utf8');
  const line = passwd.split('\n').find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) {
    throw new Error('startPostgis: running as root but there is no "postgres" user; install postgresql-15 (it creates the user)');
  }
  return { uid: Number(uid), gid: Number(gid) };
}

export async function startPostgis(options: PostgisOptions = {}): Promise<PostgisServer> {
  try {
    await access(join(PG_BIN, 'initdb'), fsConstants.X_OK);
    await access('/usr/share/postgresql/15/extension/postgis.control', fsConstants.R_OK);
  } catch {
    throw new Error(
      "startPostgis: PostgreSQL 15 or PostGIS is missing; run 'bash .ci/install-test-deps.sh' (or: apt-get install postgresql-15 postgresql-15-postgis-3)",
    );
  }
  const user = await serverUser();
  const dir = await mkdtemp(join(tmpdir(), 'fieldeye-postgis-'));
  if (user) await chown(dir, user.uid, user.gid);
  const data = join(dir, 'data');
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  try {
    await run(join(PG_BIN, 'initdb'), ['-D', data, '-U', 'fieldeye', '-A', 'trust', '-E', 'UTF8', '--no-sync', '--locale=C'], {
      ...asUser,
      cwd: dir,
      env: { ...process.env, LC_ALL: 'C' },
    });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`startPostgis: initdb failed: ${(error as Error).message}`, { cause: error });
  }
  return await launch(dir, data, asUser, options);
}

interface Running {
  child: ChildProcess;
  exited: Promise<void>;
  log(): string;
}

async function runServer(dir: string, data: string, asUser: object, options: PostgisOptions, port: number): Promise<Running> {
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1',
    port: String(port),
    unix_socket_directories: dir,
    fsync: options.durable === true ? 'on' : 'off',
    max_connections: '50',
    ...options.settings,
  };
  const args = ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const child = spawn(join(PG_BIN, 'postgres'), args, { ...asUser, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitReady(child, () => stderr, `postgres://fieldeye@127.0.0.1:${port}/postgres`);
  } catch (error) {
    await terminate(child, exited);
    throw error;
  }
  return { child, exited, log: () => stderr };
}

async function launch(dir: string, data: string, asUser: object, options: PostgisOptions): Promise<PostgisServer> {
  const port = await freeLoopbackPort();
  const baseUrl = `postgres://fieldeye@127.0.0.1:${port}`;
  let server: Running;
  try {
    server = await runServer(dir, data, asUser, options, port);
    await query(`${baseUrl}/postgres`, 'CREATE DATABASE fieldeye');
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    url: `${baseUrl}/fieldeye`,
    port,
    dir,
    log: () => server.log(),
    restart: async () => {
      await terminate(server.child, server.exited);
      server = await runServer(dir, data, asUser, options, port);
    },
    createDatabase: async (name) => {
      await query(`${baseUrl}/postgres`, `CREATE DATABASE "${name.replace(/"/g, '""')}"`);
      return `${baseUrl}/${encodeURIComponent(name)}`;
    },
    stop: () => {
      stopping ??= terminate(server.child, server.exited).then(() => rm(dir, { recursive: true, force: true }));
      return stopping;
    },
  };
}

async function query(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Ready when a connection succeeds (the log line alone comes before recovery ends on some starts). */
async function waitReady(child: ChildProcess, log: () => string, url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`startPostgis: postgres exited during start; its log:\n${log()}`);
    }
    if (/ready to accept connections/.test(log())) {
      try {
        await query(url, 'SELECT 1');
        return;
      } catch {
        // not yet
      }
    }
    if (Date.now() > deadline) throw new Error(`startPostgis: not ready within 30 s; its log:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGINT is PostgreSQL's fast shutdown (ends sessions, checkpoints); SIGKILL after 10 s so a test never hangs. */
async function terminate(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGINT');
  const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
  try {
    await exited;
  } finally {
    clearTimeout(kill);
  }
}
