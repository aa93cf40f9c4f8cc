// The `health` payload, published every sinks.mqtt.healthIntervalS: how the drone's pipeline and link are doing right now.
import { z } from 'zod';

export const HEALTH_SCHEMA_VERSION = 1;

export const HealthSchema = z.strictObject({
  schemaVersion: z.literal(HEALTH_SCHEMA_VERSION),
  droneId: z.string().min(1),
  flightId: z.string().min(1),
  /** When this report was made, ISO 8601 UTC. */
  at: z.iso.datetime(),
  /** Length of the window the rates and percentiles below cover. */
  windowS: z.number().nonnegative(),
  /** Results per second over the window. */
  fps: z.number().nonnegative(),
  /** Per-frame latency (decode to result) over the window; null when the window had no result. */
  latencyMs: z.strictObject({ p50: z.number().nonnegative(), p99: z.number().nonnegative() }).nullable(),
  /** Since the flight started. */
  frames: z.number().int().nonnegative(),
  results: z.number().int().nonnegative(),
  /** Frames that produced no result (failed a stage or dropped by a live source), since the flight started. */
  drops: z.number().int().nonnegative(),
  outbox: z.strictObject({
    depth: z.number().int().nonnegative(),
    /** Age of the oldest result still waiting for its PUBACK; null when the outbox is empty. */
    oldestAgeMs: z.number().nonnegative().nullable(),
    /** Results dropped because the outbox was full or too old, since the process started. */
    dropped: z.number().int().nonnegative(),
    /** Results the broker refused (e.g. ACL), since the process started. */
    refused: z.number().int().nonnegative(),
  }),
  /** Always "up" on the wire (a report is only sent while connected); kept for subscribers that store reports. */
  link: z.enum(['up', 'down']),
  /** SoC temperature in °C (the Pi's cpu-thermal zone); null where /sys/class/thermal is absent. */
  cpuTempC: z.number().nullable(),
  /** Raspberry Pi firmware throttle bits (`vcgencmd get_throttled`, e.g. 0x50005); null where vcgencmd is absent. */
  throttled: z.number().int().nonnegative().nullable(),
  /** The live camera (rpicam source); null for recorded or folder sources. */
  camera: z
    .strictObject({
      /** starting | streaming | restarting | camera-missing | closed */
      state: z.string(),
      /** False while rpicam-vid reports no camera: the flag an operator watches. */
      present: z.boolean(),
      restarts: z.number().int().nonnegative(),
    })
    .nullable(),
});

export type Health = z.infer<typeof HealthSchema>;
