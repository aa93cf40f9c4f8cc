// A hand-drawn canvas chart: cumulative results per top-1 class over capture time, one line per class
// (the most frequent few; the rest summed as "other"). Labels are drawn as canvas text, never as markup.
import { classColour } from './class-colours.js';

const SHOWN_CLASSES = 6;

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

  const points = results
    .map((r) => ({ t: Date.parse(r.capturedAt), index: r.top[0].index, label: r.top[0].label }))
    .filter((p) => Number.isFinite(p.t))
    .sort((a, b) => a.t - b.t);
  if (points.length === 0) {
    g.fillText('no results yet', 8, height / 2);
    return;
  }
  const totals = new Map();
  for (const p of points) totals.set(p.index, { label: p.label, count: (totals.get(p.index)?.count ?? 0) + 1 });
  const shown = [...totals.entries()].sort((a, b) => b[1].count - a[1].count || a[0] - b[0]).slice(0, SHOWN_CLASSES).map(([index]) => index);
  const series = new Map(shown.map((index) => [index, [{ t: points[0].t, n: 0 }]]));
  const other = [{ t: points[0].t, n: 0 }];
  for (const p of points) {
    const line = series.get(p.index) ?? other;
    line.push({ t: p.t, n: line[line.length - 1].n + 1 });
  }
  const t0 = points[0].t;
  const t1 = Math.max(points[points.length - 1].t, t0 + 1000);
  const maxN = Math.max(1, ...[...series.values(), other].map((l) => l[l.length - 1].n));
  const left = 30;
  const right = width - 110;
  const top = 8;
  const bottom = height - 18;
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
  g.fillText(`${Math.round((t1 - t0) / 1000)} s`, right - 24, height - 4);
  g.fillText(new Date(t0).toISOString().slice(11, 19), left, height - 4);

  const lines = [...shown.map((index) => ({ colour: classColour(index), label: totals.get(index).label, line: series.get(index) })), ...(other.length > 1 ? [{ colour: '#888', label: 'other', line: other }] : [])];
  lines.forEach(({ colour, label, line }, i) => {
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
    g.fillStyle = colour;
    g.fillRect(right + 8, top + i * 14, 8, 8);
    g.fillStyle = '#333';
    const text = `${label.length > 14 ? `${label.slice(0, 13)}…` : label} ${line[line.length - 1].n}`;
    g.fillText(text, right + 20, top + 8 + i * 14);
  });
}
