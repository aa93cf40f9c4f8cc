// The demo's report on stdout: the flight's summary, its accuracy against the simulator's ground truth, and where the
// GeoJSON field map (points), the footprints and the results were written.
import { writeFile } from 'node:fs/promises';
import type { RecordedFlight } from '../flight/flight-reader.js';
import { exportResults } from '../flight/export-results.js';
import { formatClassificationReport } from '../model/head-metrics.js';
import { scoreAgainstTruth } from '../sim/truth-accuracy.js';
import { DEMO_SURVEY_SEED, DEMO_TRAIN_SEED, type DemoOutputPaths } from './demo-config.js';
import type { DemoFlown } from './demo-flight.js';
import { pct, type DemoOutput } from './demo-output.js';
import { renderSummaryTable } from './summary-table.js';

export interface DemoReportInputs {
  flight: RecordedFlight;
  flown: DemoFlown;
  modelName: string;
  brokerUrl: string;
  paths: DemoOutputPaths;
}

/** Scores what was flown (all of it, or what came before a stop), writes the map, prints the report. */
export async function reportDemo(inputs: DemoReportInputs, out: DemoOutput): Promise<void> {
  const { flight, flown, paths } = inputs;
  const { outcome, results } = flown;
  const score = scoreAgainstTruth(flight.frames, results);
  const map = exportResults(results, { format: 'geojson', geometry: 'points', title: flight.manifest.flightId });
  await writeFile(paths.map, map.text);
  const footprints = exportResults(results, { format: 'geojson', geometry: 'footprints', title: flight.manifest.flightId });
  await writeFile(paths.footprints, footprints.text);
  const { report } = score;
  out.print(
    renderSummaryTable(outcome.summary, {
      flight: `${outcome.flightId} (field seed ${DEMO_SURVEY_SEED})`,
      model: `${inputs.modelName}`,
      'model sha256': outcome.modelSha256.slice(0, 16),
      'published to': inputs.brokerUrl,
    }),
  );
  if (flown.stopped) out.print(`stopped early: ${results.length} of ${flight.frames.length} frames flown; the figures below are for those`);
  out.print(
    `accuracy ${pct(report.accuracy)} (${report.correct} of ${report.frames} frames) against the simulator's ground truth (survey seed ${DEMO_SURVEY_SEED}, head fitted on seed ${DEMO_TRAIN_SEED})`,
  );
  // The per-class table and confusion matrix; its closing accuracy line is the one above.
  for (const line of formatClassificationReport(report).slice(0, -1)) out.print(line);
  if (score.withoutTruth > 0) out.print(`${score.withoutTruth} results had no ground truth and are not scored`);
  out.print(`field map (GeoJSON, ${map.features} points, one per frame, with its class): ${paths.map}`);
  out.print(`footprints (GeoJSON, ${footprints.features} polygons, the ground each frame saw): ${paths.footprints}`);
  out.print(`results (JSON lines): ${paths.results}`);
}
