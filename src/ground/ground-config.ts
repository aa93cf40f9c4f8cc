// Configuration of `fieldeye ground`: a strict zod schema (unknown keys are errors that name the key), loaded from
// YAML/JSON with FIELDEYE_GROUND__a__b=value overrides, paths resolved against the file, the password from a file or env.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError, formatIssues } from '../config/config-error.js';
import { applyEnvOverrides, readConfigDocument } from '../config/load-config.js';

export const GROUND_ENV_PREFIX = 'FIELDEYE_GROUND__';

function int(min: number, max: number) {
  const error = `an integer between ${min} and ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}
function metres(min: number, max: number) {
  const error = `a number of metres between ${min} and ${max}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
}
const path = (what: string) => z.string({ error: what });

/** A topic level for the shared-subscription group and a client id: no wildcards, no slashes. */
const LEVEL = /^[A-Za-z0-9_.-]{1,64}$/;

export const GroundConfigSchema = z.strictObject({
  broker: z
    .strictObject({
      /** The broker the drones publish to (mqtt://, mqtts://, ws://, wss://). */
      url: z
        .string({ error: 'a broker URL such as mqtt://host:1883' })
        .regex(/^(mqtts?|wss?):\/\/[^\s]+$/, { error: 'a broker URL such as mqtt://host:1883' })
        .default('mqtt://127.0.0.1:1883'),
      /** Stable across restarts: the broker keeps this session's unacknowledged and queued results under it. One per worker. */
      clientId: z.string({ error: 'a client id' }).regex(LEVEL, { error: 'letters, digits, "_", "." or "-" (1-64)' }).default('fieldeye-ground'),
      /** The drones' sinks.mqtt.topicPrefix; "{droneId}" becomes the "+" wildcard. */
      topicPrefix: z
        .string({ error: 'a topic prefix ending in "/"' })
        .regex(/^[^#+]*\/$/, { error: 'a topic prefix ending in "/" without "+" or "#"' })
        .default('fieldeye/v1/{droneId}/'),
      /** MQTT 5 shared subscription group ($share/<group>/...): workers in one group split the messages. "" = none. */
      sharedGroup: z
        .string({ error: 'a group name' })
        .regex(/^$|^[A-Za-z0-9_.-]{1,64}$/, { error: 'letters, digits, "_", "." or "-" (1-64), or ""' })
        .default(''),
      username: z.string({ error: 'a string' }).default(''),
      /** File holding the password (first line); preferred over passwordEnv. */
      passwordFile: path('a file path').default(''),
      /** Environment variable holding the password. */
      passwordEnv: z.string({ error: 'an environment variable name' }).default('FIELDEYE_MQTT_PASSWORD'),
      /** How long the broker keeps this session (subscription and queued results) while the process is down. */
      sessionExpiryS: int(1, 4_294_967_295).default(604_800),
      keepaliveS: int(1, 3600).default(30),
      connectTimeoutMs: int(100, 120_000).default(10_000),
      reconnectMs: int(100, 600_000).default(2_000),
      tls: z
        .strictObject({
          caFile: path('a file path').default(''),
          certFile: path('a file path').default(''),
          keyFile: path('a file path').default(''),
        })
        .prefault({}),
    })
    .prefault({}),
  store: z
    .strictObject({
      /** "" = the embedded GeoPackage at store.path; postgres://user@host/db = PostgreSQL + PostGIS (password: PGPASSWORD or ~/.pgpass). */
      url: z
        .string({ error: '"" or a postgres:// URL' })
        .regex(/^$|^postgres(ql)?:\/\/\S+$/, { error: '"" (the GeoPackage at store.path) or a postgres://user@host:5432/db URL' })
        .default(''),
      /** The GeoPackage file when url is ""; relative to the config file's folder. */
      path: path('a file path').min(1, { error: 'a file path' }).default('ground/fieldeye.gpkg'),
    })
    .prefault({}),
  batch: z
    .strictObject({
      /** One transaction per this many messages at most. The broker may have twice this many unacknowledged with us. */
      maxMessages: int(1, 30_000).default(500),
      /** A batch that is not full is committed this long after its first message. */
      maxDelayMs: int(1, 60_000).default(200),
    })
    .prefault({}),
  /** Flight tracks are rebuilt from the stored positions at most this often (and at shutdown). */
  trackRebuildMs: int(100, 3_600_000).default(5_000),
  /** Class map cell size in metres (class_cells, rebuilt with the tracks); 0 = no class map. */
  classMapCellM: metres(0, 10_000).default(10),
  /** A rejected message keeps this many characters of its payload. */
  rejectedExcerptChars: int(16, 65_536).default(512),
  /** Counts (stored, duplicates, rejected, batches) are logged this often; 0 = only at shutdown. */
  statsIntervalS: int(0, 86_400).default(60),
  logLevel: z
    .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], { error: 'trace, debug, info, warn, error, fatal or silent' })
    .default('info'),
});

export type GroundConfig = z.infer<typeof GroundConfigSchema>;

export interface LoadedGroundConfig {
  config: GroundConfig;
  /** The broker password from broker.passwordFile or broker.passwordEnv; kept out of `config` so logging it leaks nothing. */
  password: string | undefined;
  file: string;
}

/** Validates a parsed document; `origin` names where it came from in the error. */
export function parseGroundConfig(doc: unknown, origin: string): GroundConfig {
  const parsed = GroundConfigSchema.safeParse(doc ?? {});
  if (parsed.success) return parsed.data;
  const problems = formatIssues(GroundConfigSchema, parsed.error.issues, doc);
  const plural = problems.length === 1 ? 'problem' : 'problems';
  throw new ConfigError(`ground config ${origin}: ${problems.length} ${plural}:\n  ${problems.join('\n  ')}`, problems);
}

function readPassword(config: GroundConfig, env: NodeJS.ProcessEnv): string | undefined {
  const { passwordFile, passwordEnv } = config.broker;
  if (passwordFile !== '') {
    try {
      return readFileSync(passwordFile, 'utf8').split(/\r?\n/)[0] ?? '';
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      throw new ConfigError(`broker.passwordFile: cannot read ${passwordFile} (${code}); create it (mode 0600) or set the key to ""`);
    }
  }
  return passwordEnv === '' ? undefined : env[passwordEnv];
}

export function loadGroundConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedGroundConfig {
  const doc = readConfigDocument(file, { label: 'ground config', exampleKeys: 'broker: ..., store: ...', reference: 'config/ground.yaml' });
  const parsed = parseGroundConfig(applyEnvOverrides(doc, env, GROUND_ENV_PREFIX), file);
  const base = dirname(resolve(file));
  const at = (p: string): string => (p === '' || isAbsolute(p) ? p : resolve(base, p));
  const { tls } = parsed.broker;
  const config: GroundConfig = {
    ...parsed,
    broker: {
      ...parsed.broker,
      passwordFile: at(parsed.broker.passwordFile),
      tls: { caFile: at(tls.caFile), certFile: at(tls.certFile), keyFile: at(tls.keyFile) },
    },
    store: { ...parsed.store, path: at(parsed.store.path) },
  };
  return { config, password: readPassword(config, env), file: resolve(file) };
}
