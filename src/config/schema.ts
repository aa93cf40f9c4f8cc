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
const identifier = z.string({ error: 'a string' }).regex(idPattern, { error: 'letters, digits, "_", "." or "-" (1-64 characters, no "/", "+" or "#")' });

const ImagesSourceSchema = z.strictObject({
  type: z.literal('images'),
  /** Folder of JPEG/PNG frames; relative paths resolve against the config file's folder. */
  dir: z.string({ error: 'a folder path' }).min(1, { error: 'a folder path' }),
});

/** AWB modes rpicam-vid knows by name (--awb). */
export const RPICAM_AWB_MODES = ['auto', 'incandescent', 'tungsten', 'fluorescent', 'indoor', 'daylight', 'cloudy'] as const;
/** Denoise modes of rpicam-vid (--denoise). */
export const RPICAM_DENOISE_MODES = ['auto', 'off', 'cdn_off', 'cdn_fast', 'cdn_hq'] as const;

const RpicamSourceSchema = z.strictObject({
  type: z.literal('rpicam'),
  /**
   * yuv420 = raw I420 frames scaled by the ISP to model scale (no JPEG decode, no CPU resize: the mode for
   * inference); mjpeg = JPEGs (encoded in software by rpicam-vid, whole cores on a Pi 4: the mode for recording).
   */
  codec: z.enum(['yuv420', 'mjpeg'], { error: 'one of "yuv420", "mjpeg"' }).default('yuv420'),
  /** "" = rpicam-vid found on PATH, else libcamera-vid; or the path of either. */
  command: z.string({ error: 'a program name or path' }).default(''),
  /** Which camera (rpicam-vid --list-cameras numbers them). */
  cameraIndex: intBetween(0, 15).default(0),
  /** Output size; for yuv420 the shorter side must be the model's resize size (256) and both even. */
  widthPx: intBetween(2, 8192).default(448),
  heightPx: intBetween(2, 8192).default(256),
  /** Bytes per luma row of yuv420 frames; 0 = widthPx rounded up to a multiple of 64 (how the Pi's ISP pads rows). */
  strideBytes: intBetween(0, 65536).default(0),
  framerateFps: numberBetween(0.1, 240).default(10),
  /** 0 = automatic exposure. */
  shutterUs: intBetween(0, 1_000_000_000).default(0),
  /** Analogue gain; 0 = automatic. */
  gain: numberBetween(0, 64).default(0),
  awb: z.enum(RPICAM_AWB_MODES, { error: RPICAM_AWB_MODES.map((m) => `"${m}"`).join(', ') }).default('auto'),
  denoise: z.enum(RPICAM_DENOISE_MODES, { error: RPICAM_DENOISE_MODES.map((m) => `"${m}"`).join(', ') }).default('auto'),
  hflip: z.boolean({ error: 'true or false' }).default(false),
  vflip: z.boolean({ error: 'true or false' }).default(false),
  rotationDeg: z.union([z.literal(0), z.literal(180)], { error: '0 or 180' }).default(0),
  /** Camera tuning file (JSON); "" = the camera's default. Relative paths resolve against the config file's folder. */
  tuningFile: z.string({ error: 'a file path' }).default(''),
  /** The first frame must arrive this long after starting rpicam-vid, or start fails with its error. */
  startTimeoutMs: intBetween(100, 600_000).default(15_000),
  /** No frame for this long: rpicam-vid is taken as hung and restarted. */
  stallTimeoutMs: intBetween(100, 600_000).default(5_000),
  /** Restarts after an exit or a stall: delays double from min to max; the camera missing waits max. */
  restartMinMs: intBetween(0, 600_000).default(500),
  restartMaxMs: intBetween(1, 3_600_000).default(30_000),
});

export const SourceSchema = z.discriminatedUnion('type', [ImagesSourceSchema, RpicamSourceSchema], {
  error: 'a source type: "images", "rpicam"',
});

export type RpicamSourceConfig = z.infer<typeof RpicamSourceSchema>;
export type ModelConfig = z.infer<typeof ModelConfigSchema>;

export const ModelConfigSchema = z.strictObject({
  /** .onnx file with its .card.json next to it; empty = the project's generated ResNet-18. */
  path: z.string({ error: 'a file path (or "" for the generated model)' }).default(''),
  /** Seed of the generated ResNet-18 used when path is empty. */
  synthSeed: intBetween(0, 2 ** 31 - 1).default(1),
  /** fast = sharp (within a few levels of torchvision); exact = bit-identical to torchvision/PIL. */
  preprocess: z.enum(['fast', 'exact'], { error: 'one of "fast", "exact"' }).default('fast'),
  /**
   * Largest image decoded, in megapixels, checked on the header first: a small file that inflates to gigabytes
   * is refused, in every decoding path. 64 fits a 61 MP survey camera; sharp itself stops at 268.
   */
  maxImageMegapixels: z
    .number({ error: 'a number of megapixels between 1 and 268' })
    .min(1, { error: 'a number of megapixels between 1 and 268' })
    .max(268, { error: 'a number of megapixels between 1 and 268' })
    .default(64),
  topK: intBetween(1, 20).default(5),
  /** onnxruntime intra-op threads; 0 = automatic: one core fewer for JPEG frames with an int8 model (decoding gets a core), every core otherwise. */
  intraOpThreads: intBetween(0, 64).default(0),
  /** The int8 variant of the model in path (`fieldeye quantize` output, same classes); "" = none. */
  int8Path: z.string({ error: 'a file path (or "" for none)' }).default(''),
  /**
   * Which variant runs: fp32 = path; int8 = int8Path (or path when its card is int8); auto = time both on the first
   * start on a CPU and use the faster (int8 is not faster everywhere), remembered in precisionCachePath.
   */
  precision: z.enum(['auto', 'fp32', 'int8'], { error: 'one of "auto", "fp32", "int8"' }).default('auto'),
  /** auto: each variant is timed for at least this long. */
  precisionTimingS: numberBetween(0.5, 120).default(3),
  /** auto: where choices are remembered, per CPU model, onnxruntime version, thread count and model pair. */
  precisionCachePath: z.string({ error: 'a file path' }).min(1, { error: 'a file path' }).default('state/precision.json'),
});

/** Published full-frame fields of view (Raspberry Pi camera hardware documentation), degrees. */
export const CAMERA_MODULE_FOV = {
  'camera-module-3': { hfovDeg: 66, vfovDeg: 41 },
  'camera-module-3-wide': { hfovDeg: 102, vfovDeg: 67 },
  'camera-module-2': { hfovDeg: 62.2, vfovDeg: 48.8 },
  'hq-camera-6mm': { hfovDeg: 63, vfovDeg: 47.6 },
} as const;

/** Baud rates stty and the Linux serial drivers know by name. */
export const SERIAL_BAUD_RATES = [
  1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800, 500000, 576000, 921600, 1000000, 1500000, 2000000,
] as const;

/** A serial device for telemetry (set up 8N1 raw with stty). */
function SerialPortSchema(defaultBaud: (typeof SERIAL_BAUD_RATES)[number]) {
  const rates = SERIAL_BAUD_RATES.join(', ');
  return z
    .strictObject({
      /** The device, e.g. /dev/ttyAMA0 or /dev/serial/by-id/usb-... (stable across reboots). */
      path: z.string({ error: 'a device path' }).default(''),
      baudRate: z
        .number({ error: `one of ${rates}` })
        .refine((n) => (SERIAL_BAUD_RATES as readonly number[]).includes(n), { error: `one of ${rates}` })
        .default(defaultBaud),
    })
    .prefault({});
}

/** The clock results are stamped with. */
export const ClockConfigSchema = z.strictObject({
  /**
   * system = this computer's clock; gps = this computer's stamps moved onto GPS time by the offset measured live from
   * the position source (gpsd TPV, NMEA RMC, MAVLink SYSTEM_TIME), which also fixes lookups on GPS-timed tracks.
   */
  reference: z.enum(['system', 'gps'], { error: 'one of "system", "gps"' }).default('system'),
  /** This computer's clock further than this from GPS time is logged as a warning. */
  warnOffsetMs: intBetween(1, 86_400_000).default(1_000),
});

export const PositionConfigSchema = z.strictObject({
  /**
   * exif = each frame's own GPS tags; fixed = the point below; none = no geotag; nmea = an NMEA 0183 receiver
   * (UDP) or log file; gpsd = a gpsd daemon (JSON protocol); mavlink = the flight controller's telemetry (UDP, or a .tlog).
   */
  type: z
    .enum(['exif', 'fixed', 'none', 'nmea', 'gpsd', 'mavlink'], {
      error: 'one of "exif", "fixed", "none", "nmea", "gpsd", "mavlink"',
    })
    .default('exif'),
  fixed: z
    .strictObject({
      latDeg: numberBetween(-90, 90).default(0),
      lonDeg: numberBetween(-180, 180).default(0),
      altMslM: numberBetween(-500, 10000).default(0),
    })
    .prefault({}),
  /** How telemetry samples become a position at a frame's capture time (nmea, gpsd, mavlink). */
  track: z
    .strictObject({
      /** Past the newest sample, extrapolate at most this long; later frames get "stale". */
      maxExtrapolationMs: intBetween(0, 60_000).default(200),
      /** Samples further apart than this are not interpolated across: frames between them get "telemetry gap". */
      maxGapMs: intBetween(1, 600_000).default(2_500),
      /** Samples kept, by age (the ring is by time) and by count. */
      retentionS: intBetween(1, 86_400).default(120),
      maxSamples: intBetween(10, 10_000_000).default(20_000),
      /** A live frame is captured before the fix after it arrives: wait this long for it before answering. */
      waitForSampleMs: intBetween(0, 60_000).default(1_500),
    })
    .prefault({}),
  nmea: z
    .strictObject({
      /** udp = listen for datagrams (e.g. from a serial-to-UDP bridge); serial = read the receiver's serial port; file = read a recorded log at start. */
      input: z.enum(['udp', 'serial', 'file'], { error: 'one of "udp", "serial", "file"' }).default('udp'),
      host: z.string({ error: 'an address to listen on' }).default('127.0.0.1'),
      port: intBetween(0, 65535).default(10110),
      /** Log file for input: file; relative paths resolve against the config file's folder. */
      path: z.string({ error: 'a file path' }).default(''),
      /** For input: serial. NMEA receivers talk at 4800 or 9600 baud unless set otherwise. */
      serial: SerialPortSchema(9_600),
      /** No data for this long: the link is reported down in every position reason. */
      linkTimeoutMs: intBetween(100, 600_000).default(3_000),
    })
    .prefault({}),
  gpsd: z
    .strictObject({
      host: z.string({ error: 'a host name or address' }).default('127.0.0.1'),
      port: intBetween(1, 65535).default(2947),
      /** After a link loss: reconnect delays double from min to max, each a random 50-100 % of that. */
      reconnectMinMs: intBetween(10, 600_000).default(500),
      reconnectMaxMs: intBetween(10, 3_600_000).default(10_000),
    })
    .prefault({}),
  mavlink: z
    .strictObject({
      /**
       * udp = listen for MAVLink v1/v2 datagrams (mavlink-router, MAVProxy or the autopilot's own UDP output);
       * serial = read the flight controller's TELEM port directly; tlog = read a ground-station .tlog at start (replays).
       */
      input: z.enum(['udp', 'serial', 'tlog'], { error: 'one of "udp", "serial", "tlog"' }).default('udp'),
      host: z.string({ error: 'an address to listen on' }).default('127.0.0.1'),
      port: intBetween(0, 65535).default(14550),
      /** The .tlog for input: tlog; relative paths resolve against the config file's folder. */
      path: z.string({ error: 'a file path' }).default(''),
      /** For input: serial: the flight controller's TELEM port (ArduPilot's default SERIALn_BAUD is 57600). */
      serial: SerialPortSchema(57_600),
      /** The vehicle's MAVLink system id; 0 = the first autopilot heard. */
      systemId: intBetween(0, 255).default(0),
      /** Its component id; 0 = the component of the first packet taken from it (autopilots send as 1). */
      componentId: intBetween(0, 255).default(0),
      /** No packet from the vehicle for this long: the link is reported down in every position reason. */
      linkTimeoutMs: intBetween(100, 600_000).default(3_000),
    })
    .prefault({}),
  /** The camera, for the ground footprint (where the image centre and the model's crop meet flat ground). */
  camera: z
    .strictObject({
      /** Field of view from the module's published figures; hfovDeg/vfovDeg > 0 override them. */
      module: z
        .enum(Object.keys(CAMERA_MODULE_FOV) as [keyof typeof CAMERA_MODULE_FOV], {
          error: `one of ${Object.keys(CAMERA_MODULE_FOV)
            .map((k) => `"${k}"`)
            .join(', ')}`,
        })
        .default('camera-module-3'),
      hfovDeg: numberBetween(0, 179).default(0),
      vfovDeg: numberBetween(0, 179).default(0),
      /** Mount angles relative to the airframe: pitch -90 looks straight down, 0 forward. */
      mountPitchDeg: numberBetween(-180, 180).default(-90),
      mountRollDeg: numberBetween(-180, 180).default(0),
      mountYawDeg: numberBetween(-180, 180).default(0),
      /** Ground elevation (MSL) for sources without a height above ground (NMEA, gpsd; MAVLink has relative_alt); null = unknown. */
      groundElevationMslM: numberBetween(-500, 10_000).nullable().default(null),
      /** A gimbal's reported attitude (MAVLink GIMBAL_DEVICE_ATTITUDE_STATUS) within this long of the frame replaces the mount angles; 0 = never. */
      gimbalMaxAgeMs: intBetween(0, 60_000).default(1_000),
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
  keepaliveS: intBetween(1, 3600).default(30),
  /** 0 = clean session; > 0 = the broker keeps the session this long after a disconnect (MQTT 5 session expiry). */
  sessionExpiryS: intBetween(0, 4_294_967_295).default(0),
  /** Reconnect after a link loss: delays double from min to max, each with random jitter. */
  reconnectMinMs: intBetween(100, 600_000).default(1_000),
  reconnectMaxMs: intBetween(100, 3_600_000).default(30_000),
  /** For mqtts:// (and wss://): PEM files; relative paths resolve against the config file's folder. */
  tls: z
    .strictObject({
      /** CA that signed the broker's certificate; "" = the system's CAs. */
      caFile: z.string({ error: 'a file path' }).default(''),
      /** Client certificate and its key, when the broker requires one; both or neither. */
      certFile: z.string({ error: 'a file path' }).default(''),
      keyFile: z.string({ error: 'a file path' }).default(''),
    })
    .prefault({}),
  /** Publish <prefix>health every this many seconds; 0 = never. */
  healthIntervalS: intBetween(0, 3600).default(10),
  /** The durable queue every result enters before it is published; it survives restarts, kill -9 and power loss. */
  outbox: z
    .strictObject({
      /** SQLite file; relative paths resolve against the config file's folder. */
      path: z.string({ error: 'a file path' }).min(1, { error: 'a file path' }).default('state/outbox.sqlite'),
      /** When full, the oldest results are dropped (counted and logged). About 1.5 KB per result. */
      maxMessages: intBetween(1, 100_000_000).default(200_000),
      /** Results older than this are dropped (counted and logged); 0 = no age limit. */
      maxAgeS: intBetween(0, 31_536_000).default(604_800),
      /** Results published and waiting for PUBACK, at most. */
      inflightWindow: intBetween(1, 1000).default(32),
      /** At the end of a flight, wait this long for the outbox to empty; what remains goes out on the next start. */
      drainTimeoutMs: intBetween(0, 3_600_000).default(10_000),
    })
    .prefault({}),
  /** Optional small JPEG previews on <prefix>thumb/<seq> (QoS 0, best effort, never through the outbox). */
  thumb: z
    .strictObject({
      enabled: z.boolean({ error: 'true or false' }).default(false),
      widthPx: intBetween(16, 1024).default(160),
      quality: intBetween(1, 100).default(60),
      /** One thumbnail per this many frames (by seq). */
      everyNth: intBetween(1, 10_000).default(10),
    })
    .prefault({}),
});

/** Recording the flight to disk while it runs (docs/recording-format.md), for replay with another model or setting. */
export const RecordConfigSchema = z.strictObject({
  enabled: z.boolean({ error: 'true or false' }).default(false),
  /** Each flight goes to <dir>/<flightId>/; relative paths resolve against the config file's folder. */
  dir: z.string({ error: 'a folder path' }).min(1, { error: 'a folder path' }).default('recordings'),
  /** Keep one frame in this many (1 = every frame); telemetry is always kept whole. */
  everyNth: intBetween(1, 10_000).default(1),
  /** At this size (decimal GB) recording stops cleanly, noted in flight.json; the flight itself goes on. */
  maxGb: numberBetween(0.000001, 100_000).default(16),
});

/** `fieldeye preflight`: the go/no-go check before take-off. */
export const PreflightConfigSchema = z.strictObject({
  /** The camera must deliver a first frame within this long (rpicam sources). */
  cameraTimeoutMs: intBetween(100, 600_000).default(15_000),
  /** A live position source (gpsd, nmea udp, mavlink udp) must give a fix within this long. */
  gpsTimeoutMs: intBetween(100, 600_000).default(10_000),
  /** Below this much free space (MiB) on the outbox's or the recordings' file system, preflight fails. */
  minFreeDiskMb: intBetween(0, 10_000_000).default(1024),
});

/** Backing off before the firmware throttles: above highC frames are capped at reducedFps, restored below lowC. */
export const ThermalConfigSchema = z.strictObject({
  enabled: z.boolean({ error: 'true or false' }).default(true),
  /** The Pi 4 firmware soft-limits at 80 °C: reduce a little before that. */
  highC: numberBetween(30, 110).default(75),
  lowC: numberBetween(20, 105).default(70),
  /** Frame-rate cap while reduced (frames captured sooner after the last kept one are dropped, counted as "thermal"). */
  reducedFps: numberBetween(0.1, 240).default(2),
  /** How often temperature and throttle flags are read. */
  checkIntervalMs: intBetween(100, 600_000).default(5_000),
  /** sysfs thermal folder (tests point it at a fake tree). */
  sysfsRoot: z.string({ error: 'a folder path' }).min(1, { error: 'a folder path' }).default('/sys/class/thermal'),
});

/** `fieldeye dashboard`: the ground-station page (MQTT subscriber -> map in the browser); broker settings are sinks.mqtt's. */
export const DashboardConfigSchema = z.strictObject({
  /** Address the page listens on; 127.0.0.1 = this machine only. Any other address shares the flight with that network: set a token. */
  host: z.string({ error: 'an address to listen on' }).min(1, { error: 'an address to listen on' }).default('127.0.0.1'),
  /** 0 = any free port (the address is printed at start). */
  port: intBetween(0, 65535).default(8080),
  /**
   * Map background: "" = none (plain background, grid and scale: works with no internet); an http(s) tile URL template
   * with {z}, {x}, {y} (and optional {s}); or a folder of <z>/<x>/<y>.png (.jpg, .webp) tiles or a raster .mbtiles or .pmtiles
   * file, relative to the config file.
   */
  tiles: z.string({ error: 'a tile URL template, a folder path or an .mbtiles or .pmtiles file' }).default(''),
  /** Environment variable holding the access token; set and not empty = every request needs it. */
  tokenEnv: z.string({ error: 'an environment variable name' }).default('FIELDEYE_DASHBOARD_TOKEN'),
  /**
   * Serve a non-loopback host with no access token (also --insecure-no-token): anyone who can reach it sees the flight.
   * Off, the dashboard refuses to start that way.
   */
  insecureNoToken: z.boolean({ error: 'true or false' }).default(false),
  /** Results of the current flight kept per drone; beyond it the oldest leave the map (the class counts keep them). */
  maxResultsPerDrone: intBetween(1, 1_000_000).default(20_000),
  /** Drones tracked at once; messages of more drones are counted in diagnostics and not shown. */
  maxDrones: intBetween(1, 10_000).default(64),
  /** Thumbnails kept per drone (the newest); 0 = none. */
  maxThumbsPerDrone: intBetween(0, 100_000).default(500),
  /** Refused payloads listed in the diagnostics panel (the newest); all of them are counted. */
  diagnosticsKept: intBetween(1, 10_000).default(100),
  /** Largest photo "try a photo" accepts, MiB; it is classified in memory and never written to disk. */
  uploadMaxMb: intBetween(1, 1024).default(20),
  /**
   * Past flights: a ground config file (`fieldeye ground --config`) whose store is listed and reopened, read-only;
   * relative to this config file. "" = none (also --store).
   */
  store: z.string({ error: 'a ground config file path, or ""' }).default(''),
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
  clock: ClockConfigSchema.prefault({}),
  sinks: z
    .strictObject({
      jsonl: JsonlSinkConfigSchema.prefault({}),
      mqtt: MqttSinkConfigSchema.prefault({}),
    })
    .prefault({}),
  record: RecordConfigSchema.prefault({}),
  preflight: PreflightConfigSchema.prefault({}),
  thermal: ThermalConfigSchema.prefault({}),
  dashboard: DashboardConfigSchema.prefault({}),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
