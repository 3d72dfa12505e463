// safeground's web application: a hash router over four views.
import { setLanguage, language, translate } from './i18n.js';
import { mountMap } from './map.js';
import { mountDashboard } from './dashboard.js';
import { mountQueue } from './queue.js';
import { mountSurvey } from './survey.js';
import { esc } from './api.js';

const views = { map: mountMap, dashboard: mountDashboard, queue: mountQueue, survey: mountSurvey };
let unmount = null;

async function route() {
  const name = (location.hash.replace(/^#\/?/, '') || 'map').split('?')[0];
  const mount = views[name] || views.map;
  document.querySelectorAll('header nav a').forEach((a) => a.classList.toggle('active', a.getAttribute('href') === '#/' + name));
  if (unmount) { try { unmount(); } catch (_) { /* already gone */ } unmount = null; }
  const view = document.getElementById('view');
  view.innerHTML = '';
  try {
    unmount = (await mount(view)) || null;
  } catch (err) {
    view.innerHTML = `<div class="page"><p class="message error">${esc(err.message)}</p></div>`;
  }
}

const select = document.getElementById('lang');
setLanguage(language());
select.value = language();
select.onchange = () => { setLanguage(select.value); translate(); route(); };
translate();
window.addEventListener('hashchange', route);
route();
