// A MAVLink peer for tests, run as a child process: node-mavlink serialises a flight and sends it over UDP with loss, reordering and a silent spell.
//
// Usage: node mavlink-udp-sender.mjs <port> <seed>. Prints JSON lines on stdout: {"event":"boot",...} at start,
// {"event":"paused"} when the silent spell begins, {"event":"done","delivered":[...]} with every GLOBAL_POSITION_INT
// it sent (the track the receiver should hold), then exits.
import { Buffer } from 'node:buffer';
import { createSocket } from 'node:dgram';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';
import { MavLinkProtocolV1, MavLinkProtocolV2, common, minimal } from 'node-mavlink';

const port = Number(process.argv[2]);
const seed = Number(process.argv[3] ?? 1);
const socket = createSocket('udp4');
const bootEpochMs = Date.now() - 60_000; // the autopilot "booted" a minute ago
const v2 = new MavLinkProtocolV2(1, 1);
const v1 = new MavLinkProtocolV1(1, 1);
let seq = 0;
let rand = seed >>> 0;
const random = () => {
  // xorshift32: the same loss and reordering pattern for a given seed.
  rand ^= rand << 13;
  rand >>>= 0;
  rand ^= rand >>> 17;
  rand ^= rand << 5;
  rand >>>= 0;
  return rand / 2 ** 32;
};
const print = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

/** A curved path at ~8 m/s around a field near Canberra, as a function of boot time. */
function truth(timeBootMs) {
  const s = (timeBootMs - 60_000) / 1000;
  const northM = 40 * Math.sin(s / 5);
  const eastM = 8 * s;
  return {
    lat: Math.round((-35.3621474 + northM / 111_320) * 1e7),
    lon: Math.round((149.1651746 + eastM / (111_320 * Math.cos(-35.36 * (Math.PI / 180)))) * 1e7),
    alt: Math.round((584 + 30 + 2 * s) * 1000),
    relativeAlt: Math.round((30 + 2 * s) * 1000),
    vx: Math.round(8 * Math.cos(s / 5) * 100),
    vy: 800,
    yawRad: Math.atan2(8, 8 * Math.cos(s / 5)),
  };
}

const delivered = [];
let held = null;

function send(message, protocol = v2) {
  const bytes = protocol.serialize(message, seq++ & 0xff);
  return new Promise((resolve) => socket.send(bytes, port, '127.0.0.1', () => resolve()));
}

/** Sends one tick's messages; loses about 15 % of positions and swaps about 15 % with the next tick's. */
async function tick(armed, withHeartbeat) {
  const timeBootMs = Date.now() - bootEpochMs;
  const t = truth(timeBootMs);
  const gpi = Object.assign(new common.GlobalPositionInt(), {
    timeBootMs,
    lat: t.lat,
    lon: t.lon,
    alt: t.alt,
    relativeAlt: t.relativeAlt,
    vx: t.vx,
    vy: t.vy,
    vz: 0,
    hdg: 65535,
  });
  const att = Object.assign(new common.Attitude(), { timeBootMs, roll: 0.05, pitch: -0.1, yaw: t.yawRad });
  const raw = Object.assign(new common.GpsRawInt(), {
    timeUsec: BigInt(timeBootMs) * 1000n,
    fixType: 3,
    lat: t.lat,
    lon: t.lon,
    alt: t.alt,
    eph: 87,
    epv: 120,
    vel: 800,
    cog: 9000,
    satellitesVisible: 14,
  });
  if (withHeartbeat) {
    const hb = Object.assign(new minimal.Heartbeat(), {
      type: 2,
      autopilot: 3,
      baseMode: armed ? 128 + 81 : 81,
      customMode: 5,
      systemStatus: armed ? 4 : 3,
      mavlinkVersion: 3,
    });
    await send(hb, v1);
    // GPS time 5 s ahead of this machine's clock: the receiver should measure its clock as 5 s behind.
    await send(Object.assign(new common.SystemTime(), { timeUnixUsec: BigInt(Date.now() + 5_000) * 1000n, timeBootMs: Date.now() - bootEpochMs }));
    // The GCS on the same link: the receiver must not take it for the vehicle.
    await new Promise((r) =>
      socket.send(new MavLinkProtocolV2(255, 190).serialize(Object.assign(new minimal.Heartbeat(), { type: 6, autopilot: 8 }), 0), port, '127.0.0.1', r),
    );
  }
  await send(raw);
  await send(att, seq % 3 === 0 ? v1 : v2);
  const r = random();
  if (r < 0.15) return; // lost
  delivered.push({ timeBootMs, lat: t.lat, lon: t.lon, alt: t.alt, relativeAlt: t.relativeAlt });
  if (r < 0.3 && held === null) {
    held = gpi; // sent after the next tick's position: reordered
    return;
  }
  await send(gpi);
  if (held) {
    await send(held);
    held = null;
  }
}

async function phase(ticks, armedFrom, armedUntil) {
  for (let i = 0; i < ticks; i++) {
    await tick(i >= armedFrom && i < armedUntil, i % 5 === 0);
    await sleep(100);
  }
  if (held) {
    await send(held);
    held = null;
  }
}

print({ event: 'boot', bootEpochMs });
// Line noise, and a packet with a corrupted byte: the receiver must skip both and count them.
await new Promise((r) => socket.send(Buffer.from('noise\xfe\x09\x00', 'latin1'), port, '127.0.0.1', r));
const corrupted = v2.serialize(Object.assign(new common.Attitude(), { timeBootMs: 1, roll: 3 }), seq++ & 0xff);
corrupted[12] ^= 0x40;
await new Promise((r) => socket.send(corrupted, port, '127.0.0.1', r));
await phase(30, 10, Infinity);
print({ event: 'paused' });
await sleep(2_000);
await phase(20, 0, 10);
print({ event: 'done', delivered });
socket.close();
