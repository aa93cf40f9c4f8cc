// The demo's surveyed field on its dashboard: the simulator's truth rendered as a picture under the results, its
// classes in the demo model's output order so each result is drawn in the colour of the zone it should have named.
import type { RunningDashboard } from '../app/start-dashboard.js';
import { FIELD_ZONES } from '../flight/recording-format.js';
import type { FieldOverlay } from '../dashboard/map-layer-routes.js';
import { renderFieldTruth, ZONE_COLOURS } from '../sim/field-truth-image.js';
import type { DemoArea } from './demo-inputs.js';

/** The picture of field `seed` and its legend; `labels` are the model's outputs in order (its card's head classes). */
export async function demoFieldOverlay(seed: number, area: DemoArea, labels: readonly string[]): Promise<FieldOverlay> {
  const image = await renderFieldTruth({ seed, ...area });
  const zones: readonly string[] = FIELD_ZONES;
  const classes = labels.flatMap((label, index) => (zones.includes(label) ? [{ index, label, colour: ZONE_COLOURS[label as keyof typeof ZONE_COLOURS] }] : []));
  return { png: image.png, bounds: image.bounds, title: `simulated field seed ${seed} (ground truth)`, classes };
}

/** Hands the field to the dashboard; a picture that cannot be made is said and the demo goes on without it. */
export async function showDemoField(
  dashboard: RunningDashboard,
  seed: number,
  area: DemoArea,
  labels: readonly string[],
  warn: (line: string) => void,
): Promise<void> {
  try {
    dashboard.showField(await demoFieldOverlay(seed, area, labels));
  } catch (error) {
    warn(`the field picture for the map could not be made (${(error as Error).message}); the map shows the results without it`);
  }
}
