// One panel per drone: online/offline (retained status and Last Will), flight and model, the latest health
// report (every field it has, known ones formatted) and the class-count chart.
import { h, replace, ago, utc } from './dom.js';
import { drawClassChart } from './class-chart.js';

/** Raspberry Pi firmware throttle bits (vcgencmd get_throttled): now (0-3) and since boot (16-19). */
const THROTTLE_BITS = [
  [0, 'under-voltage'],
  [1, 'frequency capped'],
  [2, 'throttled'],
  [3, 'soft temperature limit'],
];

function throttleText(bits) {
  if (bits === null || bits === undefined) return 'n/a';
  if (bits === 0) return 'none (0x0)';
  const now = THROTTLE_BITS.filter(([b]) => bits & (1 << b)).map(([, name]) => name);
  const past = THROTTLE_BITS.filter(([b]) => bits & (1 << (b + 16))).map(([, name]) => name);
  return [now.length ? `now: ${now.join(', ')}` : null, past.length ? `since boot: ${past.join(', ')}` : null, `0x${bits.toString(16)}`].filter(Boolean).join('; ');
}

const num = (v, digits = 1, unit = '') => (typeof v === 'number' ? `${v.toFixed(digits)}${unit}` : 'n/a');

/** Fields shown by the formatted rows; every other field of a health report is listed as it is. */
const KNOWN_HEALTH = new Set(['schemaVersion', 'droneId', 'flightId', 'at', 'windowS', 'fps', 'latencyMs', 'frames', 'results', 'drops', 'outbox', 'link', 'cpuTempC', 'throttled', 'camera', 'thermal', 'position', 'clock', 'faults', 'linkDetail', 'broker', 'model']);

/** health.faults: the codes that counted something, and the newest fault's stage and message. */
function faultsText(faults) {
  const counted = Object.entries(faults.counts).filter(([, n]) => n > 0);
  if (counted.length === 0) return 'none';
  const last = faults.last ? ` · last: ${faults.last.code} at ${faults.last.stage}: ${faults.last.message}` : '';
  return `${counted.map(([code, n]) => `${code} ${n}`).join(', ')}${last}`;
}

const PRECISION_REASONS = { configured: 'as configured', 'only-variant': 'the only model given', measured: 'timed at this start', cached: 'timed on an earlier start' };

/** health.model: the precision running and why; the timings only when auto measured them (no "null" on screen). */
function modelText(m) {
  const timed = [m.fp32P50Ms != null ? `FP32 ${num(m.fp32P50Ms, 1)} ms` : null, m.int8P50Ms != null ? `int8 ${num(m.int8P50Ms, 1)} ms` : null].filter(Boolean);
  return `${m.precision}, ${PRECISION_REASONS[m.precisionReason] ?? m.precisionReason}${timed.length ? ` (median: ${timed.join(', ')})` : ''}`;
}

/** health.broker: what the broker is known to do with this drone's publishes. */
function brokerText(b) {
  const refusals = b.refusalsVisible ? 'refusals visible' : 'refusals invisible (MQTT 3.1.1)';
  return `MQTT ${b.protocolVersion === 5 ? '5' : '3.1.1'}, ${refusals}, publish check ${b.publishCheck}${b.publishCheckDetail ? `: ${b.publishCheckDetail}` : ''}`;
}

/** The end-of-flight coverage, in the words a crew decides on: how much, how many gaps, what to fly. */
function coverageText(c) {
  const share = c.coveredShare === null ? 'n/a' : `${(c.coveredShare * 100).toFixed(1)} %`;
  const against = c.boundary.kind === 'file' ? `of ${c.boundary.name}` : 'of the surveyed outline';
  const lines = c.lines.lines.length > 0 ? `; fly ${c.lines.lines.length} extra lines (${Math.round(c.lines.totalLengthM)} m)` : '';
  return `${share} ${against} (flight ${c.flightId}), ${c.gaps.count} gaps (${Math.round(c.gaps.areaM2)} m²)${lines}`;
}

const yesNo = (v) => (v === true ? 'yes' : v === false ? 'no' : 'unknown');

/** The position source's link (gpsd, NMEA, MAVLink), when the report has it. */
function telemetryText(p) {
  const parts = [
    `${p.type} over ${p.input}: ${p.link} (${p.linkDetail})`,
    `${num(p.samplesPerS, 1)} samples/s`,
    p.lastSampleAgeMs != null ? `last ${Math.round(p.lastSampleAgeMs)} ms ago` : 'no sample yet',
    p.fixType != null ? (p.fixType >= 2 ? `${p.fixType}D fix` : 'no fix') : null,
    p.satellites != null ? `${p.satellites} satellites` : null,
    p.hdop != null ? `HDOP ${num(p.hdop, 1)}` : null,
    `${p.linkLosses} link losses`,
    `${p.garbled} garbled`,
    p.droppedPackets != null ? `${p.droppedPackets} packets lost` : null,
  ];
  return parts.filter(Boolean).join(' · ');
}

function thermalText(t) {
  const g = t.governor;
  if (!g) return 'frame-rate cap not running';
  return `${g.capped ? `capped at ${num(g.fpsLimit, 1)} fps` : 'not capped'} · ${g.droppedFrames} frames dropped by the cap`;
}

function clockText(c) {
  const offset = c.systemMinusGpsMs != null ? ` · system − GPS ${Math.round(c.systemMinusGpsMs)} ms${c.gpsTimeFrom ? ` (${c.gpsTimeFrom})` : ''}` : '';
  return `${c.source} (reference ${c.reference}) · synchronised ${yesNo(c.synchronised)}${offset}`;
}

/** Nested values as "a.b: value" rows; strings stay text. */
function flatten(prefix, value, rows) {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, rows);
  } else {
    rows.push([prefix, Array.isArray(value) ? JSON.stringify(value) : String(value)]);
  }
  return rows;
}

function row(name, value, key) {
  return h('div', { class: 'fe-row', dataset: key ? { field: key } : {} }, h('span', { class: 'fe-row-name' }, name), h('span', { class: 'fe-row-value' }, value));
}

function healthRows(health) {
  if (!health) return [h('p', { class: 'fe-empty' }, 'no health report yet')];
  const o = health.outbox ?? {};
  const rows = [
    row('fps', num(health.fps, 1), 'fps'),
    row('latency p50 / p99', health.latencyMs ? `${num(health.latencyMs.p50, 0)} / ${num(health.latencyMs.p99, 0)} ms` : 'n/a', 'latency'),
    row('frames / results / drops', `${health.frames} / ${health.results} / ${health.drops}`, 'drops'),
    row(
      'outbox',
      `${o.depth ?? 'n/a'} waiting${o.oldestAgeMs != null ? ` (oldest ${Math.round(o.oldestAgeMs / 1000)} s)` : ''}${o.acknowledged != null ? ` · ${o.acknowledged} acknowledged` : ''} · ${o.dropped ?? 0} dropped · ${o.refused ?? 0} refused`,
      'outbox',
    ),
    row('link', `${health.link}${health.linkDetail ? ` (${health.linkDetail})` : ''}`, 'link'),
    row('CPU temperature', num(health.cpuTempC, 1, ' °C'), 'cpuTemp'),
    row('throttling', throttleText(health.throttled), 'throttled'),
  ];
  if (health.thermal) rows.push(row('thermal cap', thermalText(health.thermal), 'thermal'));
  if (health.position) rows.push(row('telemetry link', telemetryText(health.position), 'telemetry'));
  if (health.clock) rows.push(row('clock', clockText(health.clock), 'clock'));
  if (health.faults) rows.push(row('faults', faultsText(health.faults), 'faults'));
  if (health.broker) rows.push(row('broker', brokerText(health.broker), 'broker'));
  if (health.model) rows.push(row('model precision', modelText(health.model), 'precision'));
  if (health.camera) rows.push(row('camera', `${health.camera.state}${health.camera.present ? '' : ' (NOT PRESENT)'}, ${health.camera.restarts} restarts`, 'camera'));
  const extra = [];
  for (const [k, v] of Object.entries(health)) if (!KNOWN_HEALTH.has(k)) flatten(k, v, extra);
  for (const [k, v] of extra) rows.push(row(k, v, 'extra'));
  return rows;
}

export class DronePanels {
  constructor(container, emptyNote) {
    this.container = container;
    this.emptyNote = emptyNote;
    this.panels = new Map();
  }

  clear() {
    for (const panel of this.panels.values()) panel.root.remove();
    this.panels.clear();
    this.emptyNote.hidden = false;
  }

  panelFor(droneId) {
    let panel = this.panels.get(droneId);
    if (!panel) {
      const status = h('span', { class: 'fe-status fe-badge fe-badge-unknown' }, 'status unknown');
      const body = h('div', { class: 'fe-drone-body' });
      const chart = h('canvas', { class: 'fe-chart', width: 300, height: 140, 'aria-label': `class counts over time, ${droneId}` });
      const root = h('section', { class: 'fe-card fe-drone', dataset: { drone: droneId } }, h('h2', {}, h('span', { class: 'fe-drone-id' }, droneId), ' ', status), body, h('h3', {}, 'Class counts over time'), chart);
      this.container.append(root);
      panel = { root, status, body, chart };
      this.panels.set(droneId, panel);
      this.emptyNote.hidden = true;
    }
    return panel;
  }

  render(drone) {
    const v = drone.view;
    const panel = this.panelFor(v.droneId);
    const status = v.status ?? 'unknown';
    panel.status.className = `fe-status fe-badge fe-badge-${status}`;
    panel.status.textContent = v.status ? `${status} · ${ago(v.statusAt)}` : 'status unknown';
    panel.status.dataset.status = status;
    const f = v.flight;
    replace(
      panel.body,
      row('flight', v.flightId ?? 'none yet', 'flight'),
      v.ground ? row('landed', `on the ground since ${utc(v.ground.since)} (${v.ground.flightId})`, 'ground') : null,
      f ? row('model', `${f.model.name} (${f.model.precision}, ${f.model.classes} classes)`, 'model') : null,
      f ? row('started', utc(f.startedAt), 'started') : null,
      row('results', `${v.results}${v.evicted ? ` (${v.evicted} oldest off the map)` : ''}${v.duplicates ? `, ${v.duplicates} duplicates` : ''}${v.otherFlight ? `, ${v.otherFlight} of another flight ignored` : ''}`, 'results'),
      v.coverage ? row('coverage', coverageText(v.coverage), 'coverage') : null,
      row('last message', ago(v.lastMessageAt), 'last'),
      h('h3', {}, `Health${v.healthAt ? ` · ${ago(v.healthAt)}` : ''}`),
      healthRows(v.health),
    );
  }

  drawChart(drone) {
    drawClassChart(this.panelFor(drone.view.droneId).chart, [...drone.results.values()]);
  }
}
