// A MAVLink vehicle for tests, run as a child process: node-mavlink serialises a scripted flight (arming phases, GPS time,
// a camera gimbal, lost packets) and sends it over UDP or writes it to a serial device (a socat pseudo-terminal).
//
// Usage: node mavlink-flight-sender.mjs <udp:PORT | tty:PATH> '<scenario JSON>'. Scenario keys (all optional):
//   phases        [{ "armed": false, "ms": 2000 }, ...]  HEARTBEAT base_mode per phase; a HEARTBEAT goes out at
//                 each phase's start, then one per second (as autopilots send them)
//   rateHz        position/attitude rate (default 10)
//   altAglM       relative_alt (default 100); the vehicle flies north at speedMps (default 5) from a field near Canberra
//   yawDeg        vehicle heading in ATTITUDE (default 0); pitch and roll are 0 (level flight)
//   gpsAheadMs    SYSTEM_TIME's GPS time minus this machine's clock (default 0); sent with every HEARTBEAT
//   gimbal        { "pitchDeg": -60, "yawDeg": 0, "frame": "vehicle" | "earth" }: GIMBAL_DEVICE_ATTITUDE_STATUS from
//                 component 154 (MAV_COMP_ID_GIMBAL) with its own boot time, at rateHz
//   dropEvery     drop every Nth packet of the vehicle (1/1, HEARTBEATs excepted) after it got its sequence number: a lossy radio
// Prints JSON lines on stdout: {"event":"start","bootEpochMs"}, {"event":"phase","armed","atMs"} when a phase's first
// HEARTBEAT was sent, {"event":"done","dropped":N,"sent":M} at the end, then exits.
import { Buffer } from 'node:buffer';
import { createSocket } from 'node:dgram';
import { openSync, writeSync, closeSync } from 'node:fs';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { MavLinkProtocolV2, common, minimal } from 'node-mavlink';

const [target = '', scenarioText = '{}'] = process.argv.slice(2);
const scenario = JSON.parse(scenarioText);
const phases = scenario.phases ?? [{ armed: false, ms: 3000 }];
const rateHz = scenario.rateHz ?? 10;
const altAglM = scenario.altAglM ?? 100;
const speedMps = scenario.speedMps ?? 5;
const yawRad = ((scenario.yawDeg ?? 0) * Math.PI) / 180;
const gpsAheadMs = scenario.gpsAheadMs ?? 0;
const dropEvery = scenario.dropEvery ?? 0;
const print = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

let sendBytes;
let finish;
if (target.startsWith('udp:')) {
  const port = Number(target.slice(4));
  const socket = createSocket('udp4');
  sendBytes = (bytes) => new Promise((resolve) => socket.send(bytes, port, '127.0.0.1', () => resolve()));
  finish = () => socket.close();
} else if (target.startsWith('tty:')) {
  const fd = openSync(target.slice(4), 'w');
  // A serial line delivers bytes, not packets: writes are cut at arbitrary points.
  let carry = Buffer.alloc(0);
  sendBytes = async (bytes) => {
    const all = Buffer.concat([carry, bytes]);
    const cut = Math.floor(all.length * (0.3 + 0.4 * Math.random()));
    writeSync(fd, all.subarray(0, cut));
    carry = Buffer.from(all.subarray(cut));
  };
  finish = () => {
    writeSync(fd, carry);
    closeSync(fd);
  };
} else {
  throw new Error(`target: expected udp:PORT or tty:PATH, received "${target}"`);
}

const bootEpochMs = Date.now() - 120_000; // the autopilot booted two minutes ago
const gimbalBootEpochMs = Date.now() - 7_000; // the gimbal has its own clock
const vehicle = new MavLinkProtocolV2(1, 1);
const gimbalLink = new MavLinkProtocolV2(1, 154);
let vehicleSeq = 0;
let gimbalSeq = 0;
let dropped = 0;
let sent = 0;

/** HEARTBEATs are never dropped, so each phase starts exactly when the scenario says. */
async function sendVehicle(message, droppable = true) {
  const bytes = vehicle.serialize(message, vehicleSeq++ & 0xff);
  sent++;
  // Never the first packet: a receiver can only see a gap after a packet it has.
  if (droppable && dropEvery > 0 && sent > 1 && sent % dropEvery === 0) {
    dropped++;
    return;
  }
  await sendBytes(bytes);
}

function heartbeat(armed) {
  return Object.assign(new minimal.Heartbeat(), {
    type: 2, // MAV_TYPE_QUADROTOR
    autopilot: 3, // MAV_AUTOPILOT_ARDUPILOTMEGA
    baseMode: armed ? 128 + 81 : 81,
    customMode: 5,
    systemStatus: armed ? 4 : 3,
    mavlinkVersion: 3,
  });
}

function systemTime() {
  return Object.assign(new common.SystemTime(), {
    timeUnixUsec: BigInt(Date.now() + gpsAheadMs) * 1000n,
    timeBootMs: Date.now() - bootEpochMs,
  });
}

const startMs = Date.now();
function position(timeBootMs) {
  const northM = ((Date.now() - startMs) / 1000) * speedMps;
  return Object.assign(new common.GlobalPositionInt(), {
    timeBootMs,
    lat: Math.round((-35.3621474 + northM / 111_132) * 1e7),
    lon: Math.round(149.1651746 * 1e7),
    alt: Math.round((584 + altAglM) * 1000),
    relativeAlt: Math.round(altAglM * 1000),
    vx: Math.round(speedMps * 100),
    vy: 0,
    vz: 0,
    hdg: 65535,
  });
}

/** Quaternion of Z-Y-X Euler angles (yaw, pitch, roll), w x y z. */
function quaternion(rollDeg, pitchDeg, yawDeg) {
  const [r, p, y] = [rollDeg, pitchDeg, yawDeg].map((d) => (d * Math.PI) / 360);
  const [cr, sr, cp, sp, cy, sy] = [Math.cos(r), Math.sin(r), Math.cos(p), Math.sin(p), Math.cos(y), Math.sin(y)];
  return [cr * cp * cy + sr * sp * sy, sr * cp * cy - cr * sp * sy, cr * sp * cy + sr * cp * sy, cr * cp * sy - sr * sp * cy];
}

async function tick(armed, withHeartbeat) {
  const timeBootMs = Date.now() - bootEpochMs;
  if (withHeartbeat) {
    await sendVehicle(heartbeat(armed), false);
    await sendVehicle(systemTime());
  }
  await sendVehicle(
    Object.assign(new common.GpsRawInt(), { timeUsec: BigInt(timeBootMs) * 1000n, fixType: 3, eph: 70, epv: 110, satellitesVisible: 15 }),
  );
  await sendVehicle(position(timeBootMs));
  await sendVehicle(Object.assign(new common.Attitude(), { timeBootMs, roll: 0, pitch: 0, yaw: yawRad }));
  if (scenario.gimbal) {
    const g = scenario.gimbal;
    const flags = g.frame === 'earth' ? 64 : 32; // YAW_IN_EARTH_FRAME : YAW_IN_VEHICLE_FRAME
    const status = Object.assign(new common.GimbalDeviceAttitudeStatus(), {
      targetSystem: 0,
      targetComponent: 0,
      timeBootMs: Date.now() - gimbalBootEpochMs,
      flags,
      q: quaternion(0, g.pitchDeg, g.yawDeg ?? 0),
      angularVelocityX: 0,
      angularVelocityY: 0,
      angularVelocityZ: 0,
      failureFlags: 0,
      deltaYaw: g.frame === 'earth' ? Number.NaN : yawRad,
      deltaYawVelocity: Number.NaN,
      gimbalDeviceId: 0,
    });
    await sendBytes(gimbalLink.serialize(status, gimbalSeq++ & 0xff));
  }
}

print({ event: 'start', bootEpochMs });
const intervalMs = 1000 / rateHz;
for (const phase of phases) {
  const phaseStart = Date.now();
  let lastHeartbeat = -Infinity;
  let first = true;
  while (Date.now() - phaseStart < phase.ms) {
    const withHeartbeat = first || Date.now() - lastHeartbeat >= 1000;
    if (withHeartbeat) lastHeartbeat = Date.now();
    const sentAt = Date.now();
    await tick(phase.armed, withHeartbeat);
    if (first) print({ event: 'phase', armed: phase.armed, atMs: sentAt });
    first = false;
    await sleep(Math.max(0, intervalMs - (Date.now() - sentAt)));
  }
}
// A last HEARTBEAT (never dropped): every packet dropped before it shows as a gap in the sequence numbers.
await sendVehicle(heartbeat(phases.at(-1)?.armed ?? false), false);
print({ event: 'done', dropped, sent });
finish();
