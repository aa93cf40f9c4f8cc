// What the demo flies: its model and its survey flight, each built on a first start and reused from the cache after,
// with a progress line for each so a first start that takes minutes says why.
import { generatedModelsDir } from '../app/resolve-model.js';
import { readFlight, type RecordedFlight } from '../flight/flight-reader.js';
import type { Logger } from '../platform/logger.js';
import { ensureSimulatedFlight } from '../sim/cached-simulation.js';
import { ensureDemoModel, type DemoModel } from '../sim/demo-model.js';
import { DEMO_ALT_M, DEMO_DRONE_ID, DEMO_SPEED_MPS, DEMO_SURVEY_SEED, DEMO_TRAIN_SEED } from './demo-config.js';
import { pct, type DemoOutput } from './demo-output.js';

export interface DemoArea {
  widthM: number;
  heightM: number;
}

export interface DemoInputs {
  model: DemoModel;
  flight: RecordedFlight;
}

async function demoModel(cacheDir: string, area: DemoArea, logger: Logger, out: DemoOutput): Promise<DemoModel> {
  // Said after the fact: "built on first start" on a start that built nothing misled (the build logs its own progress).
  const what = `the seeded ResNet-18 with a head fitted on simulated field seed ${DEMO_TRAIN_SEED} (${area.widthM}x${area.heightM} m)`;
  const model = await ensureDemoModel({
    cacheDir,
    backboneDir: generatedModelsDir(),
    flightSeed: DEMO_TRAIN_SEED,
    ...area,
    altAglM: DEMO_ALT_M,
    speedMps: DEMO_SPEED_MPS,
    logger,
  });
  const heldOut = model.card.head?.heldOut;
  out.say(
    model.reused
      ? `demo model: reused the cached ${model.modelPath} (${what})`
      : `demo model: built ${model.modelPath} in ${(model.ms / 1000).toFixed(1)} s (${what}; held-out accuracy ${pct(heldOut?.accuracy ?? null)} of ${heldOut?.frames ?? 0} frames; cached for the next start)`,
  );
  return model;
}

async function surveyFlight(cacheDir: string, area: DemoArea, logger: Logger, out: DemoOutput): Promise<RecordedFlight> {
  const survey = await ensureSimulatedFlight({
    cacheDir,
    seed: DEMO_SURVEY_SEED,
    ...area,
    altAglM: DEMO_ALT_M,
    speedMps: DEMO_SPEED_MPS,
    droneId: DEMO_DRONE_ID,
    flightId: `demo-survey-seed${DEMO_SURVEY_SEED}`,
    logger,
  });
  out.say(
    survey.reused
      ? `survey flight: reused the cached ${survey.dir} (${survey.frames} frames)`
      : `survey flight: simulated field seed ${DEMO_SURVEY_SEED}, ${survey.frames} frames, in ${(survey.ms / 1000).toFixed(1)} s: ${survey.dir}`,
  );
  return readFlight(survey.dir);
}

/** The model first, then the survey: the order of the progress lines a first start prints. */
export async function prepareDemoInputs(cacheDir: string, area: DemoArea, logger: Logger, out: DemoOutput): Promise<DemoInputs> {
  // The builds' own info lines (a recording closed, with its manifest) repeat what `out` already says in one line;
  // they stay visible at debug.
  const buildLogger = logger.isLevelEnabled('debug') ? logger : logger.child({}, { level: 'warn' });
  const model = await demoModel(cacheDir, area, buildLogger, out);
  const flight = await surveyFlight(cacheDir, area, buildLogger, out);
  return { model, flight };
}
