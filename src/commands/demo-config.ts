// The demo's fixed choices (which simulated fields, flown how) and the Config it flies with: the loaded defaults with
// results going to the embedded broker only, and everything it writes kept in its cache directory.
import { join } from 'node:path';
import type { Config } from '../config/schema.js';

/** The field the demo model's head is fitted on. */
export const DEMO_TRAIN_SEED = 101;
/** The field the demo surveys: another seed, so the accuracy is measured on ground the head never saw. */
export const DEMO_SURVEY_SEED = 202;
/** 300x200 m at 30 m and 5 m/s: 176 frames, about 8.5 minutes of flight. */
export const DEMO_AREA = '300x200';
export const DEMO_ALT_M = 30;
export const DEMO_SPEED_MPS = 5;
export const DEMO_DRONE_ID = 'demo-drone';

/** `port` is --port: absent, the configured dashboard port stands. */
export function demoConfig(loaded: Config, cacheDir: string, port: number | undefined): Config {
  return {
    ...loaded,
    droneId: DEMO_DRONE_ID,
    sinks: {
      jsonl: { ...loaded.sinks.jsonl, enabled: false },
      // Protocol 4: the embedded broker (aedes) refuses MQTT 5.
      mqtt: { ...loaded.sinks.mqtt, enabled: true, protocolVersion: 4, outbox: { ...loaded.sinks.mqtt.outbox, path: join(cacheDir, 'outbox.sqlite') } },
    },
    record: { ...loaded.record, enabled: false },
    dashboard: { ...loaded.dashboard, ...(port !== undefined ? { port } : {}) },
  };
}

/** The dashboard's access token from the configured environment variable; null (an open dashboard) when it is unset or empty. */
export function demoDashboardToken(config: Config): string | null {
  const token = config.dashboard.tokenEnv === '' ? '' : (process.env[config.dashboard.tokenEnv] ?? '');
  return token === '' ? null : token;
}

export interface DemoOutputPaths {
  results: string;
  map: string;
  /** What each frame saw, a layer of its own (one geometry type per GeoJSON file, as GDAL and QGIS want). */
  footprints: string;
}

export function demoOutputPaths(cacheDir: string): DemoOutputPaths {
  return {
    results: join(cacheDir, 'demo-results.jsonl'),
    map: join(cacheDir, 'demo-field-map.geojson'),
    footprints: join(cacheDir, 'demo-footprints.geojson'),
  };
}
