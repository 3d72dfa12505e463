// Finding on the map by a hazard's code or name, a settlement or a
// district: the register answers (GET /api/places?q=), the map goes there.
import { t } from './i18n.js';
import { get, esc } from './api.js';

export function findTool(map, host, openHazard) {
  host.insertAdjacentHTML('beforeend', `<form id="find" class="tool" role="search"><label>${esc(t('search.label'))}
    <input name="q" id="find-q" type="search" autocomplete="off" placeholder="${esc(t('search.placeholder'))}"></label>
    <ul id="find-results" class="find-results" aria-live="polite"></ul></form>`);
  const form = host.querySelector('#find');
  const list = host.querySelector('#find-results');
  let found = [];
  let asked = 0;
  let typing = null;
  const go = (place) => {
    const [w, s, e, n] = place.bbox;
    map.fitBounds([[w, s], [e, n]], { padding: 60, maxZoom: place.kind === 'settlement' ? 14 : 16, duration: 0 });
    if (place.kind === 'hazard') openHazard(place.code);
  };
  const ask = async () => {
    const question = ++asked;
    const q = form.elements.q.value.trim();
    if (q.length < 2) { list.innerHTML = ''; found = []; return; }
    let answer;
    try {
      answer = await get('/api/places?q=' + encodeURIComponent(q));
    } catch (err) {
      // What was found before is not what was asked: Enter opens nothing.
      if (question === asked) { found = []; list.innerHTML = `<li class="message error">${esc(err.message)}</li>`; }
      return;
    }
    if (question !== asked) return;
    found = answer.places;
    list.innerHTML = found.length
      ? found.map((p, i) => `<li><button type="button" data-i="${i}" data-kind="${esc(p.kind)}">${esc(t('search.kind.' + p.kind))}: ${esc(p.code ? `${p.code} — ${p.name}` : p.name)}</button></li>`).join('')
      : `<li>${esc(t('search.none'))}</li>`;
  };
  form.addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(ask, 250); });
  // Enter: the first answer.
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearTimeout(typing);
    await ask();
    if (found[0]) go(found[0]);
  });
  list.addEventListener('click', (e) => {
    const b = e.target.closest('button[data-i]');
    const place = b && found[Number(b.dataset.i)];
    if (place) go(place);
  });
}
