// The class-map layer: per drone, the flight's footprints binned into square cells by the dashboard
// (GET /api/class-map, the ground station's exact area-weighted clipping), each cell in its majority class's colour,
// more opaque the larger that class's share, with the class and share in a tooltip.
import * as L from '/vendor/leaflet/leaflet-src.esm.js';
import { h, percent } from './dom.js';
import { classColour } from './class-colours.js';

/** The cell size asked for, metres: a few cells across a footprint at survey heights. */
const CELL_M = 10;
/** At most one request per drone this often while results keep arriving (a survey sends a few a second). */
const MIN_INTERVAL_MS = 1500;

/** A cell's fill opacity from its majority class's share of the imaged area. */
export function cellOpacity(share) {
  return 0.1 + 0.6 * share;
}

/** Labels come from MQTT: the tooltip is built as elements with text, never as markup. */
function cellTooltip(cell, cellM) {
  const others = cell.shares
    .filter(([label]) => label !== cell.label)
    .sort((a, b) => b[1] - a[1])
    .map(([label, share]) => `${label} ${percent(share)}`);
  return [
    `${cell.label}: ${percent(cell.share)} of the imaged area`,
    `${cellM} m cell · ${cell.footprints} footprint${cell.footprints === 1 ? '' : 's'}`,
    others.length > 0 ? `also ${others.join(', ')}` : null,
  ]
    .filter(Boolean)
    .map((line) => h('div', {}, line));
}

export class ClassMapLayer {
  /** `storedFlightOf(droneId)`: the flight id when the map shows a stored flight of that drone, else null (live). */
  constructor(map, storedFlightOf) {
    this.map = map;
    this.storedFlightOf = storedFlightOf;
    this.visible = false;
    // Its own pane above the field picture (350) and below tracks and footprints (overlayPane, 400), whatever order
    // the layers are switched on in.
    map.createPane('fe-classmap').style.zIndex = '380';
    /** droneId -> { group, cells (row:col -> polygon), revision (of the live map drawn), dirty, busy, lastAt, timer } */
    this.drones = new Map();
  }

  entry(droneId) {
    let e = this.drones.get(droneId);
    if (!e) {
      e = { group: L.layerGroup(), cells: new Map(), revision: null, dirty: true, busy: false, lastAt: 0, timer: null };
      if (this.visible) e.group.addTo(this.map);
      this.drones.set(droneId, e);
    }
    return e;
  }

  /** The drone's results changed: its cells are fetched again (when shown). */
  invalidate(droneId) {
    const e = this.entry(droneId);
    e.dirty = true;
    this.update(droneId);
  }

  clear(droneId) {
    const ids = droneId === undefined ? [...this.drones.keys()] : [droneId];
    for (const id of ids) {
      const e = this.drones.get(id);
      if (!e) continue;
      clearTimeout(e.timer);
      e.group.remove();
      this.drones.delete(id);
    }
  }

  setVisible(on) {
    this.visible = on;
    for (const [id, e] of this.drones) {
      if (on) {
        e.group.addTo(this.map);
        this.update(id);
      } else e.group.remove();
    }
  }

  update(droneId) {
    const e = this.drones.get(droneId);
    if (!e || !this.visible || !e.dirty || e.busy) return;
    const wait = e.lastAt + MIN_INTERVAL_MS - Date.now();
    if (wait > 0) {
      if (e.timer === null) {
        e.timer = setTimeout(() => {
          e.timer = null;
          this.update(droneId);
        }, wait);
      }
      return;
    }
    void this.fetchCells(droneId, e);
  }

  async fetchCells(droneId, e) {
    e.busy = true;
    e.dirty = false;
    e.lastAt = Date.now();
    const stored = this.storedFlightOf(droneId);
    // A live map drawn before asks only for the cells changed since (a long flight's full map is megabytes).
    const since = !stored && e.revision !== null ? { since: e.revision } : {};
    const query = new window.URLSearchParams({ drone: droneId, cellM: String(CELL_M), ...(stored ? { flight: stored, from: 'store' } : since) });
    try {
      const res = await fetch(`/api/class-map?${query}`);
      // A drone whose flight is not kept (yet) has no class map: nothing to draw, no error for the operator.
      const view = res.ok ? await res.json() : null;
      if (this.drones.get(droneId) === e) this.draw(droneId, e, view, Boolean(stored));
    } catch (error) {
      console.warn(`class map of ${droneId} not fetched:`, error);
      e.dirty = true;
    } finally {
      e.busy = false;
    }
    if (e.dirty) this.update(droneId);
  }

  /** Every cell of a full answer; only the changed ones of a live map's changes (`full: false`). */
  draw(droneId, e, view, stored) {
    if (view?.full !== false) {
      e.group.clearLayers();
      e.cells.clear();
    }
    e.revision = stored ? null : (view?.revision ?? null);
    for (const cell of view?.cells ?? []) {
      const key = `${cell.row}:${cell.col}`;
      const old = e.cells.get(key);
      if (old) e.group.removeLayer(old);
      const colour = classColour(cell.index);
      const polygon = L.polygon(cell.ring, {
        // A light outline: the grid reads, and the field picture under it still shows at the cells' edges.
        color: '#ffffff',
        weight: 0.6,
        opacity: 0.7,
        fillColor: colour,
        // Opacity by share: a cell one class fills is nearly solid, a split one faint.
        fillOpacity: cellOpacity(cell.share),
        pane: 'fe-classmap',
        className: 'fe-classcell',
      });
      polygon.bindTooltip(() => h('div', { class: 'fe-classcell-text' }, cellTooltip(cell, view.cellM)), { sticky: true, className: 'fe-classcell-tip' });
      polygon.on('add', () => {
        const path = polygon.getElement();
        if (!path) return;
        path.dataset.drone = droneId;
        path.dataset.label = cell.label;
        path.dataset.index = String(cell.index);
        path.dataset.share = String(cell.share);
        path.dataset.row = String(cell.row);
        path.dataset.col = String(cell.col);
      });
      e.group.addLayer(polygon);
      e.cells.set(key, polygon);
    }
  }
}
