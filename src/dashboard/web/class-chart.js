// A hand-drawn canvas chart: cumulative results per top-1 class over capture time, one line per class (the most
// frequent few; the rest summed as "other"). The time axis and the legend are page text under the canvas, so they
// wrap to the panel's width instead of being cut off at the canvas edge, and labels from MQTT stay text.
import { h, replace } from './dom.js';
import { classColour } from './class-colours.js';

const SHOWN_CLASSES = 6;

/** HH:MM:SS of an epoch ms, UTC: the axis says which clock. */
const hms = (ms) => new Date(ms).toISOString().slice(11, 19);

/** The caption and legend elements that follow the canvas, created on the first draw. */
function chartParts(canvas) {
  let axis = canvas.nextElementSibling;
  if (!axis?.classList.contains('fe-chart-axis')) {
    axis = h('p', { class: 'fe-chart-axis' });
    canvas.after(axis);
  }
  let legend = axis.nextElementSibling;
  if (!legend?.classList.contains('fe-chart-legend')) {
    legend = h('ul', { class: 'fe-chart-legend', 'aria-label': 'chart legend' });
    axis.after(legend);
  }
  return { axis, legend };
}

/** One step line per shown class and one for the rest, each ending at its class's count. */
function seriesOf(points) {
  const totals = new Map();
  for (const p of points) totals.set(p.index, { label: p.label, count: (totals.get(p.index)?.count ?? 0) + 1 });
  const shown = [...totals.entries()].sort((a, b) => b[1].count - a[1].count || a[0] - b[0]).slice(0, SHOWN_CLASSES).map(([index]) => index);
  const series = new Map(shown.map((index) => [index, [{ t: points[0].t, n: 0 }]]));
  const other = [{ t: points[0].t, n: 0 }];
  for (const p of points) {
    const line = series.get(p.index) ?? other;
    line.push({ t: p.t, n: line[line.length - 1].n + 1 });
  }
  return [
    ...shown.map((index) => ({ colour: classColour(index), label: totals.get(index).label, line: series.get(index) })),
    ...(other.length > 1 ? [{ colour: '#888', label: 'other', line: other }] : []),
  ];
}

function drawLines(g, lines, box, t0, t1) {
  const maxN = Math.max(1, ...lines.map(({ line }) => line[line.length - 1].n));
  const { left, right, top, bottom } = box;
  const x = (t) => left + ((t - t0) / (t1 - t0)) * (right - left);
  const y = (n) => bottom - (n / maxN) * (bottom - top);
  g.strokeStyle = '#999';
  g.lineWidth = 1;
  g.beginPath();
  g.moveTo(left, top);
  g.lineTo(left, bottom);
  g.lineTo(right, bottom);
  g.stroke();
  g.fillText(String(maxN), 4, top + 8);
  g.fillText('0', 18, bottom);
  for (const { colour, line } of lines) {
    g.strokeStyle = colour;
    g.lineWidth = 2;
    g.beginPath();
    line.forEach((p, j) => {
      // Steps: a count only changes when a result arrives.
      if (j === 0) g.moveTo(x(p.t), y(p.n));
      else {
        g.lineTo(x(p.t), y(line[j - 1].n));
        g.lineTo(x(p.t), y(p.n));
      }
    });
    g.lineTo(right, y(line[line.length - 1].n));
    g.stroke();
  }
}

export function drawClassChart(canvas, results) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 300;
  const height = canvas.clientHeight || 140;
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const g = canvas.getContext('2d');
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  g.font = '11px system-ui, sans-serif';
  g.fillStyle = '#555';
  const { axis, legend } = chartParts(canvas);

  const points = results
    .map((r) => ({ t: Date.parse(r.capturedAt), index: r.top[0].index, label: r.top[0].label }))
    .filter((p) => Number.isFinite(p.t))
    .sort((a, b) => a.t - b.t);
  if (points.length === 0) {
    g.fillText('no results yet', 8, height / 2);
    replace(axis, 'capture time (UTC)');
    replace(legend);
    return;
  }
  const t0 = points[0].t;
  const t1 = Math.max(points[points.length - 1].t, t0 + 1000);
  const lines = seriesOf(points);
  drawLines(g, lines, { left: 30, right: width - 8, top: 8, bottom: height - 6 }, t0, t1);

  // The clock is the results' capture time (as on the map's popups and the panel's "started"), in UTC.
  axis.dataset.start = hms(t0);
  axis.dataset.end = hms(t1);
  replace(axis, h('span', { class: 'fe-chart-clock' }, 'capture time (UTC)'), ` ${hms(t0)} → ${hms(t1)} · ${Math.round((t1 - t0) / 1000)} s`);
  replace(
    legend,
    lines.map(({ colour, label, line }) => {
      const swatch = h('span', { class: 'fe-chart-swatch' });
      swatch.style.background = colour;
      return h('li', { class: 'fe-chart-key' }, swatch, h('span', { class: 'fe-chart-label' }, label), h('span', { class: 'fe-chart-count' }, String(line[line.length - 1].n)));
    }),
  );
}
