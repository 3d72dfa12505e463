// safeground's web application: a hash router over nine views, behind a
// login when the register has accounts.
import { setLanguage, language, translate, t } from './i18n.js';
import { mountMap } from './map.js';
import { mountDashboard } from './dashboard.js';
import { mountQueue } from './queue.js';
import { mountSurvey } from './survey.js';
import { mountLogin } from './login.js';
import { mountVictims } from './victims.js';
import { mountNcrs } from './ncrs.js';
import { mountTasks } from './tasks.js';
import { mountData } from './data.js';
import { mountAccounts } from './accounts.js';
import { mountAccreditations } from './accreditations.js';
import { mountInvestigations } from './investigations.js';
import { mountRegister } from './register.js';
import { esc, day, currentUser, logout, onSessionLost, setCsrf } from './api.js';

const views = { map: mountMap, dashboard: (v) => mountDashboard(v, session), queue: mountQueue, survey: mountSurvey, victims: (v) => mountVictims(v, session), ncrs: (v) => mountNcrs(v, session), accreditations: (v) => mountAccreditations(v, session), investigations: (v) => mountInvestigations(v, session), register: mountRegister, tasks: (v) => mountTasks(v, session), data: (v) => mountData(v, session), accounts: (v) => mountAccounts(v, session) };
// The views each role is offered. The server decides what each may do; this
// only spares people links that would answer "forbidden".
const ACCESS = {
  administrator: ['map', 'register', 'tasks', 'dashboard', 'queue', 'survey', 'ncrs', 'investigations', 'accreditations', 'data', 'accounts'],
  im_officer: ['map', 'register', 'tasks', 'dashboard', 'queue', 'survey', 'ncrs', 'investigations', 'accreditations', 'data'],
  operator: ['map', 'register', 'tasks', 'dashboard', 'survey', 'ncrs', 'accreditations', 'data'],
  qm_officer: ['map', 'register', 'tasks', 'dashboard', 'queue', 'ncrs', 'investigations', 'accreditations', 'data'],
  viewer: ['map', 'register', 'tasks', 'dashboard', 'data'],
};
let unmount = null;
// GET /api/me's answer; null while there is no session (or not known yet).
let session = null;
// Bumped by every route and login form: a view that finishes loading after
// another took its place is dropped.
let generation = 0;

function allowed() {
  if (!session) return [];
  // A register served without accounts has none to keep.
  const views = (ACCESS[session.role] || ['map', 'register', 'dashboard']).filter((v) => v !== 'accounts' || session.mode !== 'local');
  // Victims are personal data: offered with the permission, never to a viewer.
  return session.personal_data && session.role !== 'viewer' ? [...views, 'victims'] : views;
}

// On a field copy (the laptop's register): where and when it was made, and
// that what is made here goes home with sync.
function copyBanner() {
  const banner = document.getElementById('field-copy');
  const c = session && session.field_copy;
  banner.hidden = !c;
  if (c) banner.textContent = t('copy.banner', { district: c.district, organisation: c.organisation || t('copy.every_organisation'), origin: c.origin, made: day(c.made_at) });
}

function header() {
  copyBanner();
  const can = allowed();
  document.querySelectorAll('header nav a').forEach((a) => { a.hidden = !can.includes(a.getAttribute('href').replace(/^#\/?/, '')); });
  const who = document.getElementById('whoami');
  const out = document.getElementById('logout');
  who.classList.remove('error');
  if (!session) {
    who.textContent = '';
    who.title = '';
    out.hidden = true;
  } else if (session.mode === 'local') {
    who.textContent = t('auth.local');
    who.title = t('auth.local_title');
    out.hidden = true;
  } else {
    who.textContent = `${session.name} · ${t('role.' + session.role)}`;
    who.title = session.organisation || '';
    out.hidden = false;
  }
}

function clear() {
  if (unmount) { try { unmount(); } catch (_) { /* already gone */ } unmount = null; }
  const view = document.getElementById('view');
  view.innerHTML = '';
  return view;
}

async function route() {
  if (!session) { showLogin(); return; }
  const mine = ++generation;
  let name = (location.hash.replace(/^#\/?/, '') || 'map').split('?')[0];
  if (!views[name] || !allowed().includes(name)) {
    // A view this role is not offered (or none at all): the map.
    if (location.hash && location.hash !== '#/map') history.replaceState(null, '', '#/map');
    name = 'map';
  }
  document.querySelectorAll('header nav a').forEach((a) => a.classList.toggle('active', a.getAttribute('href') === '#/' + name));
  const view = clear();
  try {
    const done = (await views[name](view)) || null;
    if (mine !== generation) { try { if (done) done(); } catch (_) { /* already gone */ } return; }
    unmount = done;
  } catch (err) {
    // The session ended: the login form has taken the view's place.
    if (mine !== generation || err.code === 'unauthenticated') return;
    view.innerHTML = `<div class="page"><p class="message error">${esc(err.message)}</p></div>`;
  }
}

/// Asks for a login, keeping the hash route. Does nothing when the form is
/// already there (several requests may find the session gone at once),
/// unless redraw (the language changed).
function showLogin(redraw = false) {
  session = null;
  setCsrf(null);
  header();
  const view = document.getElementById('view');
  const typed = view.querySelector('#login-name');
  if (typed && !redraw) return;
  const name = typed ? typed.value : '';
  generation++;
  mountLogin(clear(), start);
  if (name) view.querySelector('#login-name').value = name;
}

function start(me) {
  session = me;
  setCsrf(me.csrf);
  header();
  route();
}

document.getElementById('logout').onclick = async () => {
  try {
    await logout();
  } catch (err) {
    if (err.code !== 'unauthenticated') {
      const who = document.getElementById('whoami');
      who.textContent = err.message;
      who.classList.add('error');
      return;
    }
  }
  showLogin();
};

async function boot() {
  try {
    start(await currentUser());
  } catch (err) {
    if (err.status === 401) showLogin();
    // A server from before accounts has no /api/me: it is a local register.
    else if (err.status === 404) start({ name: '', role: 'administrator', organisation: null, personal_data: true, mode: 'local', csrf: null });
    else clear().innerHTML = `<div class="page"><p class="message error">${esc(err.message)}</p></div>`;
  }
}

onSessionLost(() => showLogin());
const select = document.getElementById('lang');
setLanguage(language());
select.value = language();
select.onchange = () => {
  setLanguage(select.value);
  translate();
  header();
  if (session) route(); else if (document.getElementById('login')) showLogin(true);
};
translate();
header();
window.addEventListener('hashchange', () => { if (session) route(); });
boot();
