// Victim assistance: the victims of the accidents in force with their
// consent and follow-ups (personal data, for accounts with the permission),
// and — for the authority's officers — the forms that record consent, its
// withdrawal and follow-ups. The server refuses what a role may not do.
import { t } from './i18n.js';
import { get, post, esc, selectable, day as dayText } from './api.js';

const KINDS = ['MEDICAL', 'REHABILITATION', 'PSYCHOSOCIAL', 'ECONOMIC_INCLUSION', 'REFERRAL'];
const STATUSES = ['REFERRED', 'ONGOING', 'COMPLETED'];
const GIVERS = ['SELF', 'GUARDIAN', 'NEXT_OF_KIN'];
const FORMS = ['WRITTEN', 'VERBAL'];

const today = () => new Date().toISOString().slice(0, 10);
const inForce = (c, day) => c.given_on <= day && (!c.withdrawn_on || day < c.withdrawn_on);
const options = (list, prefix) => list.map((v) => `<option value="${esc(v)}">${esc(t(prefix + v))}</option>`).join('');

function row(v) {
  const consent = v.consents.find((c) => inForce(c, today()));
  return `<tr data-id="${esc(v.id)}" tabindex="0"><td>${esc(dayText(v.occurred_on))}</td><td>${esc(v.district || '')}</td>
    <td>${esc(v.name || t('victims.no_name'))}</td><td>${esc(t('victims.outcome.' + v.outcome))}</td>
    <td>${esc(t('victims.sex.' + v.sex))}</td><td class="num">${v.age ?? '–'}</td>
    <td>${esc(v.disability ? t('victims.disability.' + v.disability) : '–')}</td>
    <td>${esc(consent ? t('victims.giver.' + consent.given_by) : t('victims.no_consent'))}</td>
    <td class="num">${v.follow_ups.length}</td></tr>`;
}

function detail(v, canRecord) {
  const consents = v.consents.map((c) => `<li>${esc(dayText(c.given_on))} · ${esc(t('victims.giver.' + c.given_by))} · ${esc(t('victims.form.' + c.form))}${
    c.withdrawn_on ? ' · ' + esc(t('victims.withdrawn_on', { day: c.withdrawn_on })) : ''}</li>`).join('');
  const follow = v.follow_ups.map((f) => `<tr><td>${esc(f.on)}</td><td>${esc(t('victims.kind.' + f.kind))}</td>
    <td>${esc(t('victims.status.' + f.status))}</td><td>${esc(f.provider)}</td><td>${esc(f.notes || '')}</td></tr>`).join('');
  const standing = v.consents.some((c) => !c.withdrawn_on);
  const forms = !canRecord ? '' : `
    <form id="consent-form" class="inline">
      <h4>${esc(t(standing ? 'victims.withdraw' : 'victims.record_consent'))}</h4>
      ${standing ? '' : `<label>${esc(t('victims.given_by'))} <select name="given_by">${options(GIVERS, 'victims.giver.')}</select></label>
      <label>${esc(t('victims.form'))} <select name="form">${options(FORMS, 'victims.form.')}</select></label>`}
      <label>${esc(t('victims.day'))} <input type="date" name="day" value="${today()}" required></label>
      <button type="submit">${esc(t(standing ? 'victims.withdraw' : 'victims.record_consent'))}</button>
    </form>
    <form id="assist-form" class="inline">
      <h4>${esc(t('victims.record_follow_up'))}</h4>
      <label>${esc(t('victims.kind'))} <select name="kind">${options(KINDS, 'victims.kind.')}</select></label>
      <label>${esc(t('victims.status'))} <select name="status">${options(STATUSES, 'victims.status.')}</select></label>
      <label>${esc(t('victims.day'))} <input type="date" name="on" value="${today()}" required></label>
      <label>${esc(t('victims.provider'))} <input name="provider" required></label>
      <label>${esc(t('victims.notes'))} <input name="notes"></label>
      <button type="submit">${esc(t('victims.record_follow_up'))}</button>
    </form>`;
  return `<h3>${esc(v.name || t('victims.no_name'))}</h3>
    <p>${esc(v.accident_kind)} · ${esc(dayText(v.occurred_on))} · ${esc(v.district || '')}${v.injuries ? ' · ' + esc(v.injuries) : ''}${v.contact ? ' · ' + esc(v.contact) : ''}</p>
    <h4>${esc(t('victims.consents'))}</h4><ul id="victim-consents">${consents || `<li>${esc(t('victims.no_consent'))}</li>`}</ul>
    <h4>${esc(t('victims.follow_ups'))}</h4>
    <table id="victim-follow-ups"><tr><th>${esc(t('victims.day'))}</th><th>${esc(t('victims.kind'))}</th><th>${esc(t('victims.status'))}</th>
      <th>${esc(t('victims.provider'))}</th><th>${esc(t('victims.notes'))}</th></tr>${follow}</table>
    ${forms}<p class="message" id="victim-message" role="status"></p>`;
}

export async function mountVictims(view, session) {
  view.innerHTML = `<div class="page" id="victims"><p>${esc(t('common.loading'))}</p></div>`;
  const page = view.querySelector('#victims');
  const canRecord = ['administrator', 'im_officer'].includes(session.role) && session.personal_data;
  const [rows, figures] = await Promise.all([get('/api/victims'), get('/api/assistance/figures')]);
  const head = ['occurred_on', 'district', 'name', 'outcome', 'sex', 'age', 'disability', 'consent', 'follow_ups']
    .map((c) => `<th>${esc(t('victims.col.' + c))}</th>`).join('');
  page.innerHTML = `<h2>${esc(t('victims.title'))}</h2>
    <p class="note" id="assistance-figures">${esc(t('victims.figures', { consent: figures.with_consent, followed: figures.followed_up }))}</p>
    <div class="split"><div class="list"><table id="victim-list"><tr>${head}</tr>${rows.map(row).join('')}</table></div>
    <div class="info" id="victim-detail"><p>${esc(t('victims.select'))}</p></div></div>`;
  const info = page.querySelector('#victim-detail');
  const show = (v) => {
    info.innerHTML = detail(v, canRecord);
    const message = info.querySelector('#victim-message');
    const send = async (path, body) => {
      try {
        const updated = await post(path, body);
        page.querySelector(`tr[data-id="${CSS.escape(v.id)}"]`).outerHTML = row(updated);
        show(updated);
        info.querySelector('#victim-message').textContent = t('victims.recorded');
      } catch (err) {
        if (err.code === 'unauthenticated') return;
        message.textContent = err.message;
        message.classList.add('error');
      }
    };
    const consent = info.querySelector('#consent-form');
    if (consent) consent.onsubmit = (e) => {
      e.preventDefault();
      const f = new FormData(consent);
      if (v.consents.some((c) => !c.withdrawn_on)) send(`/api/victims/${v.id}/withdrawal`, { withdrawn_on: f.get('day') });
      else send(`/api/victims/${v.id}/consent`, { given_on: f.get('day'), given_by: f.get('given_by'), form: f.get('form') });
    };
    const assist = info.querySelector('#assist-form');
    if (assist) assist.onsubmit = (e) => {
      e.preventDefault();
      const f = new FormData(assist);
      send(`/api/victims/${v.id}/assistance`, { kind: f.get('kind'), status: f.get('status'), on: f.get('on'),
        provider: f.get('provider'), notes: f.get('notes') || null });
    };
  };
  const open = async (tr) => {
    page.querySelectorAll('#victim-list tr').forEach((r) => r.classList.toggle('selected', r === tr));
    try { show(await get(`/api/victims/${tr.dataset.id}`)); } catch (err) {
      if (err.code !== 'unauthenticated') info.innerHTML = `<p class="message error">${esc(err.message)}</p>`;
    }
  };
  selectable(page.querySelector('#victim-list'), 'id', open);
}
