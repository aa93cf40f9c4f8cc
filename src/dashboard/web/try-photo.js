// "Try a photo": drop or choose an image; it is POSTed as the raw body (image/*) and classified in memory on the
// ground station with the drone's model and code; the top 3 come back with their confidence.
import { h, replace, bar, percent } from './dom.js';
import { classColour } from './class-colours.js';

export function mountTryPhoto(container, settings) {
  const info = settings.tryPhoto;
  if (!info) {
    replace(container, h('p', { class: 'fe-empty' }, 'Start the dashboard with --model FILE.onnx to classify a photo here with the drone\'s model.'));
    return;
  }
  const input = h('input', { type: 'file', id: 'fe-try-input', accept: 'image/*' });
  const preview = h('img', { class: 'fe-try-preview', alt: '', hidden: 'hidden' });
  const result = h('div', { id: 'fe-try-result', class: 'fe-try-result', 'aria-live': 'polite' });
  const zone = h(
    'label',
    { class: 'fe-drop', for: 'fe-try-input' },
    h('span', {}, 'Drop a photo here or click to choose one'),
    h('span', { class: 'fe-drop-note' }, `model ${info.model} (${info.precision}), at most ${Math.round(settings.uploadMaxBytes / 1048576)} MiB; classified in memory, never stored`),
  );
  replace(container, zone, input, preview, result);

  let previewUrl = null;
  const show = (file) => {
    if (previewUrl) URL.revokeObjectURL(previewUrl);
    previewUrl = null;
    preview.hidden = true;
    if (file.type.startsWith('image/')) {
      previewUrl = URL.createObjectURL(file);
      preview.src = previewUrl;
      preview.hidden = false;
    }
  };

  const classify = async (file) => {
    show(file);
    if (file.size > settings.uploadMaxBytes) {
      replace(result, h('p', { class: 'fe-error' }, `${file.name}: ${(file.size / 1048576).toFixed(1)} MiB is more than the ${Math.round(settings.uploadMaxBytes / 1048576)} MiB accepted`));
      return;
    }
    replace(result, h('p', { class: 'fe-busy' }, `classifying ${file.name}…`));
    try {
      const response = await fetch('/api/classify', { method: 'POST', headers: { 'content-type': file.type || 'application/octet-stream' }, body: file });
      const body = await response.json().catch(() => ({ error: `the dashboard answered ${response.status} without an explanation` }));
      if (!response.ok) {
        replace(result, h('p', { class: 'fe-error' }, `${file.name}: ${body.error ?? response.statusText}`));
        return;
      }
      replace(
        result,
        h('p', { class: 'fe-try-file' }, `${file.name}: ${body.image.format} ${body.image.widthPx}×${body.image.heightPx}, ${Math.round(body.inferenceMs)} ms`),
        h(
          'ol',
          { class: 'fe-top3' },
          body.top.map((t) => h('li', { class: 'fe-top', dataset: { score: t.score, index: t.index } }, h('span', { class: 'fe-top-label' }, t.label), bar(t.score, classColour(t.index)), h('span', { class: 'fe-top-score' }, percent(t.score)))),
        ),
      );
    } catch (error) {
      replace(result, h('p', { class: 'fe-error' }, `${file.name}: upload failed (${error.message})`));
    }
  };

  input.addEventListener('change', () => {
    const file = input.files?.[0];
    if (file) void classify(file);
    input.value = '';
  });
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('fe-drop-over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('fe-drop-over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('fe-drop-over');
    const file = event.dataTransfer?.files?.[0];
    if (file) void classify(file);
  });
}
