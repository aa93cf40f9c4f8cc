// Builds the retained `flight` document: the flight id, a summary of the model card and a hash of the effective configuration.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ModelCard } from '../vision/model-card.js';
import { packageRoot } from '../platform/package-root.js';
import { FLIGHT_SCHEMA_VERSION, FlightSchema, type Flight } from './flight-schema.js';

/** JSON with object keys sorted at every level, so the same configuration always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 of the canonical JSON; the config holds file paths to secrets, never the secrets themselves. */
export function configSha256(config: unknown): string {
  return createHash('sha256').update(canonicalJson(config)).digest('hex');
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
}

export interface FlightDocumentInput {
  droneId: string;
  flightId: string;
  startedAtMs: number;
  /** Default: run (one flight per run), open. */
  kind?: Flight['kind'];
  endedAtMs?: number | null;
  card: ModelCard;
  modelSha256: string;
  classes: number;
  config: unknown;
}

export function buildFlightDocument(input: FlightDocumentInput): Flight {
  return FlightSchema.parse({
    schemaVersion: FLIGHT_SCHEMA_VERSION,
    droneId: input.droneId,
    flightId: input.flightId,
    startedAt: new Date(input.startedAtMs).toISOString(),
    kind: input.kind ?? 'run',
    endedAt: input.endedAtMs == null ? null : new Date(input.endedAtMs).toISOString(),
    model: {
      name: input.card.name,
      architecture: input.card.architecture,
      sha256: input.modelSha256,
      precision: input.card.precision,
      inputShape: [...input.card.input.shape],
      classes: input.classes,
    },
    configSha256: configSha256(input.config),
    software: { name: 'fieldeye', version: packageVersion() },
  });
}
