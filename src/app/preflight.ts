// The pre-flight go/no-go checks (camera, model, GPS, clock, broker, disk, temperature): each says ok, warn or fail and what to do.
import { statfs } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Secrets } from '../config/resolve-secrets.js';
import type { Logger } from '../platform/logger.js';
import { checkClockSync, type ClockSyncProbe } from '../platform/clock-sync.js';
import { readSocTemperatureC, readThrottleFlags, type ThrottleFlags } from '../platform/thermal.js';
import { RpicamFrameSource } from '../capture/rpicam-frame-source.js';
import { ImagesFrameSource } from '../capture/images-frame-source.js';
import { createPositionSource } from '../geo/create-position-source.js';
import { BrokerProbe } from '../publish/broker-probe.js';
import { mqttLinkOptionsFrom } from './open-publishing.js';
import { resolveModel } from './resolve-model.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface PreflightCheck {
  name: 'camera' | 'model' | 'gps' | 'clock' | 'broker' | 'disk' | 'temperature';
  status: CheckStatus;
  /** What was found and, unless ok, what to do about it. */
  detail: string;
}

export interface PreflightReport {
  droneId: string;
  checkedAt: string;
  /** go = no check failed (warnings allowed). */
  go: boolean;
  checks: PreflightCheck[];
}

export interface PreflightDeps {
  /** Default: vcgencmd where it exists. */
  readThrottle?: () => Promise<ThrottleFlags | null>;
  clockProbe?: Partial<ClockSyncProbe>;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function checkCamera(config: Config, logger: Logger): Promise<PreflightCheck> {
  const source = config.source;
  if (source.type === 'images') {
    try {
      const images = await ImagesFrameSource.open(source.dir, logger, 1);
      const count = images.expectedCount ?? 0;
      await images.close();
      if (count === 0)
        return { name: 'camera', status: 'fail', detail: `source.dir ${source.dir} holds no frames; put JPEG/PNG frames there or point source.dir elsewhere` };
      return { name: 'camera', status: 'ok', detail: `image folder ${source.dir} readable with frames` };
    } catch (err) {
      return { name: 'camera', status: 'fail', detail: `image folder ${source.dir}: ${message(err)}` };
    }
  }
  try {
    const camera = await RpicamFrameSource.open({
      config: { ...source, startTimeoutMs: config.preflight.cameraTimeoutMs },
      logger,
      maxFrames: 1,
    });
    await camera.close();
    return { name: 'camera', status: 'ok', detail: `camera ${source.cameraIndex} delivered a frame (${source.codec} ${source.widthPx}x${source.heightPx})` };
  } catch (err) {
    return { name: 'camera', status: 'fail', detail: `${message(err)} (run \`fieldeye camera check\` for details)` };
  }
}

async function checkModel(config: Config, logger: Logger): Promise<PreflightCheck> {
  try {
    const model = await resolveModel(config.model.path, config.model.synthSeed, logger);
    const warnings = model.warnings.length > 0 ? `; ${model.warnings.join('; ')}` : '';
    return {
      name: 'model',
      status: model.warnings.length > 0 ? 'warn' : 'ok',
      detail: `${model.card.name} sha256 ${model.sha256.slice(0, 12)}…, card and ${model.labels.length} labels consistent${warnings}`,
    };
  } catch (err) {
    return { name: 'model', status: 'fail', detail: message(err) };
  }
}

/** Live position sources must produce a 2D/3D fix within the timeout; recorded and static ones are only described. */
async function checkGps(config: Config, logger: Logger): Promise<PreflightCheck> {
  const p = config.position;
  const live = p.type === 'gpsd' || (p.type === 'nmea' && p.nmea.input === 'udp') || (p.type === 'mavlink' && p.mavlink.input === 'udp');
  if (!live) {
    if (p.type === 'none')
      return { name: 'gps', status: 'warn', detail: 'position.type is "none": results carry no geotag; set gpsd, nmea or mavlink to geotag' };
    if (p.type === 'fixed')
      return { name: 'gps', status: 'warn', detail: 'position.type is "fixed": every result gets the same point; fine on the ground, not for a flight' };
    return { name: 'gps', status: 'ok', detail: `position.type "${p.type}" reads positions from files, no live fix needed` };
  }
  const timeoutMs = config.preflight.gpsTimeoutMs;
  let source;
  try {
    source = await createPositionSource(p, logger);
  } catch (err) {
    return { name: 'gps', status: 'fail', detail: `position source ${p.type}: ${message(err)}` };
  }
  try {
    const track = source.track;
    if (!track) return { name: 'gps', status: 'warn', detail: `position source ${p.type} exposes no track to check` };
    const fix = await new Promise<{ fixType: number; satellites: number | null } | null>((done) => {
      const timer = setTimeout(() => {
        stop();
        done(null);
      }, timeoutMs);
      const stop = track.observe((s) => {
        if (s.kind === 'fix' && s.sample.fixType >= 2 && s.sample.fix !== null) {
          clearTimeout(timer);
          queueMicrotask(() => stop());
          done({ fixType: s.sample.fixType, satellites: s.sample.satellites });
        }
      });
    });
    if (!fix) {
      return {
        name: 'gps',
        status: 'fail',
        detail: `no ${p.type} fix within preflight.gpsTimeoutMs (${timeoutMs} ms); check the receiver's antenna has sky view and the ${p.type} link is up`,
      };
    }
    return { name: 'gps', status: 'ok', detail: `${p.type}: ${fix.fixType}D fix${fix.satellites !== null ? `, ${fix.satellites} satellites` : ''}` };
  } finally {
    await source.close();
  }
}

/** A Pi has no RTC: before NTP or GPS time it can believe it is years ago, which misdates every frame. */
async function checkClock(config: Config, probe: Partial<ClockSyncProbe>): Promise<PreflightCheck> {
  const year = new Date().getUTCFullYear();
  if (year < 2025) {
    return {
      name: 'clock',
      status: 'fail',
      detail: `system clock says ${new Date().toISOString()}; set it (timedatectl set-ntp true, or gpsd + chrony) before flying`,
    };
  }
  const sync = await checkClockSync(probe);
  if (sync.synchronized === true) return { name: 'clock', status: 'ok', detail: sync.evidence };
  const gpsTimed = config.position.type === 'gpsd' || config.position.type === 'nmea';
  if (sync.synchronized === false) {
    return {
      name: 'clock',
      status: gpsTimed ? 'fail' : 'warn',
      detail: `${sync.evidence}: frame times are off${gpsTimed ? ' and frames get the position of another moment' : ''}; enable NTP (timedatectl set-ntp true) or a GPS time source (gpsd + chrony)`,
    };
  }
  return { name: 'clock', status: 'warn', detail: `${sync.evidence}; check the clock is synchronised (NTP or gpsd + chrony)` };
}

/**
 * A plain connection to the configured broker (no Last Will, nothing published by itself), under its own client
 * id so it never takes over the session of a running fieldeye. Used by the check and by `preflight --publish`.
 */
export function connectPreflightProbe(config: Config, secrets: Secrets): Promise<BrokerProbe> {
  const mqtt = config.sinks.mqtt;
  const options = mqttLinkOptionsFrom(config, secrets, mqtt.url, mqtt.protocolVersion);
  return BrokerProbe.connect({ ...options, clientId: `${options.clientId}-preflight` });
}

/** Connect and end cleanly: a preflight must not tell ground stations the drone went online or offline. */
async function checkBroker(config: Config, secrets: Secrets): Promise<PreflightCheck> {
  const mqtt = config.sinks.mqtt;
  if (!mqtt.enabled) return { name: 'broker', status: 'ok', detail: 'sinks.mqtt.enabled is false: nothing to reach' };
  if (mqtt.url === '') return { name: 'broker', status: 'ok', detail: 'sinks.mqtt.url is "": the embedded broker starts with the flight' };
  try {
    const probe = await connectPreflightProbe(config, secrets);
    // Reachable is not enough: a broker whose ACL denies this drone acknowledges and drops under MQTT 3.1.1.
    const delivery = await probe.checkDelivery();
    await probe.end();
    const status = delivery.verdict === 'delivered' ? 'ok' : delivery.verdict === 'unverified' ? 'warn' : 'fail';
    return { name: 'broker', status, detail: `${probe.describe()}; ${delivery.detail}` };
  } catch (err) {
    return { name: 'broker', status: 'fail', detail: message(err) };
  }
}

/** statfs needs an existing path: the folder itself, or its nearest existing parent (created at first use). */
async function freeMb(path: string): Promise<{ mb: number; at: string }> {
  let at = resolve(path);
  for (;;) {
    try {
      const s = await statfs(at);
      return { mb: (s.bavail * s.bsize) / 2 ** 20, at };
    } catch (err) {
      const parent = dirname(at);
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || parent === at) throw err;
      at = parent;
    }
  }
}

async function checkDisk(config: Config): Promise<PreflightCheck> {
  const wanted: Array<{ what: string; dir: string }> = [];
  if (config.sinks.mqtt.enabled) wanted.push({ what: 'outbox', dir: dirname(config.sinks.mqtt.outbox.path) });
  if (config.record.enabled) wanted.push({ what: 'recordings', dir: config.record.dir });
  if (wanted.length === 0) return { name: 'disk', status: 'ok', detail: 'no outbox or recordings configured' };
  const min = config.preflight.minFreeDiskMb;
  const parts: string[] = [];
  let fail = false;
  for (const { what, dir } of wanted) {
    try {
      const { mb, at } = await freeMb(dir);
      parts.push(`${what} ${dir}: ${Math.floor(mb)} MiB free (on ${at})`);
      if (mb < min) fail = true;
    } catch (err) {
      parts.push(`${what} ${dir}: ${message(err)}`);
      fail = true;
    }
  }
  const detail = parts.join('; ');
  return fail
    ? { name: 'disk', status: 'fail', detail: `${detail}; need ${min} MiB (preflight.minFreeDiskMb): free space or move the folder` }
    : { name: 'disk', status: 'ok', detail };
}

async function checkTemperature(config: Config, readThrottle: () => Promise<ThrottleFlags | null>): Promise<PreflightCheck> {
  const [temperatureC, flags] = await Promise.all([readSocTemperatureC(config.thermal.sysfsRoot), readThrottle()]);
  const { highC } = config.thermal;
  if (flags?.underVoltageNow)
    return {
      name: 'temperature',
      status: 'fail',
      detail: `firmware reports under-voltage now (throttled=0x${flags.raw.toString(16)}); use a stronger power supply`,
    };
  if (flags?.throttledNow || flags?.softTempLimitNow) {
    return {
      name: 'temperature',
      status: 'fail',
      detail: `firmware is throttling now (throttled=0x${flags.raw.toString(16)}); let the Pi cool and check its heatsink and airflow`,
    };
  }
  if (temperatureC === null)
    return { name: 'temperature', status: 'warn', detail: `no SoC temperature under ${config.thermal.sysfsRoot}; cannot tell if the Pi is too hot` };
  if (temperatureC >= highC) {
    return {
      name: 'temperature',
      status: 'fail',
      detail: `SoC at ${temperatureC.toFixed(1)} °C, at or above thermal.highC ${highC} °C; let it cool (shade, airflow) before take-off`,
    };
  }
  return { name: 'temperature', status: 'ok', detail: `SoC at ${temperatureC.toFixed(1)} °C (below ${highC} °C)` };
}

/** Runs every check; independent ones at the same time so a preflight takes as long as its slowest check. */
export async function runPreflight(config: Config, secrets: Secrets, logger: Logger, deps: PreflightDeps = {}): Promise<PreflightReport> {
  const readThrottle = deps.readThrottle ?? (() => readThrottleFlags());
  const [camera, model, gps, clock, broker, disk, temperature] = await Promise.all([
    checkCamera(config, logger.child({ check: 'camera' })),
    checkModel(config, logger.child({ check: 'model' })),
    checkGps(config, logger.child({ check: 'gps' })),
    checkClock(config, deps.clockProbe ?? {}),
    checkBroker(config, secrets),
    checkDisk(config),
    checkTemperature(config, readThrottle),
  ]);
  const checks = [camera, model, gps, clock, broker, disk, temperature];
  return {
    droneId: config.droneId,
    checkedAt: new Date().toISOString(),
    go: checks.every((c) => c.status !== 'fail'),
    checks,
  };
}
