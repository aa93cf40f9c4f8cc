// The gate every result passes before it is published: validated against the exported schema, encoded once as the exact bytes sent.
import type { z } from 'zod';
import { ResultSchema, type Result } from './result-schema.js';

/**
 * Results already validated, with the schema's parse of each: every result goes to two or three sinks (JSON lines,
 * recording, MQTT), and one validation of the same, never-mutated object is enough (a Pi pays for each one).
 */
const validated = new WeakMap<Result, Result>();

/** The schema's parse of `result`, from the cache when this object passed before; throws what `describe` says. */
function validatedResult(result: Result, describe: (issues: string) => string): Result {
  const known = validated.get(result);
  if (known) return known;
  const parsed = ResultSchema.safeParse(result);
  if (!parsed.success) throw new Error(describe(formatIssues(parsed.error)));
  validated.set(result, parsed.data);
  return parsed.data;
}

/**
 * Every sink's gate: throws naming the seq and the field when `result` fails the schema. The bytes a file sink writes
 * stay its own JSON.stringify(result), so recorded and replayed files compare byte for byte as before.
 */
export function assertValidResult(result: Result, sink: string): void {
  validatedResult(
    result,
    (issues) =>
      `${sink}: result seq ${seqOf(result)} is not a valid payload, not written: ${issues}; ` +
      'fix the stage that produced this field (schema: src/publish/result-schema.ts)',
  );
}

/** Validates a result and returns the exact JSON text to publish; throws naming the seq and the field when it is not valid. */
export function encodeResult(result: Result): string {
  const data = validatedResult(
    result,
    (issues) =>
      `mqtt: result seq ${seqOf(result)} is not a valid payload, not published: ${issues}; ` +
      'fix the stage that produced this field (schema: src/publish/result-schema.ts)',
  );
  return JSON.stringify(data);
}

export function seqOf(result: unknown): string {
  const seq = (result as { seq?: unknown } | null | undefined)?.seq;
  return typeof seq === 'number' ? String(seq) : (JSON.stringify(seq) ?? 'undefined');
}

/** `top[0].score: Too big: expected number to be <=1` for each issue; the path is what the producer has to fix. */
function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`)).join('');
      return `${path === '' ? '(root)' : path}: ${issue.message}`;
    })
    .join('; ');
}
