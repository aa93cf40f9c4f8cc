// Helpers of the past-flights tests: the flights they put into a ground store (two surveys of two drones, three top-1
// classes, every third result without a position, the first with a flight document) and a plain HTTP GET.
import { request } from 'node:http';
import type { Flight } from '../../src/publish/flight-schema.js';
import type { Result } from '../../src/publish/result-schema.js';
import { groundResult, sampleFlight } from '../ground/ground-samples.js';

const CLASSES = [
  { index: 3, label: 'crop' },
  { index: 1, label: 'bare soil' },
  { index: 7, label: 'weeds' },
];

export const SURVEYS = [
  { droneId: 'field-1', flightId: 'survey-a', count: 30, day: 0 },
  { droneId: 'field-2', flightId: 'survey-b', count: 12, day: 1 },
] as const;

/** A result of a survey flown `day` days after the sample date; top-1 classes crop, crop, bare soil, weeds, crop, ... */
export function surveyResult(droneId: string, flightId: string, seq: number, day: number): Result {
  const base = groundResult(droneId, flightId, seq);
  const first = CLASSES[[0, 0, 1, 2][seq % 4] as number]!;
  const others = CLASSES.filter((c) => c !== first);
  return {
    ...base,
    capturedAt: new Date(Date.parse(base.capturedAt) + day * 86_400_000).toISOString(),
    top: [
      { ...first, score: 0.8 },
      { ...others[0]!, score: 0.15 },
      { ...others[1]!, score: 0.05 },
    ],
  };
}

/** Every result of one of SURVEYS, in seq order. */
export function surveyResults(droneId: string, flightId: string): Result[] {
  const s = SURVEYS.find((x) => x.droneId === droneId && x.flightId === flightId);
  if (!s) throw new Error(`no survey ${droneId}/${flightId}`);
  return Array.from({ length: s.count }, (_, seq) => surveyResult(s.droneId, s.flightId, seq, s.day));
}

/** The flight document of field-1's survey (field-2's has none: only its results were received). */
export const SURVEY_FLIGHT: Flight = sampleFlight('field-1', 'survey-a');

export function classesOf(results: Result[]): Record<string, number> {
  return results.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.top[0]!.label]: (acc[r.top[0]!.label] ?? 0) + 1 }), {});
}

/** GET with optional headers: the status and the body (parsed when it is a JSON object, else the text). */
export function http(url: string, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text.startsWith('{') ? (JSON.parse(text) as unknown) : text }));
    });
    req.on('error', reject);
    req.end();
  });
}
