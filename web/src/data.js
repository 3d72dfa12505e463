// Data in and out.
//
// Out: any layer (or every layer, as a workbook) in any export format, as of
// a day, in a district, at the full or the public level — the file
// `safeground export` writes, served by GET /api/exports/{layer} as an
// attachment. The public level is for everyone who reads the register; the
// full level for the roles that may export (the server decides).
//
// In (for the roles that import): a layer file uploaded to POST /api/imports,
// which runs `safeground import` on it; the answer's counts, rejections and
// reject file are shown as the command prints them.
//
// Field submissions (for the roles that submit field reports): a KoBoToolbox
// or ODK Central export uploaded to POST /api/submissions becomes draft
// reports, listed below it; each is submitted to the approval queue with
// POST /api/reports/{id}/submission. An operator's are its organisation's.
//
// Reference data: the programme's organisations with what the register holds
// of each (GET /api/organisations); administrators add one
// (POST /api/organisations), with the checks an import of them makes.
import { t } from './i18n.js';
import { get, request, esc, held, num } from './api.js';

const LAYERS = ['hazards', 'released_areas', 'eo_finds', 'accidents', 'eore_sessions', 'tasks', 'settlements', 'districts', 'organisations', 'all'];
const FORMATS = ['gpkg', 'geojson', 'csv', 'kml', 'xlsx'];
const FULL = ['administrator', 'im_officer', 'qm_officer', 'operator', 'viewer'];
const IMPORTERS = ['administrator', 'im_officer'];
const SUBMITTERS = ['administrator', 'im_officer', 'operator'];
const FORMS = ['nts', 'clearance', 'eo_find', 'eore_session'];
const ACCEPT = '.geojson,.json,.csv,.tsv,.txt,.gpkg,.kml,.kmz,.xlsx,.xlsm,.xls,.ods';

function importForm() {
  const option = (v, label) => `<option value="${esc(v)}">${esc(label)}</option>`;
  return `<form id="import-form" class="inline" autocomplete="off"><h3>${esc(t('data.import'))}</h3>
      <label>${esc(t('data.file'))} <input type="file" name="file" accept="${ACCEPT}" required></label>
      <label>${esc(t('data.layer'))} <select name="layer">${LAYERS.filter((l) => l !== 'all').map((l) => option(l, t('data.layer.' + l))).join('')}</select></label>
      <label>${esc(t('data.srs'))} <input name="srs" placeholder="EPSG:4326" pattern="[Ee][Pp][Ss][Gg]:[0-9]{4,5}"></label>
      <label class="choice"><input type="checkbox" name="keep_going"> ${esc(t('data.keep_going'))}</label>
      <p><button type="submit" class="primary" id="import-send">${esc(t('data.upload'))}</button></p>
      <p><small>${esc(t('data.import_help'))}</small></p>
      <div id="import-result" role="status"></div></form>`;
}

// The reject file of an answer, as a link that saves it.
function rejectLink(rejects) {
  const bytes = Uint8Array.from(atob(rejects.base64), (c) => c.charCodeAt(0));
  const a = document.createElement('a');
  a.className = 'button';
  a.href = URL.createObjectURL(new Blob([bytes], { type: rejects.media_type }));
  a.download = rejects.name;
  a.textContent = t('data.rejects', { name: rejects.name });
  return a;
}

// What an import did: the command's line, the counts, the first rejections.
function showResult(box, r) {
  box.replaceChildren();
  const line = document.createElement('p');
  line.className = r.committed ? 'message' : 'message error';
  line.textContent = r.message;
  const counts = document.createElement('p');
  counts.textContent = t(r.counts || 'data.counts', { read: num(r.read), imported: num(r.imported), present: num(r.present), rejected: num(r.rejected) });
  box.append(line, counts);
  const list = (title, items) => {
    if (!items.length) return;
    const h = document.createElement('h4');
    h.textContent = title;
    const ul = document.createElement('ul');
    for (const i of items) {
      const li = document.createElement('li');
      li.textContent = i;
      ul.append(li);
    }
    box.append(h, ul);
  };
  list(t('data.rejections'), r.problems);
  list(t('data.warnings'), r.warnings);
  list(t('data.ignored'), r.ignored.length ? [r.ignored.join(', ')] : []);
  if (r.rejects) box.append(rejectLink(r.rejects));
}

function submissionsForm(session, ref) {
  const option = (v, label) => `<option value="${esc(v)}">${esc(label)}</option>`;
  const organisation = session.role === 'operator' ? '' : `<label>${esc(t('data.author'))} <select name="organisation"><option value="">${esc(t('data.author_in_file'))}</option>${ref.organisations.map((o) => option(o.acronym, o.acronym)).join('')}</select></label>`;
  return `<form id="submissions-form" class="inline" autocomplete="off"><h3>${esc(t('data.submissions'))}</h3>
      <label>${esc(t('data.export_file'))} <input type="file" name="file" accept=".csv,.json" required></label>
      <label>${esc(t('data.form'))} <select name="form">${FORMS.map((f) => option(f, t('data.form.' + f))).join('')}</select></label>
      ${organisation}
      <label class="choice"><input type="checkbox" name="keep_going"> ${esc(t('data.keep_going_drafts'))}</label>
      <p><button type="submit" class="primary" id="submissions-send">${esc(t('data.draft'))}</button></p>
      <p><small>${esc(t('data.submissions_help'))}</small></p>
      <div id="submissions-result" role="status"></div></form>
    <section id="draft-section"><h3>${esc(t('data.drafts'))}</h3>
      <div id="draft-list"></div>
      <p class="message" id="draft-message" role="status"></p></section>`;
}

// The drafts waiting to be submitted, each with its button.
async function loadDrafts(page) {
  const box = page.querySelector('#draft-list');
  const drafts = await get('/api/reports?state=DRAFT&per_page=200');
  if (!drafts.items.length) {
    const p = document.createElement('p');
    p.textContent = t('data.no_drafts');
    box.replaceChildren(p);
    return;
  }
  const table = document.createElement('table');
  table.id = 'drafts';
  const head = table.createTHead().insertRow();
  for (const c of ['type', 'organisation', 'dates', 'hazard', 'by', 'action']) {
    const th = document.createElement('th');
    th.textContent = t('data.drafts.' + c);
    head.append(th);
  }
  const body = table.createTBody();
  for (const r of drafts.items) {
    const row = body.insertRow();
    row.dataset.id = r.id;
    for (const v of [r.type, r.organisation, `${r.start_date} – ${r.end_date}`, r.hazard || r.task || '', r.submitted_by]) row.insertCell().textContent = v;
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'submit-draft';
    button.textContent = t('data.submit_draft');
    row.insertCell().append(button);
  }
  box.replaceChildren(table);
}

function wireSubmissions(page) {
  const form = page.querySelector('#submissions-form');
  const box = form.querySelector('#submissions-result');
  const button = form.querySelector('#submissions-send');
  const message = page.querySelector('#draft-message');
  const failed = (err) => {
    if (err.code === 'unauthenticated') return;
    message.textContent = err.message;
    message.classList.add('error');
  };
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const file = form.file.files[0];
    if (!file) return;
    const q = new URLSearchParams({ form: form.form.value, name: file.name });
    if (form.organisation && form.organisation.value) q.set('organisation', form.organisation.value);
    if (form.keep_going.checked) q.set('keep_going', 'true');
    held(button, async () => {
      box.replaceChildren();
      try {
        showResult(box, submissionsSaid(await request('POST', `/api/submissions?${q}`, file, 'application/octet-stream')));
      } catch (err) {
        if (err.code === 'unauthenticated') return;
        if (err.body && typeof err.body.committed === 'boolean') showResult(box, submissionsSaid(err.body));
        else {
          const p = document.createElement('p');
          p.className = 'message error';
          p.textContent = err.message;
          box.replaceChildren(p);
          return;
        }
      }
      await loadDrafts(page).catch(failed);
    });
  });
  page.querySelector('#draft-list').addEventListener('click', (e) => {
    const b = e.target.closest('button.submit-draft');
    if (!b) return;
    const id = b.closest('tr').dataset.id;
    held(b, async () => {
      message.classList.remove('error');
      try {
        await request('POST', `/api/reports/${encodeURIComponent(id)}/submission`);
        message.textContent = t('data.draft_submitted', { id });
        await loadDrafts(page);
      } catch (err) { failed(err); }
    });
  });
  loadDrafts(page).catch(failed);
}

// An answer of /api/submissions in the shape showResult reads.
function submissionsSaid(r) {
  return { ...r, imported: r.drafted, present: r.already, warnings: [], ignored: [], counts: 'data.draft_counts' };
}

const ORG_COLUMNS = ['acronym', 'name', 'kind', 'country', 'teams', 'accounts', 'reports', 'open_tasks'];
const ORG_KINDS = ['OPERATOR', 'NATIONAL_AUTHORITY', 'QM_BODY'];

function organisationsSection(session) {
  const option = (v, label) => `<option value="${esc(v)}">${esc(label)}</option>`;
  const add = session.role !== 'administrator' ? '' : `<form id="organisation-add" class="inline" autocomplete="off"><h4>${esc(t('orgs.add'))}</h4>
      <label>${esc(t('orgs.col.acronym'))} <input name="acronym" required maxlength="20" pattern="\\S+"></label>
      <label>${esc(t('orgs.col.name'))} <input name="name" required></label>
      <label>${esc(t('orgs.col.kind'))} <select name="kind">${ORG_KINDS.map((k) => option(k, t('orgs.kind.' + k))).join('')}</select></label>
      <label>${esc(t('orgs.col.country'))} <input name="country" required maxlength="2" size="3" pattern="[A-Za-z]{2}" placeholder="AZ"></label>
      <button type="submit" id="organisation-send">${esc(t('orgs.add'))}</button>
      <p class="message" id="organisation-message" role="status"></p></form>`;
  return `<section id="organisations"><h3>${esc(t('orgs.title'))}</h3><div id="organisation-list"></div>${add}</section>`;
}

async function loadOrganisations(page) {
  const rows = await get('/api/organisations');
  const table = document.createElement('table');
  table.id = 'organisation-table';
  const head = table.createTHead().insertRow();
  for (const c of ORG_COLUMNS) {
    const th = document.createElement('th');
    th.textContent = t('orgs.col.' + c);
    head.append(th);
  }
  const body = table.createTBody();
  for (const o of rows) {
    const row = body.insertRow();
    row.dataset.acronym = o.acronym;
    for (const c of ORG_COLUMNS) {
      const cell = row.insertCell();
      if (c === 'kind') cell.textContent = t('orgs.kind.' + o.kind);
      else if (typeof o[c] === 'number') { cell.textContent = num(o[c]); cell.className = 'num'; }
      else cell.textContent = o[c];
    }
  }
  page.querySelector('#organisation-list').replaceChildren(table);
}

function wireOrganisations(page) {
  const form = page.querySelector('#organisation-add');
  if (form) {
    const message = form.querySelector('#organisation-message');
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      held(form.querySelector('#organisation-send'), async () => {
        message.classList.remove('error');
        try {
          const o = await request('POST', '/api/organisations', { acronym: form.acronym.value, name: form.querySelector('[name=name]').value, kind: form.kind.value, country: form.country.value });
          message.textContent = t('orgs.added', { acronym: o.acronym });
          form.reset();
          await loadOrganisations(page);
        } catch (err) {
          if (err.code === 'unauthenticated') return;
          message.textContent = err.message;
          message.classList.add('error');
        }
      });
    });
  }
  loadOrganisations(page).catch((err) => {
    const p = document.createElement('p');
    p.className = 'message error';
    p.textContent = err.message;
    page.querySelector('#organisation-list').replaceChildren(p);
  });
}

function wireImport(form) {
  const box = form.querySelector('#import-result');
  const button = form.querySelector('#import-send');
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const file = form.file.files[0];
    if (!file) return;
    const q = new URLSearchParams({ layer: form.layer.value, name: file.name });
    if (form.srs.value.trim()) q.set('srs', form.srs.value.trim());
    if (form.keep_going.checked) q.set('keep_going', 'true');
    held(button, async () => {
      box.replaceChildren();
      const wait = document.createElement('p');
      wait.textContent = t('data.importing', { name: file.name });
      box.append(wait);
      try {
        showResult(box, await request('POST', `/api/imports?${q}`, file, 'application/octet-stream'));
      } catch (err) {
        if (err.code === 'unauthenticated') return;
        if (err.body && typeof err.body.committed === 'boolean') return showResult(box, err.body);
        const p = document.createElement('p');
        p.className = 'message error';
        p.textContent = err.message;
        box.replaceChildren(p);
      }
    });
  });
}

// The download's address for the form as it stands, or the reason there is none.
function address(f) {
  const layer = f.layer.value;
  const format = f.format.value;
  if (layer === 'all' && format !== 'xlsx') return { problem: t('data.all_needs_xlsx') };
  if (f.hxl.checked && format !== 'csv') return { problem: t('data.hxl_needs_csv') };
  const q = new URLSearchParams({ format, level: f.level.value });
  if (f.as_of.value) q.set('as_of', f.as_of.value);
  if (f.district.value) q.set('district', f.district.value);
  if (f.level.value === 'public') q.set('dangerous', f.dangerous.value);
  if (f.hxl.checked) q.set('hxl', 'true');
  return { href: `/api/exports/${encodeURIComponent(layer)}?${q}` };
}

export async function mountData(view, session) {
  view.innerHTML = `<div class="page" id="data"><p>${esc(t('common.loading'))}</p></div>`;
  const page = view.querySelector('#data');
  const ref = await get('/api/reference');
  const full = FULL.includes(session.role);
  const today = new Date().toISOString().slice(0, 10);
  const option = (v, label) => `<option value="${esc(v)}">${esc(label)}</option>`;
  page.innerHTML = `<h2>${esc(t('data.title'))}</h2>
    <form id="export-form" class="inline" autocomplete="off"><h3>${esc(t('data.export'))}</h3>
      <label>${esc(t('data.layer'))} <select name="layer">${LAYERS.map((l) => option(l, t('data.layer.' + l))).join('')}</select></label>
      <label>${esc(t('data.format'))} <select name="format">${FORMATS.map((f) => option(f, t('data.format.' + f))).join('')}</select></label>
      <label>${esc(t('data.as_of'))} <input type="date" name="as_of" max="${today}"></label>
      <label>${esc(t('data.district'))} <select name="district"><option value="">${esc(t('register.all'))}</option>${ref.districts.map((d) => option(d.name, d.name)).join('')}</select></label>
      <label>${esc(t('data.level'))} <select name="level">${full ? option('full', t('data.level.full')) : ''}${option('public', t('data.level.public'))}</select></label>
      <label class="public-only">${esc(t('data.dangerous'))} <select name="dangerous">${option('coarsen', t('data.dangerous.coarsen'))}${option('drop', t('data.dangerous.drop'))}</select></label>
      <label class="choice"><input type="checkbox" name="hxl"> ${esc(t('data.hxl'))}</label>
      <p><a class="button primary" id="export-download" download>${esc(t('data.download'))}</a></p>
      <p class="message" id="export-problem" role="status"></p>
      <p><small>${esc(t('data.levels_help'))}</small></p></form>
    ${IMPORTERS.includes(session.role) ? importForm() : ''}
    ${SUBMITTERS.includes(session.role) ? submissionsForm(session, ref) : ''}
    ${organisationsSection(session)}`;
  const imports = page.querySelector('#import-form');
  if (imports) wireImport(imports);
  if (page.querySelector('#submissions-form')) wireSubmissions(page);
  wireOrganisations(page);
  const form = page.querySelector('#export-form');
  const link = page.querySelector('#export-download');
  const problem = page.querySelector('#export-problem');
  const update = () => {
    page.querySelector('.public-only').hidden = form.level.value !== 'public';
    const a = address(form);
    problem.textContent = a.problem || '';
    problem.classList.toggle('error', Boolean(a.problem));
    if (a.href) link.setAttribute('href', a.href); else link.removeAttribute('href');
    link.setAttribute('aria-disabled', a.href ? 'false' : 'true');
  };
  form.addEventListener('change', update);
  form.addEventListener('input', update);
  // The server checks the request first (check=true), so a mistake is said
  // on the page; a good one is then saved as the browser saves any file,
  // streamed, never held in the page's memory.
  link.addEventListener('click', (e) => {
    const href = link.getAttribute('href');
    if (link.dataset.checked === href) { delete link.dataset.checked; return; }
    e.preventDefault();
    if (!href) return;
    problem.textContent = t('data.preparing');
    problem.classList.remove('error');
    get(`${href}&check=true`).then(() => {
      problem.textContent = '';
      link.dataset.checked = href;
      link.click();
    }).catch((err) => {
      if (err.code === 'unauthenticated') return;
      problem.textContent = err.message;
      problem.classList.add('error');
    });
  });
  update();
}
