// Opens where a flight's frames and positions come from (camera or folder and the position source, or a recording),
// with the live camera's thermal cap and the flight sessions that give every frame its flight id and seq.
import { ImagesFrameSource } from '../capture/images-frame-source.js';
import { RpicamFrameSource } from '../capture/rpicam-frame-source.js';
import { ThermalGovernor } from '../capture/thermal-governor.js';
import type { FrameSource } from '../capture/frame-source.js';
import type { Config } from '../config/schema.js';
import type { FlightSessions } from '../flight/flight-sessions.js';
import { createPositionSource } from '../geo/create-position-source.js';
import type { PositionSource } from '../geo/position-source.js';
import type { ClockReference } from '../pipeline/clock-reference.js';
import type { Logger } from '../platform/logger.js';
import type { LoadedModel } from '../vision/model-loader.js';
import { assertRawFitsModel } from '../vision/preprocess-i420.js';
import type { CleanupStack } from './cleanup-stack.js';

/** Where a flight's frames and positions come from: the configured camera/folder and position source, or a recording. */
export type FlightInput = (logger: Logger) => Promise<{ source: FrameSource; position: PositionSource }>;

/** The configured source and position source (what `fieldeye run` flies with). */
export function configuredInput(config: Config, maxFrames = Infinity): FlightInput {
  return async (log) => {
    const capture = log.child({ stage: 'capture' });
    const source: FrameSource =
      config.source.type === 'rpicam'
        ? await RpicamFrameSource.open({ config: config.source, logger: capture, maxFrames })
        : await ImagesFrameSource.open(config.source.dir, capture, maxFrames);
    try {
      return { source, position: await createPositionSource(config.position, log.child({ stage: 'position' })) };
    } catch (err) {
      await source.close();
      throw err;
    }
  };
}

export interface OpenedInput {
  /** The frames the pipeline reads: capped when hot, numbered per flight. */
  source: FrameSource;
  position: PositionSource;
  /** The source as opened, before any wrapper: its own drops, and the camera's health. */
  origin: FrameSource;
  camera: RpicamFrameSource | null;
  thermal: ThermalGovernor | null;
}

export async function openInput(
  config: Config,
  input: FlightInput | undefined,
  maxFrames: number | undefined,
  parts: { model: LoadedModel; sessions: FlightSessions; clock: ClockReference; cleanups: CleanupStack },
  log: Logger,
): Promise<OpenedInput> {
  if (!input && config.source.type === 'rpicam' && config.source.codec === 'yuv420') {
    assertRawFitsModel(config.source.widthPx, config.source.heightPx, parts.model.card.input.resizeShorterPx);
  }
  const opened = await (input ?? configuredInput(config, maxFrames))(log);
  const camera = opened.source instanceof RpicamFrameSource ? opened.source : null;
  const result: OpenedInput = { source: opened.source, position: opened.position, origin: opened.source, camera, thermal: null };
  // The outermost wrappers at the end of the flight (later stages tap result.source and result.position) are closed.
  parts.cleanups.push(() => result.source.close());
  parts.cleanups.push(() => result.position.close());
  parts.clock.useGpsTime(() => opened.position.gpsTime?.() ?? null);
  opened.position.observeArming?.((change) => parts.sessions.arming(change));
  // Only a live camera is capped when hot: a replay or a folder never drops frames.
  if (!input && camera && config.thermal.enabled) {
    const governor = new ThermalGovernor({ config: config.thermal, logger: log.child({ stage: 'thermal' }) });
    governor.start();
    parts.cleanups.push(() => governor.stop());
    result.source = governor.capFrames(result.source);
    result.thermal = governor;
  }
  // Frames get their flight and per-flight seq here, before anything records, previews or publishes them.
  result.source = parts.sessions.tapFrames(result.source);
  return result;
}
