// The committed JSON Schema files in schemas/ are exactly what the zod payload schemas generate, and they accept real payloads.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JSON_SCHEMA_DIR, payloadJsonSchemaFiles } from '../../src/publish/json-schemas.js';
import * as fieldeye from '../../src/index.js';
import { sampleResult } from './sample-result.js';

const dir = resolve(import.meta.dirname, '../..', JSON_SCHEMA_DIR);

describe('schemas/*.schema.json', () => {
  it('are up to date with the zod schemas (run `npm run schemas` after changing a payload)', () => {
    const generated = payloadJsonSchemaFiles();
    expect(
      readdirSync(dir)
        .filter((f) => f.endsWith('.schema.json'))
        .sort(),
    ).toEqual([...generated.keys()].sort());
    for (const [name, text] of generated) expect(readFileSync(join(dir, name), 'utf8'), `${name} is stale: run npm run schemas`).toBe(text);
  });

  it('describe the result payload the sink sends (required fields, no extra keys)', () => {
    const schema = JSON.parse(readFileSync(join(dir, 'result.schema.json'), 'utf8')) as { required: string[]; additionalProperties: boolean };
    expect(schema.required.sort()).toEqual(Object.keys(sampleResult(0)).sort());
    expect(schema.additionalProperties).toBe(false);
  });

  it('the zod schemas are exported from the package entry', () => {
    expect(Object.keys(fieldeye)).toEqual(expect.arrayContaining(['ResultSchema', 'HealthSchema', 'FlightSchema', 'StatusSchema']));
  });
});
