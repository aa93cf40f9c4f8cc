// The page's entry: one EventSource on /events (a snapshot first, then changes), the page's model of every
// drone, and redraws batched to one per animation frame.
import { MapView } from './map-view.js';
import { DronePanels } from './drone-panels.js';
import { mountTryPhoto } from './try-photo.js';
import { renderDiagnostics } from './diagnostics-panel.js';

/** droneId -> { view: DroneView, results: Map<seq, ResultView>, thumbs: Set<seq> } */
const drones = new Map();
let mapView = null;
const panels = new DronePanels(document.getElementById('fe-drones'), document.getElementById('fe-no-drones'));
const dirtyPanels = new Set();
const dirtyCharts = new Set();
let legendDirty = false;
let frameRequested = false;

function droneModel(droneId) {
  let drone = drones.get(droneId);
  if (!drone) {
    drone = { view: null, results: new Map(), thumbs: new Set() };
    drones.set(droneId, drone);
  }
  return drone;
}

function schedule() {
  if (frameRequested) return;
  frameRequested = true;
  requestAnimationFrame(() => {
    frameRequested = false;
    for (const id of dirtyPanels) {
      const drone = drones.get(id);
      if (drone?.view) panels.render(drone);
    }
    for (const id of dirtyCharts) {
      const drone = drones.get(id);
      if (drone?.view) panels.drawChart(drone);
    }
    dirtyPanels.clear();
    dirtyCharts.clear();
    if (legendDirty) mapView?.renderLegend([...drones.values()].filter((d) => d.view));
    legendDirty = false;
    mapView?.refresh();
  });
}

function touch(droneId, { chart = false } = {}) {
  dirtyPanels.add(droneId);
  if (chart) dirtyCharts.add(droneId);
  legendDirty = true;
  schedule();
}

function setBroker(broker) {
  const el = document.getElementById('fe-broker');
  el.className = `fe-badge fe-badge-${broker.state === 'up' ? 'online' : broker.state === 'down' ? 'offline' : 'unknown'}`;
  el.dataset.state = broker.state;
  el.textContent = `broker ${broker.url} ${broker.state}${broker.detail && broker.state !== 'up' ? ` (${broker.detail})` : ''} · ${broker.filter}`;
}

function onSnapshot(snapshot) {
  if (!mapView) {
    mapView = new MapView(document.getElementById('fe-map'), snapshot.settings, (id) => drones.get(id));
    mountTryPhoto(document.getElementById('fe-try-body'), snapshot.settings);
  }
  drones.clear();
  mapView.clear();
  panels.clear();
  for (const { drone, results, thumbs } of snapshot.drones) {
    const model = droneModel(drone.droneId);
    model.view = drone;
    for (const r of results) {
      model.results.set(r.seq, r);
      mapView.addResult(drone.droneId, r);
    }
    for (const seq of thumbs) model.thumbs.add(seq);
    touch(drone.droneId, { chart: true });
  }
  setBroker(snapshot.broker);
  renderDiagnostics(snapshot.diagnostics);
  legendDirty = true;
  schedule();
}

const handlers = {
  snapshot: onSnapshot,
  drone: (e) => {
    droneModel(e.drone.droneId).view = e.drone;
    touch(e.drone.droneId);
  },
  'flight-reset': (e) => {
    const drone = droneModel(e.droneId);
    drone.results.clear();
    drone.thumbs.clear();
    mapView?.clear(e.droneId);
    touch(e.droneId, { chart: true });
  },
  result: (e) => {
    droneModel(e.droneId).results.set(e.result.seq, e.result);
    mapView?.addResult(e.droneId, e.result);
    touch(e.droneId, { chart: true });
  },
  evicted: (e) => {
    const drone = droneModel(e.droneId);
    for (const seq of e.seqs) {
      drone.results.delete(seq);
      drone.thumbs.delete(seq);
    }
    mapView?.removeResults(e.droneId, e.seqs);
    touch(e.droneId, { chart: true });
  },
  thumb: (e) => {
    const drone = droneModel(e.droneId);
    if (drone.view?.flightId === e.flightId) drone.thumbs.add(e.seq);
  },
  diagnostics: (e) => renderDiagnostics(e.diagnostics),
  broker: (e) => setBroker(e.broker),
};

const streamBadge = document.getElementById('fe-stream');
const source = new EventSource('/events');
source.addEventListener('open', () => {
  streamBadge.className = 'fe-badge fe-badge-online';
  streamBadge.textContent = 'live';
  streamBadge.dataset.state = 'live';
});
source.addEventListener('error', () => {
  streamBadge.className = 'fe-badge fe-badge-offline';
  streamBadge.textContent = 'dashboard connection lost, retrying…';
  streamBadge.dataset.state = 'lost';
});
for (const [name, handler] of Object.entries(handlers)) {
  source.addEventListener(name, (message) => {
    try {
      handler(JSON.parse(message.data));
    } catch (error) {
      // One bad event must not stop the stream; the next snapshot repairs the page.
      console.error(`dashboard: ${name} event not shown:`, error);
    }
  });
}

// "12 s ago" texts age even when nothing arrives.
setInterval(() => {
  for (const id of drones.keys()) dirtyPanels.add(id);
  schedule();
}, 5000);
