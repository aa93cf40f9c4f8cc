// The configuration schema: strict zod objects, units in key names, every default stated here once.
import { z } from 'zod';

/** Integer in [min, max] with a message that reads well after "expected". */
function intBetween(min: number, max: number) {
  const error = `an integer between ${min} and ${max}`;
  return z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
}

function numberBetween(min: number, max: number) {
  const error = `a number between ${min} and ${max}`;
  return z.number({ error }).min(min, { error }).max(max, { error });
}

const idPattern = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const identifier = z
  .string({ error: 'a string' })
  .regex(idPattern, { error: 'letters, digits, "_", "." or "-" (1-64 characters, no "/", "+" or "#")' });

const ImagesSourceSchema = z.strictObject({
  type: z.literal('images'),
  /** Folder of JPEG/PNG frames; relative paths resolve against the config file's folder. */
  dir: z.string({ error: 'a folder path' }).min(1, { error: 'a folder path' }),
});

export const SourceSchema = z.discriminatedUnion('type', [ImagesSourceSchema], {
  error: 'a source type: "images"',
});

export const ModelConfigSchema = z.strictObject({
  /** .onnx file with its .card.json next to it; empty = the project's generated ResNet-18. */
  path: z.string({ error: 'a file path (or "" for the generated model)' }).default(''),
  /** Seed of the generated ResNet-18 used when path is empty. */
  synthSeed: intBetween(0, 2 ** 31 - 1).default(1),
  /** fast = sharp (within a few levels of torchvision); exact = bit-identical to torchvision/PIL. */
  preprocess: z.enum(['fast', 'exact'], { error: 'one of "fast", "exact"' }).default('fast'),
  topK: intBetween(1, 20).default(5),
  /** onnxruntime intra-op threads; 0 = one per core. */
  intraOpThreads: intBetween(0, 64).default(0),
});

export const PositionConfigSchema = z.strictObject({
  /** exif = each frame's own GPS tags; fixed = the point below; none = no geotag. */
  type: z.enum(['exif', 'fixed', 'none'], { error: 'one of "exif", "fixed", "none"' }).default('exif'),
  fixed: z
    .strictObject({
      latDeg: numberBetween(-90, 90).default(0),
      lonDeg: numberBetween(-180, 180).default(0),
      altMslM: numberBetween(-500, 10000).default(0),
    })
    .prefault({}),
});

export const JsonlSinkConfigSchema = z.strictObject({
  enabled: z.boolean({ error: 'true or false' }).default(false),
  /** Results file (JSON lines), appended to; relative paths resolve against the working directory. */
  path: z.string({ error: 'a file path' }).default('results.jsonl'),
});

export const MqttSinkConfigSchema = z.strictObject({
  enabled: z.boolean({ error: 'true or false' }).default(true),
  /** Broker URL (mqtt://, mqtts://, ws://); empty = start an embedded broker on loopback. */
  url: z
    .string({ error: 'a broker URL such as mqtt://host:1883, or "" for the embedded broker' })
    .refine((s) => s === '' || /^(mqtts?|wss?):\/\/[^\s]+$/.test(s), {
      error: 'a broker URL such as mqtt://host:1883, or "" for the embedded broker',
    })
    .default(''),
  /** Port of the embedded broker (used when url is empty); 0 = any free port. Listens on 127.0.0.1 only. */
  embeddedBrokerPort: intBetween(0, 65535).default(1883),
  /** 5 = MQTT 5, 4 = MQTT 3.1.1 (the embedded broker speaks 3.1.1 only). */
  protocolVersion: z.union([z.literal(4), z.literal(5)], { error: '4 (MQTT 3.1.1) or 5 (MQTT 5)' }).default(5),
  /** Client id; empty = "fieldeye-<droneId>". */
  clientId: z.string({ error: 'a string' }).default(''),
  /** Topic prefix; "{droneId}" is replaced. Must end with "/". */
  topicPrefix: z
    .string({ error: 'a topic prefix ending in "/"' })
    .regex(/^[^#+]*\/$/, { error: 'a topic prefix ending in "/" without "+" or "#"' })
    .default('fieldeye/v1/{droneId}/'),
  username: z.string({ error: 'a string' }).default(''),
  /** File holding the password (first line); preferred over passwordEnv. Never inline in the config. */
  passwordFile: z.string({ error: 'a file path' }).default(''),
  /** Environment variable holding the password. */
  passwordEnv: z.string({ error: 'an environment variable name' }).default('FIELDEYE_MQTT_PASSWORD'),
  connectTimeoutMs: intBetween(100, 120_000).default(10_000),
  keepaliveS: intBetween(5, 3600).default(30),
});

export const ConfigSchema = z.strictObject({
  /** Names this drone in topics and results. */
  droneId: identifier.default('drone-1'),
  /** Flight id; "auto" = UTC start time, e.g. 20261127T190500Z. */
  flightId: z.union([z.literal('auto'), identifier], { error: '"auto" or an identifier' }).default('auto'),
  log: z
    .strictObject({
      level: z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
          error: 'one of "fatal", "error", "warn", "info", "debug", "trace", "silent"',
        })
        .default('info'),
    })
    .prefault({}),
  source: SourceSchema.prefault({ type: 'images', dir: 'frames' }),
  model: ModelConfigSchema.prefault({}),
  position: PositionConfigSchema.prefault({}),
  sinks: z
    .strictObject({
      jsonl: JsonlSinkConfigSchema.prefault({}),
      mqtt: MqttSinkConfigSchema.prefault({}),
    })
    .prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
