// The `health` payload, published every sinks.mqtt.healthIntervalS: how the drone's pipeline and link are doing right now.
import { z } from 'zod';
import { FAULT_CODES } from '../platform/fieldeye-error.js';

export const HEALTH_SCHEMA_VERSION = 1;

export const HealthSchema = z.strictObject({
  schemaVersion: z.literal(HEALTH_SCHEMA_VERSION),
  droneId: z.string().min(1),
  flightId: z.string().min(1),
  /** When this report was made, ISO 8601 UTC. */
  at: z.iso.datetime(),
  /**
   * Length of the window the rates and percentiles below cover: since the last report, or, for a report less than half
   * an interval after it (the last one of a flight), since the one before.
   */
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
    /**
     * Results the broker acknowledged (PUBACK), since the process started. Under MQTT 3.1.1 a broker acknowledges
     * what its ACL drops too: see `broker.publishCheck`. Optional: reports from earlier versions lack it.
     */
    acknowledged: z.number().int().nonnegative().optional(),
  }),
  /** Always "up" on the wire (a report is only sent while connected); kept for subscribers that store reports. */
  link: z.enum(['up', 'down']),
  /** Why the link is in that state (the broker's answer or the network error, and what to check). */
  linkDetail: z.string().optional(),
  /** What the broker is known to do with this drone's publishes. */
  broker: z
    .strictObject({
      protocolVersion: z.union([z.literal(4), z.literal(5)]),
      /** False under MQTT 3.1.1: a refused publish is acknowledged like a delivered one. */
      refusalsVisible: z.boolean(),
      /**
       * The retained status published at connect, subscribed to: delivered (it came back), swallowed (acknowledged,
       * never delivered: an error), refused (MQTT 5 reason code: an error), unverified (cannot subscribe), pending.
       */
      publishCheck: z.enum(['pending', 'delivered', 'swallowed', 'refused', 'unverified']),
      publishCheckDetail: z.string(),
    })
    .optional(),
  /** SoC temperature in °C (the Pi's cpu-thermal zone); null where /sys/class/thermal is absent. */
  cpuTempC: z.number().nullable(),
  /** Raspberry Pi firmware throttle bits (`vcgencmd get_throttled`, e.g. 0x50005); null where vcgencmd is absent. */
  throttled: z.number().int().nonnegative().nullable(),
  /** Thermal state beyond cpuTempC; always sent, optional so reports from earlier versions still validate. */
  thermal: z
    .strictObject({
      /** `throttled` decoded: *Now = at this moment, *Occurred = at some point since boot; null where vcgencmd is absent. */
      firmware: z
        .strictObject({
          underVoltageNow: z.boolean(),
          freqCappedNow: z.boolean(),
          throttledNow: z.boolean(),
          softTempLimitNow: z.boolean(),
          underVoltageOccurred: z.boolean(),
          freqCappedOccurred: z.boolean(),
          throttledOccurred: z.boolean(),
          softTempLimitOccurred: z.boolean(),
        })
        .nullable(),
      /** fieldeye's own back-off (thermal.*); null when it is not running: not a live camera, or thermal.enabled false. */
      governor: z
        .strictObject({
          /** True from thermal.highC (or firmware throttling) until the SoC cools to thermal.lowC. */
          capped: z.boolean(),
          /** Frames per second kept while capped (thermal.reducedFps); null while not capped. */
          fpsLimit: z.number().positive().nullable(),
          /** Frames the cap dropped since the flight started. */
          droppedFrames: z.number().int().nonnegative(),
        })
        .nullable(),
    })
    .optional(),
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
  /**
   * The position source's telemetry (gpsd, nmea, mavlink); null for exif, fixed, none and replays. position and clock
   * are always sent; optional so reports from earlier versions still validate.
   */
  position: z
    .strictObject({
      /** The configured position type. */
      type: z.string(),
      /** udp | serial | tcp | file | tlog */
      input: z.string(),
      link: z.enum(['up', 'down']),
      /** Why, in words ("receiving", "no NMEA datagram for 4000 ms", "ECONNREFUSED"...). */
      linkDetail: z.string(),
      /** Times the link went down and came back (or gpsd reconnected), since the start. */
      linkLosses: z.number().int().nonnegative(),
      /** Since the newest position sample arrived, ms; null before the first. */
      lastSampleAgeMs: z.number().nonnegative().nullable(),
      /** Position samples per second over the last 10 s. */
      samplesPerS: z.number().nonnegative(),
      /** From the newest position sample: 0 no fix, 2 2D, 3 3D; null before the first. */
      fixType: z.number().int().min(0).max(3).nullable(),
      satellites: z.number().int().nonnegative().nullable(),
      hdop: z.number().nonnegative().nullable(),
      /** Input that failed its checksum or could not be parsed (NMEA sentences, MAVLink packets, gpsd lines), since the start. */
      garbled: z.number().int().nonnegative(),
      /** MAVLink: packets missing from the vehicle's sequence numbers (lost or reordered); null for other sources. */
      droppedPackets: z.number().int().nonnegative().nullable(),
    })
    .nullable()
    .optional(),
  /** The clock results are stamped with (see the result's `clock`). */
  clock: z
    .strictObject({
      /** The configured reference (clock.reference). */
      reference: z.enum(['system', 'gps']),
      /** What live frames are stamped with now: gps once a GPS time offset is known and the reference is gps. */
      source: z.enum(['system', 'gps', 'frame']),
      /** Whether the system clock was synchronised (NTP, chrony) at start; null = cannot tell. */
      synchronised: z.boolean().nullable(),
      /** System clock minus GPS time, ms, measured from the position source; null without live GPS time. */
      systemMinusGpsMs: z.number().nullable(),
      /** What GPS time came from ("MAVLink SYSTEM_TIME", "gpsd TPV time", "NMEA RMC/ZDA date and time"); null without. */
      gpsTimeFrom: z.string().nullable(),
    })
    .nullable()
    .optional(),
  /** The model running, and why that precision (model.precision: auto times FP32 and int8 on a CPU it has not seen). */
  model: z
    .strictObject({
      sha256: z.string().regex(/^[0-9a-f]{64}$/),
      precision: z.enum(['fp32', 'int8']),
      /** configured | only-variant | measured (timed at this start) | cached (timed on an earlier start on this CPU). */
      precisionReason: z.enum(['configured', 'only-variant', 'measured', 'cached']),
      /** Median batch-1 latencies auto measured, ms; null when nothing was timed. */
      fp32P50Ms: z.number().positive().nullable(),
      int8P50Ms: z.number().positive().nullable(),
    })
    .nullable()
    .optional(),
  /**
   * Faults since the flight started, by code (config | input | model | link | hardware | internal): input and model =
   * frames that failed, link = results a sink could not take, hardware = camera restarts. Optional: reports from
   * earlier versions lack it.
   */
  faults: z
    .strictObject({
      counts: z.record(z.enum(FAULT_CODES), z.number().int().nonnegative()),
      /** The newest one, where it happened (preprocess, classify, sink:<name>, camera) and what it said; null before the first. */
      last: z.strictObject({ code: z.enum(FAULT_CODES), stage: z.string(), message: z.string(), at: z.iso.datetime() }).nullable(),
    })
    .optional(),
});

export type Health = z.infer<typeof HealthSchema>;
