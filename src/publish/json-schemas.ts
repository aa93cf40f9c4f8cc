// JSON Schema files generated from the payload zod schemas, for subscribers written in other languages; `npm run schemas` rewrites schemas/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { packageRoot } from '../platform/package-root.js';
import { ResultSchema } from './result-schema.js';
import { HealthSchema } from './health-schema.js';
import { FlightSchema } from './flight-schema.js';
import { StatusSchema } from './status-schema.js';
import { CoverageSchema } from './coverage-schema.js';

/** Folder (under the package root) that holds the committed .schema.json files. */
export const JSON_SCHEMA_DIR = 'schemas';

const PAYLOADS = {
  result: { schema: ResultSchema, title: 'fieldeye result (topic <prefix>result, QoS 1, one per frame)' },
  health: { schema: HealthSchema, title: 'fieldeye health (topic <prefix>health, periodic)' },
  flight: { schema: FlightSchema, title: 'fieldeye flight (topic <prefix>flight, retained)' },
  coverage: { schema: CoverageSchema, title: 'fieldeye coverage (topic <prefix>coverage, retained, at the end of a flight)' },
  status: { schema: StatusSchema, title: 'fieldeye status (topic <prefix>status, retained, plain text; also the Last Will)' },
} as const;

/** File name -> exact file text (2-space JSON and a final newline), so a test can compare bytes. */
export function payloadJsonSchemaFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [name, { schema, title }] of Object.entries(PAYLOADS)) {
    const json = { title, ...z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output' }) };
    files.set(`${name}.schema.json`, `${JSON.stringify(json, null, 2)}\n`);
  }
  return files;
}

export function writePayloadJsonSchemas(dir = join(packageRoot(), JSON_SCHEMA_DIR)): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const [name, text] of payloadJsonSchemaFiles()) {
    writeFileSync(join(dir, name), text);
    written.push(join(dir, name));
  }
  return written;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const file of writePayloadJsonSchemas()) process.stdout.write(`wrote ${file}\n`);
}
