// The retained `flight` payload: which flight, model and configuration produced the results on `result`.
import { z } from 'zod';

export const FLIGHT_SCHEMA_VERSION = 1;

export const FlightSchema = z.strictObject({
  schemaVersion: z.literal(FLIGHT_SCHEMA_VERSION),
  droneId: z.string().min(1),
  flightId: z.string().min(1),
  /** When this process started the flight, ISO 8601 UTC (with MAVLink: when the arming or disarming HEARTBEAT arrived). */
  startedAt: z.iso.datetime(),
  /**
   * run = one flight per run (no arming information); armed = from the vehicle's arming to its disarming (MAVLink);
   * ground = while the vehicle is disarmed (MAVLink: before the first arming, and "<flightId>-landed" after each flight).
   * kind and endedAt are always sent; optional so documents from earlier versions still validate.
   */
  kind: z.enum(['run', 'armed', 'ground']).optional(),
  /** When the flight was closed (disarmed, armed again, or the run ended), ISO 8601 UTC; null while it is open. */
  endedAt: z.iso.datetime().nullable().optional(),
  model: z.strictObject({
    name: z.string(),
    architecture: z.string(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    precision: z.enum(['fp32', 'int8']),
    /** [N, C, H, W] as on the model card. */
    inputShape: z.array(z.number().int()),
    classes: z.number().int().positive(),
  }),
  /** sha256 of the effective configuration (canonical JSON, secrets are never part of it). */
  configSha256: z.string().regex(/^[0-9a-f]{64}$/),
  software: z.strictObject({ name: z.literal('fieldeye'), version: z.string() }),
});

export type Flight = z.infer<typeof FlightSchema>;
