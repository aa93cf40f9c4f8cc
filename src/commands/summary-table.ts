// Renders the end-of-run summary as a small plain-text table for the operator's terminal.
import type { PipelineSummary } from '../pipeline/metrics.js';

function row(label: string, value: string): string {
  return `| ${label.padEnd(22)} | ${value.padEnd(44)} |`;
}

export function renderSummaryTable(s: PipelineSummary, extra: Record<string, string> = {}): string {
  const line = `+${'-'.repeat(24)}+${'-'.repeat(46)}+`;
  const failed =
    Object.entries(s.failedByStage)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '0';
  const dropped =
    Object.entries(s.dropped)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '0';
  const sinkFails =
    Object.entries(s.sinkFailures)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || '0';
  const top =
    s.top1Counts
      .slice(0, 3)
      .map((c) => `${c.label.slice(0, 18)} x${c.count}`)
      .join(', ') || '-';
  const rows = [
    row('frames', String(s.frames)),
    row('results', String(s.results)),
    row('frames failed', failed),
    row('frames dropped', dropped),
    row('sink failures', sinkFails),
    row('geotagged', `${s.positioned} of ${s.results}`),
    row('throughput', `${s.fps.toFixed(1)} frames/s over ${(s.durationMs / 1000).toFixed(1)} s`),
    row('latency p50 / p99', `${s.latencyMs.p50.toFixed(1)} / ${s.latencyMs.p99.toFixed(1)} ms`),
    row(
      'mean stage times',
      `decode ${s.meanStageMs.decode.toFixed(1)}, pre ${s.meanStageMs.preprocess.toFixed(1)}, infer ${s.meanStageMs.inference.toFixed(1)} ms`,
    ),
    row('top-1 (most frequent)', top.slice(0, 44)),
    ...Object.entries(extra).map(([k, v]) => row(k, v.slice(0, 44))),
  ];
  return [line, ...rows, line].join('\n');
}
