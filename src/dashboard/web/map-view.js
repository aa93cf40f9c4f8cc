// The Leaflet map: no tile server by default (plain background, metric grid, scale bar), per drone a track,
// result markers coloured by top-1 class with popups, and switchable layers (points, class map, footprints, tracks,
// coverage gaps, the field picture when there is one), and the legend with counts.
import * as L from '/vendor/leaflet/leaflet-src.esm.js';
import { h, replace, bar, utc, percent } from './dom.js';
import { classColour } from './class-colours.js';
import { ClassMapLayer } from './class-map-layer.js';
import { CoverageLayer, FieldLayer } from './map-layers.js';

const FIX = { 0: 'fix unknown', 1: 'no fix', 2: '2D fix', 3: '3D fix' };

/** 1, 2, 5 x 10^n metres closest above `m`. */
function niceMetres(m) {
  const p = 10 ** Math.floor(Math.log10(m));
  return [1, 2, 5, 10].map((f) => f * p).find((v) => v >= m) ?? 10 * p;
}

/** A metric grid redrawn for the view, so distances read at a glance with no map underneath. */
class MetricGrid {
  constructor(map) {
    this.map = map;
    this.layer = L.layerGroup().addTo(map);
    map.on('moveend zoomend resize', () => this.draw());
    this.draw();
  }

  draw() {
    this.layer.clearLayers();
    const bounds = this.map.getBounds();
    const centre = this.map.getCenter();
    const size = this.map.getSize();
    if (size.x === 0) return;
    const metresPerPx = this.map.distance(this.map.containerPointToLatLng([0, size.y / 2]), this.map.containerPointToLatLng([size.x, size.y / 2])) / size.x;
    const stepM = niceMetres(Math.max(metresPerPx * 120, 1));
    const dLat = Math.min(stepM / 111_320, 30);
    const dLon = Math.min(stepM / (111_320 * Math.max(Math.cos((centre.lat * Math.PI) / 180), 0.01)), 60);
    const south = Math.max(bounds.getSouth(), -85);
    const north = Math.min(bounds.getNorth(), 85);
    const west = bounds.getWest();
    const east = bounds.getEast();
    const style = { color: '#7d8a7a', weight: 1, opacity: 0.35, interactive: false, className: 'fe-grid' };
    for (let lat = Math.ceil(south / dLat) * dLat, n = 0; lat <= north && n < 200; lat += dLat, n++) this.layer.addLayer(L.polyline([[lat, west], [lat, east]], style));
    for (let lon = Math.ceil(west / dLon) * dLon, n = 0; lon <= east && n < 200; lon += dLon, n++) this.layer.addLayer(L.polyline([[south, lon], [north, lon]], style));
    this.stepM = stepM;
    this.onStep?.(stepM);
  }
}

function tileLayerFor(tiles) {
  if (tiles.kind === 'template') return L.tileLayer(tiles.url, { maxZoom: 22, maxNativeZoom: 19 });
  // bounds (an MBTiles or PMTiles file's): no requests for tiles the file cannot have.
  if (tiles.kind === 'folder')
    return L.tileLayer(tiles.url, { minZoom: 0, maxZoom: 22, minNativeZoom: tiles.minZoom, maxNativeZoom: tiles.maxZoom, bounds: tiles.bounds });
  return null;
}

export class MapView {
  /** `lookup(droneId)` gives the page's model of a drone: { view, results: Map, thumbs: Set }. */
  constructor(container, settings, lookup) {
    this.lookup = lookup;
    this.layers = new Map();
    this.showFootprints = false;
    this.showTracks = true;
    this.showPoints = true;
    this.fitted = false;
    this.map = L.map(container, { zoomControl: true, attributionControl: false, preferCanvas: false, maxZoom: 22 }).setView([20, 0], 2);
    const tiles = tileLayerFor(settings.tiles);
    if (tiles) tiles.addTo(this.map);
    else container.classList.add('fe-no-tiles');
    // Until a flight is shown, the basemap's own area rather than the whole world.
    if (settings.tiles.bounds) this.map.fitBounds(settings.tiles.bounds, { maxZoom: settings.tiles.maxZoom, animate: false });
    this.grid = new MetricGrid(this.map);
    L.control.scale({ metric: true, imperial: false, maxWidth: 160 }).addTo(this.map);
    // The results above every other layer, whichever were switched on last: they are what the operator clicks.
    this.map.createPane('fe-points').style.zIndex = '450';
    this.field = new FieldLayer(this.map);
    this.classMap = new ClassMapLayer(this.map, (id) => {
      const drone = this.lookup(id);
      return drone?.stored ? drone.view.flightId : null;
    });
    this.coverage = new CoverageLayer(this.map);
    this.addControls();
    this.setField(settings.field);
  }

  /** The field picture (settings.field), shown under the results with a switch of its own; null leaves the map as is. */
  setField(field) {
    if (!field) return;
    this.field.set(field);
    const toggle = document.getElementById('fe-toggle-field');
    toggle.closest('label').hidden = false;
    toggle.title = field.title;
    if (!this.fitted) this.fit();
  }

  addControls() {
    const setters = {
      points: (on) => this.setPoints(on),
      classmap: (on) => this.classMap.setVisible(on),
      footprints: (on) => this.setFootprints(on),
      tracks: (on) => this.setTracks(on),
      coverage: (on) => this.coverage.setVisible(on),
      field: (on) => this.field.setVisible(on),
    };
    const fitView = () => this.fit();
    const Legend = L.Control.extend({
      onAdd() {
        const box = h('div', { class: 'fe-legend leaflet-bar', id: 'fe-legend' });
        L.DomEvent.disableClickPropagation(box);
        L.DomEvent.disableScrollPropagation(box);
        return box;
      },
    });
    this.legend = new Legend({ position: 'bottomright' }).addTo(this.map);
    const Toggles = L.Control.extend({
      onAdd() {
        const switches = [
          ['points', 'points', true],
          ['classmap', 'class map', false],
          ['footprints', 'footprints', false],
          ['tracks', 'tracks', true],
          ['coverage', 'coverage gaps', true],
          ['field', 'field truth', true],
        ].map(([name, text, on]) => {
          const input = h('input', { type: 'checkbox', id: `fe-toggle-${name}`, checked: on ? 'checked' : null });
          input.addEventListener('change', () => setters[name](input.checked));
          // The field's switch shows once the dashboard has a field picture (the demo).
          return h('label', { hidden: name === 'field' ? 'hidden' : null }, input, ` ${text}`);
        });
        const fit = h('button', { type: 'button', id: 'fe-fit', onclick: fitView }, 'fit to flights');
        const box = h('div', { class: 'fe-toggles leaflet-bar' }, switches, fit);
        L.DomEvent.disableClickPropagation(box);
        return box;
      },
    });
    new Toggles({ position: 'topright' }).addTo(this.map);
  }

  layersFor(droneId) {
    let layers = this.layers.get(droneId);
    if (!layers) {
      layers = {
        track: L.polyline([], { color: '#1d3557', weight: 2, opacity: 0.8, interactive: false, className: 'fe-track' }),
        markers: L.layerGroup(),
        footprints: L.layerGroup(),
        markerBySeq: new Map(),
        footprintBySeq: new Map(),
        trackDirty: false,
      };
      if (this.showPoints) layers.markers.addTo(this.map);
      if (this.showTracks) layers.track.addTo(this.map);
      if (this.showFootprints) layers.footprints.addTo(this.map);
      this.layers.set(droneId, layers);
    }
    return layers;
  }

  /** Drops everything drawn for a drone (a new flight) or for every drone (a fresh snapshot). */
  clear(droneId) {
    const ids = droneId === undefined ? [...this.layers.keys()] : [droneId];
    for (const id of ids) {
      const layers = this.layers.get(id);
      if (!layers) continue;
      layers.markers.remove();
      layers.footprints.remove();
      layers.track.remove();
      this.layers.delete(id);
    }
    this.classMap.clear(droneId);
    this.coverage.clear(droneId);
    if (droneId === undefined) this.fitted = false;
  }

  addResult(droneId, result) {
    const layers = this.layersFor(droneId);
    const where = result.target ?? result.position;
    if (where) {
      const best = result.top[0];
      const marker = L.circleMarker([where.latDeg, where.lonDeg], {
        radius: 6,
        color: '#1b1b1b',
        weight: 1,
        fillColor: classColour(best.index),
        fillOpacity: 0.9,
        pane: 'fe-points',
        className: 'fe-marker',
      });
      marker.bindPopup(() => this.popup(droneId, result.seq), { maxWidth: 320, minWidth: 220, className: 'fe-popup-wrap' });
      const previous = layers.markerBySeq.get(result.seq);
      if (previous) layers.markers.removeLayer(previous);
      layers.markers.addLayer(marker);
      layers.markerBySeq.set(result.seq, marker);
    }
    if (result.footprint) {
      const ring = result.footprint.coordinates[0].map(([lon, lat]) => [lat, lon]);
      const polygon = L.polygon(ring, { color: classColour(result.top[0].index), weight: 1, fillOpacity: 0.2, interactive: false, className: 'fe-footprint' });
      layers.footprints.addLayer(polygon);
      layers.footprintBySeq.set(result.seq, polygon);
    }
    layers.trackDirty = true;
    layers.classMapDirty = true;
  }

  removeResults(droneId, seqs) {
    const layers = this.layers.get(droneId);
    if (!layers) return;
    for (const seq of seqs) {
      const marker = layers.markerBySeq.get(seq);
      if (marker) layers.markers.removeLayer(marker);
      layers.markerBySeq.delete(seq);
      const polygon = layers.footprintBySeq.get(seq);
      if (polygon) layers.footprints.removeLayer(polygon);
      layers.footprintBySeq.delete(seq);
    }
    layers.trackDirty = true;
    layers.classMapDirty = true;
  }

  /** Called once per animation frame: tracks follow the positions in seq order; the first data fits the view. */
  refresh() {
    for (const [droneId, layers] of this.layers) {
      // The drone's retained coverage message, redrawn only when another one came.
      this.coverage.set(droneId, this.lookup(droneId)?.view?.coverage ?? null);
      if (layers.classMapDirty) this.classMap.invalidate(droneId);
      layers.classMapDirty = false;
      if (!layers.trackDirty) continue;
      layers.trackDirty = false;
      const drone = this.lookup(droneId);
      const points = [...(drone?.results.values() ?? [])]
        .filter((r) => r.position)
        .sort((a, b) => a.seq - b.seq)
        .map((r) => [r.position.latDeg, r.position.lonDeg]);
      layers.track.setLatLngs(points);
    }
    if (!this.fitted && this.fit()) this.fitted = true;
  }

  /** True when there was something to fit. */
  fit() {
    const bounds = L.latLngBounds([]);
    for (const layers of this.layers.values()) {
      for (const marker of layers.markerBySeq.values()) bounds.extend(marker.getLatLng());
      for (const p of layers.track.getLatLngs()) bounds.extend(p);
    }
    const field = this.field.bounds();
    if (field) bounds.extend(field);
    if (!bounds.isValid()) return false;
    this.map.fitBounds(bounds.pad(0.15), { maxZoom: 19, animate: false });
    return true;
  }

  setFootprints(on) {
    this.showFootprints = on;
    for (const layers of this.layers.values()) {
      if (on) layers.footprints.addTo(this.map);
      else layers.footprints.remove();
    }
  }

  setPoints(on) {
    this.showPoints = on;
    for (const layers of this.layers.values()) {
      if (on) layers.markers.addTo(this.map);
      else layers.markers.remove();
    }
  }

  setTracks(on) {
    this.showTracks = on;
    for (const layers of this.layers.values()) {
      if (on) layers.track.addTo(this.map);
      else layers.track.remove();
    }
  }

  /** Class counts of every drone's current flight (or of the stored flight shown), summed. */
  renderLegend(drones, title = 'top-1 class') {
    const totals = new Map();
    for (const drone of drones) {
      for (const c of drone.view.counts) {
        const t = totals.get(c.index) ?? { index: c.index, label: c.label, count: 0 };
        t.count += c.count;
        totals.set(c.index, t);
      }
    }
    const rows = [...totals.values()].sort((a, b) => b.count - a.count || a.index - b.index);
    const box = this.legend.getContainer();
    if (rows.length === 0) {
      replace(box, h('div', { class: 'fe-legend-empty' }, 'no results yet'));
      return;
    }
    replace(
      box,
      h('div', { class: 'fe-legend-title' }, title),
      rows.map((r) => {
        const swatch = h('span', { class: 'fe-swatch' });
        swatch.style.background = classColour(r.index);
        return h(
          'div',
          { class: 'fe-legend-row', dataset: { index: r.index } },
          swatch,
          h('span', { class: 'fe-legend-label' }, r.label),
          h('span', { class: 'fe-legend-count' }, String(r.count)),
        );
      }),
      this.field.title ? h('div', { class: 'fe-legend-note', id: 'fe-field-note' }, `under the results: ${this.field.title}, in the same colours`) : null,
    );
  }

  popup(droneId, seq) {
    const drone = this.lookup(droneId);
    const r = drone?.results.get(seq);
    if (!r) return h('div', { class: 'fe-popup' }, 'this result is no longer kept');
    const p = r.position;
    const quality = p
      ? [
          FIX[p.fixType] ?? 'fix n/a',
          p.hdop !== null ? `HDOP ${p.hdop.toFixed(1)}` : null,
          p.satellites !== null ? `${p.satellites} satellites` : null,
          // A stored result has no fix age: the ground store does not keep it.
          p.sampleAgeMs !== null ? `fix ${Math.round(p.sampleAgeMs)} ms from capture` : null,
          p.altAglM !== null ? `${p.altAglM.toFixed(1)} m above ground` : null,
          `from ${p.source}`,
        ]
          .filter(Boolean)
          .join(' · ')
      : `no position: ${r.positionReason ?? 'unknown'}`;
    const flightId = drone.view.flightId;
    const thumb =
      drone.thumbs.has(seq) && flightId
        ? h('img', {
            class: 'fe-thumb',
            alt: `preview of frame ${seq}`,
            src: `/thumbs/${encodeURIComponent(droneId)}/${encodeURIComponent(flightId)}/${seq}.jpg`,
          })
        : null;
    return h(
      'div',
      { class: 'fe-popup', dataset: { seq } },
      h('div', { class: 'fe-popup-title' }, `${droneId} · #${seq} · ${r.frame}`),
      h('div', { class: 'fe-popup-time' }, `${utc(r.capturedAt)} (${r.timeSource})`),
      h(
        'ol',
        { class: 'fe-top3' },
        r.top.map((t) =>
          h('li', { class: 'fe-top', dataset: { score: t.score, index: t.index } }, h('span', { class: 'fe-top-label' }, t.label), bar(t.score, classColour(t.index)), h('span', { class: 'fe-top-score' }, percent(t.score))),
        ),
      ),
      h('div', { class: 'fe-popup-quality' }, quality),
      r.footprintReason ? h('div', { class: 'fe-popup-note' }, `footprint: ${r.footprintReason}`) : null,
      thumb,
    );
  }
}
