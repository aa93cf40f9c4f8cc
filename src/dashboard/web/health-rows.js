// The health report as labelled rows with units: what does not apply to this drone (no sensor, no live camera, no
// telemetry, nothing timed) is left out rather than shown as "null" or "n/a", and no field name reaches the screen.
import { h } from './dom.js';

/** Raspberry Pi firmware throttle bits (vcgencmd get_throttled): now (0-3) and since boot (16-19). */
const THROTTLE_BITS = [
  [0, 'under-voltage'],
  [1, 'frequency capped'],
  [2, 'throttled'],
  [3, 'soft temperature limit'],
];

function throttleText(bits) {
  if (bits === 0) return 'none (0x0)';
  const now = THROTTLE_BITS.filter(([b]) => bits & (1 << b)).map(([, name]) => name);
  const past = THROTTLE_BITS.filter(([b]) => bits & (1 << (b + 16))).map(([, name]) => name);
  return [now.length ? `now: ${now.join(', ')}` : null, past.length ? `since boot: ${past.join(', ')}` : null, `0x${bits.toString(16)}`].filter(Boolean).join('; ');
}

const num = (v, digits = 1, unit = '') => `${v.toFixed(digits)}${unit}`;
const seconds = (ms) => `${Math.round(ms / 1000)} s`;
const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** health.faults: the codes that counted something, and the newest fault's stage and message. */
function faultsText(faults) {
  const counted = Object.entries(faults.counts).filter(([, n]) => n > 0);
  if (counted.length === 0) return 'none';
  const last = faults.last ? ` · last: ${faults.last.code} at ${faults.last.stage}: ${faults.last.message}` : '';
  return `${counted.map(([code, n]) => `${code} ${n}`).join(', ')}${last}`;
}

const PRECISION_REASONS = { configured: 'as configured', 'only-variant': 'the only model given', measured: 'timed at this start', cached: 'timed on an earlier start' };

/** health.model: the precision running and why; the timings only when auto measured them. */
function modelText(m) {
  const timed = [m.fp32P50Ms != null ? `FP32 ${num(m.fp32P50Ms, 1, ' ms')}` : null, m.int8P50Ms != null ? `int8 ${num(m.int8P50Ms, 1, ' ms')}` : null].filter(Boolean);
  return `${m.precision}, ${PRECISION_REASONS[m.precisionReason] ?? m.precisionReason}${timed.length ? ` (median per frame: ${timed.join(', ')})` : ''}`;
}

/** health.broker: what the broker is known to do with this drone's publishes. */
function brokerText(b) {
  const refusals = b.refusalsVisible ? 'refusals visible' : 'refusals invisible (MQTT 3.1.1)';
  return `MQTT ${b.protocolVersion === 5 ? '5' : '3.1.1'}, ${refusals}, publish check ${b.publishCheck}${b.publishCheckDetail ? `: ${b.publishCheckDetail}` : ''}`;
}

/** The position source's link (gpsd, NMEA, MAVLink), when the report has it. */
function telemetryText(p) {
  const parts = [
    `${p.type} over ${p.input}: ${p.link} (${p.linkDetail})`,
    `${num(p.samplesPerS, 1)} samples/s`,
    p.lastSampleAgeMs != null ? `last ${Math.round(p.lastSampleAgeMs)} ms ago` : 'no sample yet',
    p.fixType != null ? (p.fixType >= 2 ? `${p.fixType}D fix` : 'no fix') : null,
    p.satellites != null ? plural(p.satellites, 'satellite') : null,
    p.hdop != null ? `HDOP ${num(p.hdop, 1)}` : null,
    plural(p.linkLosses, 'link loss', 'link losses'),
    `${p.garbled} garbled`,
    p.droppedPackets != null ? `${plural(p.droppedPackets, 'packet')} lost` : null,
  ];
  return parts.filter(Boolean).join(' · ');
}

function capText(g) {
  return `${g.capped ? `capped at ${num(g.fpsLimit ?? 0, 1)} frames/s` : 'not capped'} · ${plural(g.droppedFrames, 'frame')} dropped by the cap`;
}

const CLOCK_SOURCES = { system: "the drone's system clock", gps: 'GPS time', frame: "the frames' own times (recording, EXIF)" };
const yesNo = (v) => (v === true ? 'yes' : v === false ? 'no' : 'cannot tell');

function clockText(c) {
  const offset = c.systemMinusGpsMs != null ? ` · system − GPS ${Math.round(c.systemMinusGpsMs)} ms${c.gpsTimeFrom ? ` (${c.gpsTimeFrom})` : ''}` : '';
  return `stamped with ${CLOCK_SOURCES[c.source] ?? c.source} (reference: ${c.reference === 'gps' ? 'GPS' : 'system'}) · system clock synchronised: ${yesNo(c.synchronised)}${offset}`;
}

function outboxText(o) {
  const oldest = o.oldestAgeMs != null ? ` (oldest ${seconds(o.oldestAgeMs)})` : '';
  const acknowledged = o.acknowledged != null ? ` · ${o.acknowledged} acknowledged` : '';
  return `${o.depth} waiting${oldest}${acknowledged} · ${o.dropped} dropped · ${o.refused} refused`;
}

export function row(name, value, key) {
  return h('div', { class: 'fe-row', dataset: key ? { field: key } : {} }, h('span', { class: 'fe-row-name' }, name), h('span', { class: 'fe-row-value' }, value));
}

/** A row about the drone's state right now: marked when it is only the last thing known. */
function liveRow(stale, name, value, key) {
  const r = row(name, value, key);
  if (stale) {
    r.classList.add('fe-row-stale');
    r.dataset.stale = 'true';
  }
  return r;
}

/**
 * The rows of a health report. `offline`: the drone's status is offline, so the report describes the last moment
 * it was heard and the link is down whatever the report said then.
 */
export function healthRows(health, { stale = false, offline = false } = {}) {
  const live = (name, value, key) => liveRow(stale, name, value, key);
  // The last report of a run covers the moments since the one before: often under a second.
  const windowS = health.windowS < 10 ? health.windowS.toFixed(1) : String(Math.round(health.windowS));
  const link = offline
    ? `down: the drone is offline (at its last report: ${health.link}${health.linkDetail ? `, ${health.linkDetail}` : ''})`
    : `${health.link}${health.linkDetail ? ` (${health.linkDetail})` : ''}`;
  const rows = [
    live(`rate (results/s over ${windowS} s)`, num(health.fps, 1), 'fps'),
    live('latency p50 / p99', health.latencyMs ? `${num(health.latencyMs.p50, 0)} / ${num(health.latencyMs.p99, 0)} ms` : `no result in the last ${windowS} s`, 'latency'),
    row('this flight', `${plural(health.frames, 'frame')}, ${plural(health.results, 'result')}, ${health.drops} dropped`, 'drops'),
    live('outbox (results)', `${outboxText(health.outbox)}${stale ? ' · at the last report' : ''}`, 'outbox'),
    live('broker link', link, 'link'),
  ];
  // Absent sensors and sources are not part of this drone: no row rather than a row that says nothing.
  if (health.cpuTempC != null) rows.push(live('CPU temperature', num(health.cpuTempC, 1, ' °C'), 'cpuTemp'));
  if (health.throttled != null) rows.push(live('firmware throttling', throttleText(health.throttled), 'throttled'));
  if (health.thermal?.governor) rows.push(live('thermal frame-rate cap', capText(health.thermal.governor), 'thermal'));
  if (health.camera) rows.push(live('camera', `${health.camera.state}${health.camera.present ? '' : ' (NOT PRESENT)'}, ${plural(health.camera.restarts, 'restart')}`, 'camera'));
  if (health.position) rows.push(live('telemetry link', telemetryText(health.position), 'telemetry'));
  if (health.clock) rows.push(row('capture clock', clockText(health.clock), 'clock'));
  if (health.faults) rows.push(row('faults this flight', faultsText(health.faults), 'faults'));
  if (health.broker) rows.push(row('broker', brokerText(health.broker), 'broker'));
  if (health.model) rows.push(row('model precision', modelText(health.model), 'precision'));
  return rows;
}
