// The "Past flights" panel (dashboard started with --store): the ground store's flights, newest first, from
// /api/flights; a click loads that flight's results page by page and hands them to the page to draw on the map.
import { h, replace, utc } from './dom.js';
import { drawClassChart } from './class-chart.js';

const TOP_CLASSES = 3;

/** 2013-06-04 13:40 UTC: the flight's start, or its first capture when no flight document was stored. */
export function flightDate(flight) {
  return utc(flight.startedAt ?? flight.firstCapturedAt).replace(/:\d\d(\.\d+)? UTC$/, ' UTC');
}

function topClasses(classes) {
  return Object.entries(classes)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, TOP_CLASSES)
    .map(([label, n]) => `${label} ${n}`)
    .join(' · ');
}

/** The body as JSON; a refusal becomes an Error with the server's own { error } message. */
async function getJson(url) {
  const res = await fetch(url, { headers: { accept: 'application/json' }, cache: 'no-store' });
  let body = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON (a proxy's error page): the status line says enough.
  }
  if (!res.ok) throw new Error(body?.error ?? `${res.status} ${res.statusText}`);
  return body;
}

export class PastFlights {
  /** `onOpen({ flight, total, counts, results })` draws a loaded flight; `maxResults` bounds what is loaded (dashboard.maxResultsPerDrone). */
  constructor(root, maxResults, onOpen) {
    this.root = root;
    this.maxResults = maxResults;
    this.onOpen = onOpen;
    this.list = root.querySelector('#fe-past-list');
    this.status = root.querySelector('#fe-past-status');
    this.chartBox = root.querySelector('#fe-stored-chart-box');
    this.chart = root.querySelector('#fe-stored-chart');
    root.querySelector('#fe-past-refresh').addEventListener('click', () => this.refresh());
    this.selected = null;
    /** Bumped by every click: a slow earlier load never replaces a later one. */
    this.ticket = 0;
    root.hidden = false;
  }

  setStatus(text, error = false) {
    this.status.textContent = text;
    this.status.className = error ? 'fe-error' : 'fe-past-status';
  }

  async refresh() {
    this.setStatus('loading…');
    try {
      this.render(await getJson('/api/flights'));
    } catch (error) {
      this.setStatus(`past flights: ${error.message}`, true);
    }
  }

  render({ flights, truncated, limit }) {
    const n = flights.length;
    this.setStatus(n === 0 ? 'no flight stored yet' : `${n} stored flight${n === 1 ? '' : 's'}${truncated ? ` (the newest ${limit})` : ''}, newest first`);
    replace(
      this.list,
      flights.map((f) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'fe-past-flight',
              dataset: { drone: f.droneId, flight: f.flightId, results: f.results },
              'aria-current': this.isSelected(f) ? 'true' : null,
              onclick: () => this.open(f),
            },
            h('span', { class: 'fe-past-title' }, `${f.droneId} · ${f.flightId}`),
            h('span', { class: 'fe-past-when' }, `${flightDate(f)} · ${f.results} results`),
            h('span', { class: 'fe-past-classes' }, topClasses(f.classes)),
          ),
        ),
      ),
    );
  }

  isSelected(f) {
    return this.selected !== null && this.selected.droneId === f.droneId && this.selected.flightId === f.flightId;
  }

  /** Every page up to maxResults, in seq order. */
  async load(flight, ticket) {
    const base = `/api/flights/${encodeURIComponent(flight.droneId)}/${encodeURIComponent(flight.flightId)}`;
    let page = await getJson(base);
    const { total, counts } = page;
    const results = [...page.results];
    const pageSize = results.length;
    while (page.nextAfter !== null && results.length < this.maxResults && ticket === this.ticket) {
      page = await getJson(`${base}?after=${page.nextAfter}&limit=${Math.min(pageSize, this.maxResults - results.length)}`);
      results.push(...page.results);
    }
    return { flight, total, counts, results };
  }

  async open(flight) {
    const ticket = ++this.ticket;
    this.setStatus(`loading ${flight.flightId}…`);
    try {
      const loaded = await this.load(flight, ticket);
      if (ticket !== this.ticket) return;
      this.selected = flight;
      for (const button of this.list.querySelectorAll('.fe-past-flight')) {
        if (button.dataset.drone === flight.droneId && button.dataset.flight === flight.flightId) button.setAttribute('aria-current', 'true');
        else button.removeAttribute('aria-current');
      }
      this.setStatus('');
      // Shown before drawing: the chart sizes itself from its laid-out width.
      this.chartBox.hidden = false;
      drawClassChart(this.chart, loaded.results);
      this.onOpen(loaded);
    } catch (error) {
      if (ticket === this.ticket) this.setStatus(`${flight.flightId}: ${error.message}`, true);
    }
  }

  /** Back to live: nothing selected, no stored chart. */
  deselect() {
    this.ticket += 1;
    this.selected = null;
    this.chartBox.hidden = true;
    for (const button of this.list.querySelectorAll('.fe-past-flight')) button.removeAttribute('aria-current');
    this.setStatus('');
  }
}
