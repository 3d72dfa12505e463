// The national picture: land release per district and per month, EO
// destroyed, casualties, risk education reach — as charts and a table.
import { t } from './i18n.js';
import { get, post, esc, km2, num, fmt } from './api.js';
import { bars } from './charts.js';
import { OUTCOME, CATEGORY, paint } from './style.js';

// The land-release indicators (docs/reporting.md), one row per group and the total.
const KPI_COLUMNS = ['cancelled_m2', 'reduced_m2', 'cleared_m2', 'items_found', 'cleared_m2_per_item',
  'cleared_without_finds_share', 'tasks_completed', 'days_to_complete_median'];

function kpiCell(column, value) {
  if (value === null || value === undefined) return '–';
  if (column.endsWith('_share')) return `${Math.round(100 * value)} %`;
  return num(Math.round(value));
}

function kpiTable(id, groupLabel, k) {
  const head = KPI_COLUMNS.map((c) => `<th class="num">${esc(t('kpi.' + c))}</th>`).join('');
  const rows = [...k.groups, k.total].map((g) => `<tr><td>${esc(g.group === 'total' ? t('kpi.total') : g.group)}</td>${
    KPI_COLUMNS.map((c) => `<td class="num">${kpiCell(c, g[c])}</td>`).join('')}</tr>`).join('');
  return `<table id="${id}"><tr><th>${esc(groupLabel)}</th>${head}</tr>${rows}</table>`;
}

/** The accreditations that end within 30 days, soonest first. */
function accreditationTable(rows) {
  const head = ['reference', 'organisation', 'capability', 'valid_to'].map((c) => `<th>${esc(t('accreditation.' + c))}</th>`).join('');
  const body = rows.length
    ? rows.map((a) => `<tr><td>${esc(a.reference)}</td><td>${esc(a.organisation + (a.team ? ' (' + a.team + ')' : ''))}</td><td>${esc(a.capability)}</td><td>${esc(a.valid_to)}</td></tr>`).join('')
    : `<tr><td colspan="4">${esc(t('accreditation.none_expiring'))}</td></tr>`;
  return `<table id="accreditations-expiring"><tr>${head}</tr>${body}</table>`;
}

/** The first hazards of the ranking, each with the criteria that put it there. */
function priorityTable(p) {
  const head = ['rank', 'code', 'district', 'score', 'why'].map((c) => `<th>${esc(t('priority.' + c))}</th>`).join('');
  const why = (r) => r.contributions.filter((c) => c.points > 0).sort((a, b) => b.points - a.points)
    .map((c) => `${t('priority.criterion.' + c.criterion)} ${c.points.toFixed(1)}`).join(', ');
  const body = p.ranked.map((r) => `<tr><td class="num">${r.rank}</td><td>${esc(r.code)}</td><td>${esc(r.district)}</td><td class="num">${r.score.toFixed(1)}</td><td>${esc(why(r))}</td></tr>`).join('');
  const source = p.ranking ? t('priority.sealed', { code: p.ranking, day: p.as_of }) : t('priority.live', { day: p.as_of });
  return `<p class="note">${esc(p.scenario)} — ${esc(source)}</p><table id="priorities"><tr>${head}</tr>${body}</table>`;
}

/**
 * For those who issue tasks: seal a new ranking (the default scenario
 * applied to the register now) in the history, or task the first hazards of
 * the sealed one shown.
 */
function priorityActions(p) {
  const activities = ['CLEARANCE', 'TS', 'NTS', 'BAC'];
  const seal = `<form id="ranking-seal" class="inline"><button type="submit">${esc(t('priority.seal'))}</button></form>`;
  const task = p.ranking ? `<form id="ranking-tasks" class="inline"><h4>${esc(t('priority.task_top', { code: p.ranking }))}</h4>
    <label>${esc(t('priority.top'))} <input name="top" type="number" min="1" max="1000" value="5" required></label>
    <label>${esc(t('priority.organisation'))} <input name="organisation" required></label>
    <label>${esc(t('priority.activity'))} <select name="activity">${activities.map((a) => `<option value="${a}">${esc(t('priority.activity.' + a))}</option>`).join('')}</select></label>
    <button type="submit">${esc(t('priority.issue'))}</button></form>` : '';
  return `<div id="priority-actions">${seal}${task}<p class="message" id="priority-message" role="status"></p></div>`;
}

/** Wires the forms of `priorityActions`; `redraw` shows a new ranking. */
function wirePriorityActions(page, redraw) {
  const message = (text, error) => {
    const m = page.querySelector('#priority-message');
    m.textContent = text;
    m.classList.toggle('error', !!error);
  };
  const seal = page.querySelector('#ranking-seal');
  if (seal) seal.onsubmit = async (e) => {
    e.preventDefault();
    seal.querySelector('button').disabled = true;
    try {
      const sealed = await post('/api/rankings', {});
      redraw({ ...sealed, ranked: sealed.ranked.slice(0, 10) });
      message(t('priority.sealed_now', { code: sealed.ranking }));
    } catch (err) {
      if (err.code !== 'unauthenticated') { message(err.message, true); seal.querySelector('button').disabled = false; }
    }
  };
  const tasks = page.querySelector('#ranking-tasks');
  if (tasks) tasks.onsubmit = async (e) => {
    e.preventDefault();
    const f = new FormData(tasks);
    const code = tasks.closest('#priority-actions').dataset.ranking;
    tasks.querySelector('button').disabled = true;
    try {
      const issued = await post(`/api/rankings/${encodeURIComponent(code)}/tasks`, {
        top: Number(f.get('top')), organisation: (f.get('organisation') || '').trim(), activity: f.get('activity') });
      message(issued.tasks.length ? t('priority.issued', { tasks: issued.tasks.join(', ') }) : t('priority.none_issued'));
    } catch (err) {
      if (err.code !== 'unauthenticated') message(err.message, true);
    } finally {
      tasks.querySelector('button').disabled = false;
    }
  };
}

/** Non-conformities per organisation and their rate per 100 approved work reports. */
function ncrTable(rows) {
  const cols = ['organisation', 'critical', 'major', 'minor', 'open', 'overdue', 'reports', 'per_100_reports'];
  const head = cols.map((c) => `<th>${esc(t('ncr.' + c))}</th>`).join('');
  const cell = (r, c) => c === 'organisation' ? `<td>${esc(r[c])}</td>`
    : `<td class="num">${c === 'per_100_reports' ? (r[c] === null ? '—' : esc(r[c].toFixed(1))) : num(r[c])}</td>`;
  const body = rows.map((r) => `<tr>${cols.map((c) => cell(r, c)).join('')}</tr>`).join('');
  return `<table id="ncr-rates"><tr>${head}</tr>${body}</table>`;
}

/** Investigations of accidents not concluded: where each stands. */
function investigationTable(rows) {
  const cols = ['code', 'stage', 'accident_on', 'district', 'opened_on'];
  const head = cols.map((c) => `<th>${esc(t('investigation.' + c))}</th>`).join('');
  const cell = (r, c) => `<td>${esc(c === 'stage' ? t('investigation.stage.' + r.stage) : (r[c] ?? ''))}</td>`;
  const body = rows.length ? rows.map((r) => `<tr>${cols.map((c) => cell(r, c)).join('')}</tr>`).join('')
    : `<tr><td colspan="${cols.length}">${esc(t('investigation.none_open'))}</td></tr>`;
  return `<table id="investigations"><tr>${head}</tr>${body}</table>`;
}

export async function mountDashboard(view, session) {
  view.innerHTML = `<div class="page" id="dashboard"><p>${esc(t('common.loading'))}</p></div>`;
  const page = view.querySelector('#dashboard');
  const today = new Date().toISOString().slice(0, 10);
  const kpiOf = (by) => get(`/api/kpi?from=1997-01-01&to=${today}&by=${by}`);
  const [summary, months, byOrg, byMonth, expiring, priorities, ncrRates, investigations] = await Promise.all([
    get('/api/summary'), get('/api/stats/released-by-month'), kpiOf('organisation'), kpiOf('month'),
    get('/api/accreditations?expiring_within=30'), get('/api/priorities?top=10'), get('/api/ncrs/rates'),
    get('/api/investigations?open=true'),
  ]);
  const n = summary.totals;
  const card = (label, value, id) => `<div class="card" id="${id}"><div>${esc(label)}</div><div class="value">${value}</div></div>`;
  const districts = summary.districts.filter((d) => d.area_m2.recorded > 0);
  const monthList = [...new Set(months.map((m) => m.month))].sort();
  const monthSeries = Object.entries(OUTCOME).map(([o, colour]) => ({
    name: t('outcome.' + o), colour,
    values: monthList.map((mo) => (months.find((m) => m.month === mo && m.outcome === o) || { area_m2: 0 }).area_m2 / 1e6),
  }));
  const years = Object.keys(n.casualties).sort();
  const reach = n.eore_reach;
  const kmFormat = (v) => fmt(v, 2);
  page.innerHTML = `<h1>${esc(t('dashboard.title'))}</h1>
    <div class="cards">
      ${card(t('dashboard.hazards'), num(n.hazards.total), 'card-hazards')}
      ${['recorded', 'cancelled', 'reduced', 'cleared', 'remaining'].map((k) => card(`${t('area.' + k)} (${t('dashboard.km2')})`, km2(n.area_m2[k]), 'card-' + k)).join('')}
    </div>
    <div class="charts">
      <div class="chart" id="chart-districts"><h3>${esc(t('dashboard.by_district'))}</h3>${bars({ title: t('dashboard.by_district'),
        categories: districts.map((d) => d.name), stacked: true, format: kmFormat,
        series: [
          { name: t('outcome.CANCELLED'), colour: OUTCOME.CANCELLED, values: districts.map((d) => d.area_m2.cancelled / 1e6) },
          { name: t('outcome.REDUCED'), colour: OUTCOME.REDUCED, values: districts.map((d) => d.area_m2.reduced / 1e6) },
          { name: t('outcome.CLEARED'), colour: OUTCOME.CLEARED, values: districts.map((d) => d.area_m2.cleared / 1e6) },
          { name: t('area.remaining'), colour: '#d62728', values: districts.map((d) => d.area_m2.remaining / 1e6) },
        ] })}</div>
      <div class="chart" id="chart-months"><h3>${esc(t('dashboard.by_month'))}</h3>${bars({ title: t('dashboard.by_month'), categories: monthList, series: monthSeries, stacked: true, format: kmFormat })}</div>
      <div class="chart" id="chart-eo"><h3>${esc(t('dashboard.eo_destroyed'))}</h3>${bars({ title: t('dashboard.eo_destroyed'),
        categories: Object.keys(n.eo_destroyed), format: (v) => num(v),
        series: [{ name: t('dashboard.eo_destroyed'), colour: '#5a3d7a', values: Object.values(n.eo_destroyed) }] })}</div>
      <div class="chart" id="chart-casualties"><h3>${esc(t('dashboard.casualties'))}</h3>${bars({ title: t('dashboard.casualties'),
        categories: years, format: (v) => num(v),
        series: [
          { name: t('dashboard.killed'), colour: '#7f0000', values: years.map((y) => n.casualties[y].killed) },
          { name: t('dashboard.injured'), colour: '#ff7f00', values: years.map((y) => n.casualties[y].injured) },
        ] })}</div>
      <div class="chart" id="chart-eore"><h3>${esc(t('dashboard.eore'))}</h3>${bars({ title: t('dashboard.eore'),
        categories: ['girls', 'boys', 'women', 'men'].map((k) => t('dashboard.' + k)), format: (v) => num(v),
        series: [{ name: t('dashboard.eore'), colour: '#1f77b4', values: [reach.girls, reach.boys, reach.women, reach.men] }] })}</div>
    </div>
    <h2>${esc(t('dashboard.table'))}</h2>
    <table id="district-table"><tr><th>${esc(t('hazard.district'))}</th><th class="num">${esc(t('dashboard.hazards'))}</th>${['recorded', 'cancelled', 'reduced', 'cleared', 'remaining'].map((k) => `<th class="num">${esc(t('area.' + k))} (km²)</th>`).join('')}</tr>
    ${summary.districts.map((d) => `<tr><td>${esc(d.name)}</td><td class="num">${num(d.hazards.total)}</td>${['recorded', 'cancelled', 'reduced', 'cleared', 'remaining'].map((k) => `<td class="num">${km2(d.area_m2[k])}</td>`).join('')}</tr>`).join('')}</table>
    <h2>${esc(t('kpi.by_organisation'))}</h2>${kpiTable('kpi-organisation', t('kpi.organisation'), byOrg)}
    <h2>${esc(t('kpi.by_month'))}</h2>${kpiTable('kpi-month', t('kpi.month'), byMonth)}
    <p class="note">${esc(t('kpi.rules'))}</p>
    <h2>${esc(t('priority.title'))}</h2><div id="priority-block"></div>
    <h2>${esc(t('ncr.title'))}</h2>${ncrTable(ncrRates)}
    <h2>${esc(t('investigation.title'))}</h2>${investigationTable(investigations)}
    <h2>${esc(t('accreditation.expiring'))}</h2>${accreditationTable(expiring)}`;
  // The ranking, and for those who issue tasks, what to do with it.
  const tasker = session && ['administrator', 'im_officer'].includes(session.role);
  const showRanking = (p) => {
    const block = page.querySelector('#priority-block');
    block.innerHTML = priorityTable(p) + (tasker ? priorityActions(p) : '');
    const actions = block.querySelector('#priority-actions');
    if (actions && p.ranking) actions.dataset.ranking = p.ranking;
    if (tasker) wirePriorityActions(block, showRanking);
  };
  showRanking(priorities);
  paint(page);
  void CATEGORY;
}
