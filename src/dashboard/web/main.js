// The page's entry: one EventSource on /events (a snapshot first, then changes), the page's model of every
// drone, redraws batched to one per animation frame, and the switch between the live map and a stored flight.
import { MapView } from './map-view.js';
import { DronePanels } from './drone-panels.js';
import { mountTryPhoto } from './try-photo.js';
import { renderDiagnostics } from './diagnostics-panel.js';
import { PastFlights, flightDate } from './past-flights.js';

/** droneId -> { view: DroneView, results: Map<seq, ResultView>, thumbs: Set<seq> } */
const drones = new Map();
let mapView = null;
const panels = new DronePanels(document.getElementById('fe-drones'), document.getElementById('fe-no-drones'));
const dirtyPanels = new Set();
const dirtyCharts = new Set();
let legendDirty = false;
let frameRequested = false;
let pastFlights = null;
/**
 * While a stored flight is shown: { droneId, flightId, model } with the model shaped like a live drone's. The map,
 * legend and stored chart show it; live messages keep arriving into `drones` and the drone panels meanwhile.
 */
let stored = null;
let liveWhileStored = 0;

/** The drone model the map draws: the stored flight's while one is shown, else the live drone's. */
const lookup = (id) => (stored ? (id === stored.droneId ? stored.model : undefined) : drones.get(id));
/** The map while it shows live data; null while it shows a stored flight, so live results leave it alone. */
const liveMap = () => (stored ? null : mapView);

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
    if (legendDirty) {
      if (stored) mapView?.renderLegend([stored.model], `top-1 class · stored flight ${stored.flightId}`);
      else mapView?.renderLegend([...drones.values()].filter((d) => d.view));
    }
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

/** The try-a-photo panel, rebuilt only when its model changes: another setting (the field) must not wipe a result shown. */
let tryPhotoModel;
function mountTry(settings) {
  const model = settings.tryPhoto?.sha256 ?? null;
  if (model === tryPhotoModel) return;
  tryPhotoModel = model;
  mountTryPhoto(document.getElementById('fe-try-body'), settings);
}

function onSnapshot(snapshot) {
  if (!mapView) {
    mapView = new MapView(document.getElementById('fe-map'), snapshot.settings, lookup);
    mountTry(snapshot.settings);
    if (snapshot.settings.store !== null) {
      pastFlights = new PastFlights(document.getElementById('fe-past'), snapshot.settings.maxResultsPerDrone, showStored);
      void pastFlights.refresh();
    }
  }
  drones.clear();
  liveMap()?.clear();
  panels.clear();
  for (const { drone, results, thumbs } of snapshot.drones) {
    const model = droneModel(drone.droneId);
    model.view = drone;
    for (const r of results) {
      model.results.set(r.seq, r);
      liveMap()?.addResult(drone.droneId, r);
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
    liveMap()?.clear(e.droneId);
    touch(e.droneId, { chart: true });
    // A new flight is on its way into the store: list it.
    void pastFlights?.refresh();
  },
  result: (e) => {
    droneModel(e.droneId).results.set(e.result.seq, e.result);
    liveMap()?.addResult(e.droneId, e.result);
    touch(e.droneId, { chart: true });
    if (stored) {
      liveWhileStored += 1;
      renderBanner();
    }
  },
  evicted: (e) => {
    const drone = droneModel(e.droneId);
    for (const seq of e.seqs) {
      drone.results.delete(seq);
      drone.thumbs.delete(seq);
    }
    liveMap()?.removeResults(e.droneId, e.seqs);
    touch(e.droneId, { chart: true });
  },
  thumb: (e) => {
    const drone = droneModel(e.droneId);
    if (drone.view?.flightId === e.flightId) drone.thumbs.add(e.seq);
  },
  diagnostics: (e) => renderDiagnostics(e.diagnostics),
  broker: (e) => setBroker(e.broker),
  settings: (e) => {
    mountTry(e.settings);
    mapView?.setField(e.settings.field);
  },
};

const banner = document.getElementById('fe-stored-banner');

function renderBanner() {
  banner.hidden = stored === null;
  document.body.dataset.view = stored ? 'stored' : 'live';
  if (!stored) return;
  const { flight, total, shown } = stored;
  banner.dataset.drone = flight.droneId;
  banner.dataset.flight = flight.flightId;
  document.getElementById('fe-stored-text').textContent =
    `stored flight ${flight.flightId} of ${flight.droneId} · ${flightDate(flight)} · ${total} results${shown < total ? ` (the first ${shown} on the map)` : ''}`;
  document.getElementById('fe-stored-live').textContent =
    liveWhileStored > 0 ? ` · ${liveWhileStored} live result${liveWhileStored === 1 ? '' : 's'} arrived meanwhile` : '';
}

/** Draws a stored flight (from the Past flights panel) in place of the live map. */
function showStored({ flight, total, counts, results }) {
  const model = {
    view: { droneId: flight.droneId, flightId: flight.flightId, counts },
    results: new Map(results.map((r) => [r.seq, r])),
    thumbs: new Set(),
    // Read from the ground store: the class map of this flight comes from there too.
    stored: true,
  };
  if (!stored) liveWhileStored = 0;
  stored = { droneId: flight.droneId, flightId: flight.flightId, flight, total, shown: results.length, model };
  mapView.clear();
  for (const r of results) mapView.addResult(flight.droneId, r);
  renderBanner();
  legendDirty = true;
  schedule();
}

/** Redraws the live map from what kept arriving meanwhile. */
function backToLive() {
  stored = null;
  pastFlights?.deselect();
  renderBanner();
  mapView.clear();
  for (const [id, drone] of drones) for (const r of drone.results.values()) mapView.addResult(id, r);
  legendDirty = true;
  schedule();
}

document.getElementById('fe-back-live').addEventListener('click', backToLive);

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
