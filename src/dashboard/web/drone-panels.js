// One panel per drone: online/offline (retained status and Last Will), flight and model, the latest health report
// (last known, and marked so, once the drone is offline) and the class-count chart, all times in one named clock.
import { h, replace, ago, utc } from './dom.js';
import { drawClassChart } from './class-chart.js';
import { healthRows, row } from './health-rows.js';

/** Beyond this the run's start and its first frame are on different clocks (a replay, a recording), not just apart. */
const CLOCKS_APART_MS = 60_000;

/**
 * When the flight started, in capture time: the clock of the chart's axis and the map's popups. A replay's run
 * started on another clock (the wall clock, today) than its frames were taken by: that row is its own, and says so.
 */
function startedRows(v) {
  const f = v.flight;
  if (v.capture) {
    const apart = f && Math.abs(Date.parse(f.startedAt) - Date.parse(v.capture.firstAt)) > CLOCKS_APART_MS;
    return [row('started · capture time', utc(v.capture.firstAt), 'started'), apart ? row('run started · wall clock', utc(f.startedAt), 'run') : null];
  }
  return f ? [row('started · wall clock', utc(f.startedAt), 'started')] : [];
}

/** The health report, and whether it is only the last thing known: the drone is offline, or it is of another flight. */
function healthSection(v) {
  if (!v.health) return [h('h3', {}, 'Health'), h('p', { class: 'fe-empty' }, 'no health report yet')];
  const offline = v.status === 'offline';
  const otherFlight = v.flightId !== null && v.health.flightId !== v.flightId && v.health.flightId !== v.ground?.flightId;
  const stale = offline || otherFlight;
  const why = offline ? 'the drone is offline: last known values' : otherFlight ? `last known values, of flight ${v.health.flightId}` : null;
  const title = `Health · report received ${ago(v.healthAt)}${why ? ` · ${why}` : ''}`;
  return [
    h('h3', { class: 'fe-health-title' }, title),
    h('div', { class: `fe-health${stale ? ' fe-stale' : ''}`, dataset: { stale: String(stale) } }, healthRows(v.health, { stale, offline })),
  ];
}

/** The end-of-flight coverage, in the words a crew decides on: how much, how many gaps, what to fly. */
function coverageText(c) {
  const share = c.coveredShare === null ? 'share not measured' : `${(c.coveredShare * 100).toFixed(1)} %`;
  const against = c.boundary.kind === 'file' ? `of ${c.boundary.name}` : 'of the surveyed outline';
  const lines = c.lines.lines.length > 0 ? `; fly ${c.lines.lines.length} extra lines (${Math.round(c.lines.totalLengthM)} m)` : '';
  return `${share} ${against} (flight ${c.flightId}), ${c.gaps.count} gaps (${Math.round(c.gaps.areaM2)} m²)${lines}`;
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
      const title = h('h2', {}, h('span', { class: 'fe-drone-id' }, droneId), ' ', status);
      const figure = h('figure', { class: 'fe-chart-box' }, chart);
      const root = h('section', { class: 'fe-card fe-drone', dataset: { drone: droneId } }, title, body, h('h3', {}, 'Class counts over time'), figure);
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
      startedRows(v),
      row('results', `${v.results}${v.evicted ? ` (${v.evicted} oldest off the map)` : ''}${v.duplicates ? `, ${v.duplicates} duplicates` : ''}${v.otherFlight ? `, ${v.otherFlight} of another flight ignored` : ''}`, 'results'),
      v.coverage ? row('coverage', coverageText(v.coverage), 'coverage') : null,
      row('last message', ago(v.lastMessageAt), 'last'),
      healthSection(v),
    );
  }

  drawChart(drone) {
    drawClassChart(this.panelFor(drone.view.droneId).chart, [...drone.results.values()]);
  }
}
