// The diagnostics panel: how many payloads were refused or ignored, and the newest ones as escaped text.
import { h, replace, utc } from './dom.js';

export function renderDiagnostics(diagnostics) {
  document.getElementById('fe-malformed-count').textContent = String(diagnostics.malformed);
  document.getElementById('fe-ignored-count').textContent = String(diagnostics.ignored);
  replace(
    document.getElementById('fe-diagnostics-list'),
    diagnostics.recent.map((d) =>
      h(
        'li',
        { class: `fe-diagnostic fe-diagnostic-${d.problem === 'ignored' ? 'ignored' : 'malformed'}` },
        h('div', {}, h('strong', {}, d.problem), ` · ${utc(d.at)} · `, h('code', {}, d.topic)),
        h('div', { class: 'fe-diagnostic-detail' }, d.detail),
        h('code', { class: 'fe-excerpt' }, `${d.excerpt}`),
        h('div', { class: 'fe-diagnostic-bytes' }, `${d.bytes} bytes`),
      ),
    ),
  );
}
