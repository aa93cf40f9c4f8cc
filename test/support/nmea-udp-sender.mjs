// An NMEA receiver for tests, run as a child process: sends 5 Hz epochs stamped with this machine's clock over UDP, through
// scripted trouble: garbled sentences, no fix, a gap in positions while other sentences flow, and a silent (unplugged) spell.
//
// Usage: node nmea-udp-sender.mjs <port> '<phases JSON>'; phases: [{ "kind": "fix" | "nofix" | "gap" | "silent", "ms": N }].
//   fix     GGA + GSA + RMC (+ a garbled datagram every epoch: a bad checksum, a truncated line, an unknown sentence)
//   nofix   the receiver lost its fix: GGA quality 0, GSA mode 1, RMC status V (times still flow)
//   gap     only satellites-in-view and garbled sentences: the link is up, positions are missing
//   silent  nothing at all
// Prints {"event":"phase","kind","atMs"} as each phase starts, {"event":"done","garbled":N} with the garbled sentences
// sent (bad checksum + truncated), then exits.
import { Buffer } from 'node:buffer';
import { createSocket } from 'node:dgram';
import process from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';

const port = Number(process.argv[2]);
const phases = JSON.parse(process.argv[3] ?? '[]');
const socket = createSocket('udp4');
const send = (text) => new Promise((resolve) => socket.send(Buffer.from(text, 'latin1'), port, '127.0.0.1', () => resolve()));
const print = (obj) => process.stdout.write(`${JSON.stringify(obj)}\n`);

function checksum(body) {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}
const sentence = (body) => `$${body}*${checksum(body)}\r\n`;

function dm(v, degDigits) {
  const a = Math.abs(v);
  const d = Math.floor(a);
  return `${String(d).padStart(degDigits, '0')}${((a - d) * 60).toFixed(5).padStart(8, '0')}`;
}

const startMs = Date.now();
function epoch(timeMs, fix) {
  const d = new Date(timeMs);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  const t = `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}.${pad(Math.floor(d.getUTCMilliseconds() / 10))}`;
  const date = `${pad(d.getUTCDate())}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCFullYear() % 100)}`;
  // 5 m/s north from a field near Canberra.
  const latDeg = -35.3621474 + (((timeMs - startMs) / 1000) * 5) / 111_132;
  const lat = `${dm(latDeg, 2)},S`;
  const lon = `${dm(149.1651746, 3)},E`;
  if (!fix) {
    return sentence(`GPGGA,${t},,,,,0,03,,,M,,M,,`) + sentence('GPGSA,A,1,,,,,,,,,,,,,,,') + sentence(`GPRMC,${t},V,,,,,,,${date},,,N`);
  }
  return (
    sentence(`GPGGA,${t},${lat},${lon},1,12,0.8,684.0,M,19.6,M,,`) +
    sentence('GPGSA,A,3,01,02,03,04,05,06,07,08,09,10,11,12,1.4,0.8,1.1') +
    sentence(`GPRMC,${t},A,${lat},${lon},9.72,0.0,${date},,,A`)
  );
}

const GSV = sentence('GPGSV,1,1,04,01,40,083,46,02,17,308,41,03,07,344,39,04,22,228,45');
let garbled = 0;
function garbage(timeMs) {
  garbled += 2;
  const good = epoch(timeMs, true).split('\r\n')[0];
  // A flipped character (the checksum no longer matches), a line cut by noise, and a sentence nobody decodes.
  return `${good.replace('GPGGA', 'GPGGB')}\r\n$GPRMC,0915\r\n${sentence('QZXYZ,1,2,3')}`;
}

for (const phase of phases) {
  const phaseStart = Date.now();
  print({ event: 'phase', kind: phase.kind, atMs: phaseStart });
  while (Date.now() - phaseStart < phase.ms) {
    const now = Date.now();
    if (phase.kind === 'fix') {
      await send(epoch(now, true));
      await send(garbage(now));
    } else if (phase.kind === 'nofix') {
      await send(epoch(now, false));
    } else if (phase.kind === 'gap') {
      await send(GSV);
      await send(garbage(now));
    }
    await sleep(Math.max(0, 200 - (Date.now() - now)));
  }
}
print({ event: 'done', garbled });
socket.close();
