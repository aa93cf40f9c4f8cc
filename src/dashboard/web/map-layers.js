// Two of the map's switchable layers: the field picture the dashboard was given (the demo's simulated truth, in a
// pane under everything the flights draw) and each drone's end-of-flight coverage (gaps and suggested survey lines).
import * as L from '/vendor/leaflet/leaflet-src.esm.js';
import { h } from './dom.js';
import { pinClassColour } from './class-colours.js';

/** The picture under the results, or nothing; its classes take the picture's colours before any result is drawn. */
export class FieldLayer {
  constructor(map) {
    this.map = map;
    this.visible = true;
    this.overlay = null;
    this.url = null;
    this.title = null;
    // Above tiles (200), below the flights' vectors (overlayPane, 400).
    map.createPane('fe-field').style.zIndex = '350';
  }

  set(field) {
    if (!field) return;
    for (const c of field.classes) pinClassColour(c.index, c.colour);
    if (field.url === this.url) return;
    this.overlay?.remove();
    this.url = field.url;
    this.title = field.title;
    this.overlay = L.imageOverlay(field.url, field.bounds, {
      pane: 'fe-field',
      opacity: 0.6,
      interactive: false,
      className: 'fe-field-overlay',
      alt: field.title,
    });
    if (this.visible) this.overlay.addTo(this.map);
  }

  bounds() {
    return this.overlay?.getBounds() ?? null;
  }

  setVisible(on) {
    this.visible = on;
    if (!this.overlay) return;
    if (on) this.overlay.addTo(this.map);
    else this.overlay.remove();
  }
}

const ringLatLon = (ring) => ring.map(([lon, lat]) => [lat, lon]);

/** Per drone, the gaps of its retained coverage message and the extra survey lines that would close them. */
export class CoverageLayer {
  constructor(map) {
    this.map = map;
    this.visible = true;
    // Above the class map (380), below tracks, footprints (400) and the results (fe-points, 450).
    map.createPane('fe-coverage').style.zIndex = '390';
    /** droneId -> { coverage, group } */
    this.drones = new Map();
  }

  /** Redraws a drone's coverage when the message changed; null removes it. */
  set(droneId, coverage) {
    const drawn = this.drones.get(droneId);
    if (drawn?.coverage === coverage) return;
    drawn?.group.remove();
    this.drones.delete(droneId);
    if (!coverage) return;
    const group = L.layerGroup();
    const gaps = coverage.gaps.geometry.coordinates;
    gaps.forEach((polygon, i) => {
      const gap = L.polygon(polygon.map(ringLatLon), {
        color: '#b00020',
        weight: 1.5,
        fillColor: '#ff1744',
        fillOpacity: 0.3,
        pane: 'fe-coverage',
        className: 'fe-gap',
      });
      gap.bindTooltip(() => h('div', {}, `${droneId}: coverage gap ${i + 1} of ${coverage.gaps.count} (flight ${coverage.flightId})`), { sticky: true });
      group.addLayer(gap);
    });
    for (const line of coverage.lines.lines) {
      group.addLayer(
        L.polyline(
          line.coordinates.map(([lon, lat]) => [lat, lon]),
          { color: '#111', weight: 2, dashArray: '6 4', interactive: false, pane: 'fe-coverage', className: 'fe-survey-line' },
        ),
      );
    }
    if (this.visible) group.addTo(this.map);
    this.drones.set(droneId, { coverage, group });
  }

  clear(droneId) {
    for (const id of droneId === undefined ? [...this.drones.keys()] : [droneId]) this.set(id, null);
  }

  setVisible(on) {
    this.visible = on;
    for (const { group } of this.drones.values()) {
      if (on) group.addTo(this.map);
      else group.remove();
    }
  }
}
