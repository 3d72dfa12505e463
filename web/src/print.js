// Printing the map: a sheet of A4 or A3 of the ground in view, with a
// title, legend, scale bar and north arrow, drawn by the server as vector
// PDF from the register's own shapes (GET /api/maps/print); the browser
// saves it, or the page says why it could not be made.
import { t, language } from './i18n.js';
import { esc, held, checkSession } from './api.js';

/** The view's ground, west,south,east,north, inside the world's bounds. */
export function viewBox(map) {
  const b = map.getBounds();
  const clamp = (v, m) => Math.max(-m, Math.min(m, v));
  return [clamp(b.getWest(), 180), clamp(b.getSouth(), 90), clamp(b.getEast(), 180), clamp(b.getNorth(), 90)].map((v) => v.toFixed(6)).join(',');
}

export function printTool(map, host) {
  const option = (value, key) => `<option value="${value}">${esc(t(key))}</option>`;
  host.insertAdjacentHTML('beforeend', `<details id="print" class="tool"><summary>${esc(t('print.open'))}</summary>
    <form id="print-form" method="get" action="/api/maps/print"><p class="hint">${esc(t('print.heading'))}</p>
    <label>${esc(t('print.title'))} <input name="title" maxlength="120" value="${esc(t('print.default_title'))}"></label>
    <label>${esc(t('print.paper'))} <select name="paper"><option value="A4">A4</option><option value="A3">A3</option></select></label>
    <label>${esc(t('print.orientation'))} <select name="orientation">${option('landscape', 'print.landscape')}${option('portrait', 'print.portrait')}</select></label>
    <input type="hidden" name="bbox"><input type="hidden" name="lang">
    <button type="submit" id="print-make">${esc(t('print.make'))}</button><p id="print-message" role="status"></p></form></details>`);
  const form = host.querySelector('#print-form');
  const message = host.querySelector('#print-message');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    // The ground in view at the moment of printing.
    form.elements.bbox.value = viewBox(map);
    form.elements.lang.value = language();
    const query = new URLSearchParams(new FormData(form));
    message.textContent = '';
    message.className = '';
    held(form.querySelector('#print-make'), async () => {
      const answer = await fetch('/api/maps/print?' + query);
      if (!answer.ok) {
        if (answer.status === 401) checkSession();
        const body = await answer.json().catch(() => ({}));
        message.className = 'message error';
        message.textContent = body.message || `HTTP ${answer.status}`;
        return;
      }
      const name = (answer.headers.get('content-disposition') || '').match(/filename="([^"]+)"/)?.[1] || 'map.pdf';
      const url = URL.createObjectURL(await answer.blob());
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      message.textContent = t('print.made', { name });
    }).catch((err) => { message.className = 'message error'; message.textContent = err.message; });
  });
}
