// Reads a flight folder in the recording format, checking its version; bad lines are reported with their line numbers, not fatal.
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { z } from 'zod';
import { ResultSchema, type Result } from '../publish/result-schema.js';
import {
  FLIGHT_FILES,
  FlightManifestSchema,
  FrameRecordSchema,
  RECORDING_FORMAT,
  RECORDING_FORMAT_VERSION,
  TelemetryRecordSchema,
  type FlightManifest,
  type FrameRecord,
  type TelemetryRecord,
} from './recording-format.js';

export interface RecordedFlight {
  dir: string;
  manifest: FlightManifest;
  /** In capture order (ties by recorded seq). */
  frames: FrameRecord[];
  /** In time order. */
  telemetry: TelemetryRecord[];
  /** Lines that could not be read ("telemetry.jsonl line 12: ..."); a cut last line after a crash lands here. */
  problems: string[];
}

export interface JsonLines<T> {
  items: T[];
  problems: string[];
}

/** Parses JSON lines against a schema; `label` names the file in problems. A missing file is an empty one when `optional`. */
export async function readJsonLines<S extends z.ZodType>(path: string, schema: S, label: string, optional = false): Promise<JsonLines<z.infer<S>>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (optional && (err as NodeJS.ErrnoException).code === 'ENOENT') return { items: [], problems: [] };
    throw new Error(`${label} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  const items: z.infer<S>[] = [];
  const problems: string[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      problems.push(`${label} line ${i + 1}: not JSON${i === lines.length - 1 ? ' (cut short: the writer did not finish it)' : ''}`);
      return;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) items.push(parsed.data);
    else {
      const first = parsed.error.issues[0];
      problems.push(`${label} line ${i + 1}: ${first ? `${first.path.join('.') || '(line)'}: ${first.message}` : 'invalid'}`);
    }
  });
  return { items, problems };
}

/** Results files (results.jsonl, a replay's --out): every line a Result. */
export function readResults(path: string): Promise<JsonLines<Result>> {
  return readJsonLines(path, ResultSchema, 'results');
}

export async function readFlight(dir: string): Promise<RecordedFlight> {
  const path = resolve(dir);
  const manifestPath = join(path, FLIGHT_FILES.manifest);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(manifestPath, 'utf8'));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'ENOENT'
        ? `flight ${path}: no ${FLIGHT_FILES.manifest} in it; point at a folder written by fieldeye run (record), import or simulate`
        : `flight ${path}: ${FLIGHT_FILES.manifest} is not readable JSON (${(err as Error).message})`,
      { cause: err },
    );
  }
  const head = raw as { format?: unknown; formatVersion?: unknown };
  if (head?.format !== RECORDING_FORMAT) {
    throw new Error(
      `flight ${path}: ${FLIGHT_FILES.manifest} is not a fieldeye flight (format ${JSON.stringify(head?.format)}, expected "${RECORDING_FORMAT}")`,
    );
  }
  if (head.formatVersion !== RECORDING_FORMAT_VERSION) {
    throw new Error(
      `flight ${path}: recording format version ${JSON.stringify(head.formatVersion)}; this fieldeye reads version ${RECORDING_FORMAT_VERSION}: use a fieldeye that matches the recording`,
    );
  }
  const manifest = FlightManifestSchema.safeParse(raw);
  if (!manifest.success) {
    const issue = manifest.error.issues[0];
    throw new Error(`flight ${path}: ${FLIGHT_FILES.manifest} ${issue?.path.join('.')}: ${issue?.message}`);
  }
  const frames = await readJsonLines(join(path, FLIGHT_FILES.frames), FrameRecordSchema, FLIGHT_FILES.frames);
  const telemetry = await readJsonLines(join(path, FLIGHT_FILES.telemetry), TelemetryRecordSchema, FLIGHT_FILES.telemetry, true);
  return {
    dir: path,
    manifest: manifest.data,
    frames: frames.items.sort((a, b) => a.capturedAtMs - b.capturedAtMs || a.seq - b.seq),
    // Stable sort: samples at the same time keep file order.
    telemetry: telemetry.items.sort((a, b) => a.timeMs - b.timeMs),
    problems: [...frames.problems, ...telemetry.problems],
  };
}
