// Reads a YAML/JSON config file, applies FIELDEYE__a__b=value environment overrides, validates it and
// resolves file paths against the config file's folder. Secrets are resolved separately (resolve-secrets.ts).
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigSchema, type Config } from './schema.js';
import { ConfigError, describeValue, formatIssues } from './config-error.js';

export const ENV_OVERRIDE_PREFIX = 'FIELDEYE__';

export interface LoadedConfig {
  config: Config;
  /** The file the config came from, or null for built-in defaults. */
  file: string | null;
}

/** How a kind of config file is named in errors: the drone's config, or the ground station's. */
export interface ConfigFileKind {
  /** "config file", "ground config" */
  label: string;
  /** A few of its top-level keys, for the error that says the top level must be a mapping. */
  exampleKeys: string;
  /** Where every key is documented. */
  reference: string;
}

const DRONE_CONFIG: ConfigFileKind = { label: 'config file', exampleKeys: 'droneId: ..., source: ..., sinks: ...', reference: 'config/default.yaml' };

/** Reads and parses a YAML/JSON config file; an empty one is {}, a top level that is not a mapping is an error. */
export function readConfigDocument(file: string, kind: ConfigFileKind = DRONE_CONFIG): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError(`${kind.label} ${file}: cannot read it (${code}); pass an existing file with --config`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}` : '';
    const first = (err as Error).message.split('\n')[0];
    throw new ConfigError(`${kind.label} ${file}: not valid YAML${where}: ${first}`);
  }
  // An empty file (or one holding only comments) is a config with every default, like no file at all.
  if (doc === null || doc === undefined) return {};
  // Anything else must be a mapping: a scalar or a list would otherwise be dropped and the process would run on
  // defaults with nobody told.
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(
      `${kind.label} ${file}: the top level must be a mapping of keys (${kind.exampleKeys}), received ${describeValue(doc)}; ` +
        `see ${kind.reference} for every key`,
    );
  }
  return doc as Record<string, unknown>;
}

/**
 * FIELDEYE__sinks__mqtt__url=mqtt://x sets sinks.mqtt.url; values are parsed as YAML scalars (5 -> number). The
 * ground station's config takes the same form under its own prefix.
 */
export function applyEnvOverrides(doc: unknown, env: NodeJS.ProcessEnv, prefix: string = ENV_OVERRIDE_PREFIX): unknown {
  const root: Record<string, unknown> = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? structuredClone(doc as Record<string, unknown>) : {};
  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(prefix) || raw === undefined) continue;
    const keys = name.slice(prefix.length).split('__').filter(Boolean);
    if (keys.length === 0) continue;
    let node = root;
    for (const key of keys.slice(0, -1)) {
      const next = node[key];
      if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys[keys.length - 1] as string] = raw === '' ? '' : (parseYaml(raw) as unknown);
  }
  return root;
}

/** Validate an already-parsed document; `origin` names its source in error messages. */
export function validateConfig(doc: unknown, origin: string): Config {
  const parsed = ConfigSchema.safeParse(doc ?? {});
  if (parsed.success) return parsed.data;
  const problems = formatIssues(ConfigSchema, parsed.error.issues, doc);
  const plural = problems.length === 1 ? 'problem' : 'problems';
  throw new ConfigError(`config ${origin}: ${problems.length} ${plural}:\n  ${problems.join('\n  ')}`, problems);
}

function resolveFrom(base: string, p: string): string {
  return p === '' || isAbsolute(p) ? p : resolve(base, p);
}

/** Make every file path in the config absolute, relative to `baseDir`. */
export function resolveConfigPaths(config: Config, baseDir: string): Config {
  return {
    ...config,
    source:
      config.source.type === 'images'
        ? { ...config.source, dir: resolveFrom(baseDir, config.source.dir) }
        : { ...config.source, tuningFile: resolveFrom(baseDir, config.source.tuningFile) },
    model: {
      ...config.model,
      path: resolveFrom(baseDir, config.model.path),
      int8Path: resolveFrom(baseDir, config.model.int8Path),
      precisionCachePath: resolveFrom(baseDir, config.model.precisionCachePath),
    },
    record: { ...config.record, dir: resolveFrom(baseDir, config.record.dir) },
    // A tile URL template is not a path; a tile folder is.
    dashboard: {
      ...config.dashboard,
      tiles: /^https?:\/\//i.test(config.dashboard.tiles) ? config.dashboard.tiles : resolveFrom(baseDir, config.dashboard.tiles),
    },
    position: {
      ...config.position,
      nmea: { ...config.position.nmea, path: resolveFrom(baseDir, config.position.nmea.path) },
      mavlink: { ...config.position.mavlink, path: resolveFrom(baseDir, config.position.mavlink.path) },
    },
    sinks: {
      jsonl: { ...config.sinks.jsonl, path: resolveFrom(baseDir, config.sinks.jsonl.path) },
      mqtt: {
        ...config.sinks.mqtt,
        passwordFile: resolveFrom(baseDir, config.sinks.mqtt.passwordFile),
        tls: {
          caFile: resolveFrom(baseDir, config.sinks.mqtt.tls.caFile),
          certFile: resolveFrom(baseDir, config.sinks.mqtt.tls.certFile),
          keyFile: resolveFrom(baseDir, config.sinks.mqtt.tls.keyFile),
        },
        outbox: { ...config.sinks.mqtt.outbox, path: resolveFrom(baseDir, config.sinks.mqtt.outbox.path) },
      },
    },
  };
}

export function loadConfig(file: string | null, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const doc = applyEnvOverrides(file ? readConfigDocument(file) : {}, env);
  const origin = file ?? '(built-in defaults)';
  const config = validateConfig(doc, origin);
  return { config: resolveConfigPaths(config, file ? dirname(resolve(file)) : process.cwd()), file };
}
