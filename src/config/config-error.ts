// Turns zod issues into config errors a user can act on: key path, what was expected, what was received.
import type { z } from 'zod';
import { FieldeyeError } from '../platform/fieldeye-error.js';

export class ConfigError extends FieldeyeError {
  constructor(
    message: string,
    /** One line per problem, e.g. "camera.fps: expected an integer between 1 and 120, received 0". */
    readonly problems: string[] = [message],
  ) {
    super('config', message);
    this.name = 'ConfigError';
  }
}

type Path = ReadonlyArray<PropertyKey>;

function valueAt(root: unknown, path: Path): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (the key is missing)';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list (${JSON.stringify(value).slice(0, 60)})`;
  if (typeof value === 'object') return `a mapping (${JSON.stringify(value).slice(0, 60)})`;
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

function pathText(path: Path): string {
  return path.length === 0 ? '(top level)' : path.map(String).join('.');
}

/** zod's default messages read "Invalid input: expected number, received string"; keep the expected part. */
function expectedText(issue: z.core.$ZodIssue): string {
  const m = /expected (.+?)(?:, received .*)?$/.exec(issue.message);
  if (issue.code === 'invalid_type' && issue.expected === 'object') return 'a mapping of keys';
  if (m?.[1] && issue.message.startsWith('Invalid')) return m[1];
  return issue.message;
}

/** Keys a strict object at `path` accepts, found by walking the schema through wrappers and unions. */
function allowedKeys(schema: z.ZodType, path: Path, input: unknown): string[] {
  let node: unknown = schema;
  const unwrap = (s: unknown): unknown => {
    let cur = s as { def?: { type?: string; innerType?: unknown; options?: unknown[]; discriminator?: string } };
    for (let i = 0; i < 10 && cur?.def; i++) {
      const t = cur.def.type;
      if ((t === 'default' || t === 'prefault' || t === 'optional' || t === 'nullable') && cur.def.innerType) {
        cur = cur.def.innerType as typeof cur;
      } else break;
    }
    return cur;
  };
  const walked: PropertyKey[] = [];
  const pick = (s: unknown): unknown => {
    const u = unwrap(s) as { def?: { type?: string; options?: unknown[]; discriminator?: string }; shape?: unknown };
    if (u?.def?.type === 'union' && u.def.options) {
      const here = valueAt(input, walked) as Record<string, unknown> | undefined;
      const disc = u.def.discriminator;
      const match = u.def.options.find((o) => {
        const shape = (unwrap(o) as { shape?: Record<string, { def?: { values?: unknown[] } }> }).shape;
        return disc && shape?.[disc]?.def?.values?.includes(here?.[disc]);
      });
      return unwrap(match ?? u.def.options[0]);
    }
    return u;
  };
  node = pick(node);
  for (const key of path) {
    const shape = (node as { shape?: Record<string, unknown> }).shape;
    if (!shape) return [];
    walked.push(key);
    node = pick(shape[String(key)]);
  }
  const shape = (node as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

/** One human line per zod issue. `origin` names where the input came from (file path, env var). */
export function formatIssues(schema: z.ZodType, issues: z.core.$ZodIssue[], input: unknown): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(schema, issue.path, input);
      for (const key of issue.keys) {
        lines.push(`${pathText([...issue.path, key])}: unknown key; allowed keys here: ${allowed.join(', ') || '(none)'}`);
      }
      continue;
    }
    const received = describeValue(valueAt(input, issue.path));
    lines.push(`${pathText(issue.path)}: expected ${expectedText(issue)}, received ${received}`);
  }
  return lines;
}
