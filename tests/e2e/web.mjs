// End to end in real headless Chromium: the demo's map draws hazards with the
// network unplugged (every request that leaves this server is refused and
// counted), a hazard opens with its history, a survey is drawn and submitted,
// approved from the queue, the dashboard changes, and a victim's follow-up
// is recorded. Screenshots go to OUT.
//
//   node web.mjs http://127.0.0.1:PORT OUT_DIR [NAME PASSWORD]
//
// With NAME and PASSWORD the register has accounts: the page first asks for a
// login, refuses a wrong password, keeps the route it was asked for, sends
// the session's CSRF token with every write (the survey and the approval fail
// without it), and logging out asks for a login again. NAME must be an
// administrator with the personal-data permission (the flow submits,
// approves, closes a non-conformity and records a victim's follow-up). Without
// them the register is local: no login, no logout, "local" in the header.
import { chromium } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execFileSync, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

// axe-core, from npm (never a CDN), evaluated through the DevTools protocol:
// the page's CSP, which refuses inline scripts, stays as it is.
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

const [base, out, user, password, flagged, flaggedHazard] = process.argv.slice(2);
const accounts = Boolean(user && password);
mkdirSync(out, { recursive: true });
const origin = new URL(base).origin;
const outside = [];
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--use-gl=swiftshader', '--enable-unsafe-swiftshader'],
});
const fail = async (msg) => { console.error('FAIL: ' + msg); await browser.close(); process.exit(1); };
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
const errors = [];
page.on('pageerror', (e) => errors.push(String(e)));
// An HTTP error shows in the console as "Failed to load resource": those are
// judged from the responses themselves, which name the URL.
page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of/.test(m.text())) errors.push(m.text()); });
const httpErrors = [];
page.on('response', (r) => { if (r.status() >= 400) httpErrors.push({ status: r.status(), url: r.url() }); });
// The refusals the test asks for: no session yet (or any more), a wrong
// password, a write without the CSRF token.
let refusedTask = false;
let refusedImport = false;
let refusedDownload = false;
const expected = ({ status, url }) => {
  const path = url.startsWith(origin) ? new URL(url).pathname : url;
  if (path === '/favicon.ico') return true;
  // The task refused on purpose (due before it is issued), once.
  if (status === 400 && path === '/api/tasks' && !refusedTask) { refusedTask = true; return true; }
  // The download of a district the register does not have, checked first, once.
  if (status === 404 && path === '/api/exports/hazards' && !refusedDownload) { refusedDownload = true; return true; }
  // The upload with a rejected feature, which imports nothing, once.
  if (status === 422 && path === '/api/imports' && !refusedImport) { refusedImport = true; return true; }
  return accounts && ((status === 401 && (path === '/api/me' || path === '/api/login')) || (status === 403 && path === '/api/traverse'));
};
await page.route('**/*', (route) => {
  const url = route.request().url();
  if (url.startsWith(origin) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
  outside.push(url);
  return route.abort();
});
const idle = () => page.waitForFunction(() => window.safegroundMap && window.safegroundMap.loaded() && !window.safegroundMap.isMoving(), null, { timeout: 60000 });
const step = (name) => console.log('step: ' + name);
// Every view is checked by axe-core (WCAG 2.1 A and AA rules): no serious or
// critical violation; the moderate and minor ones are printed.
const checked = [];
const accessible = async (view) => {
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(axeSource);
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] }));
  const grave = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  for (const v of result.violations.filter((x) => !grave.includes(x))) console.log(`axe (${view}, ${v.impact}): ${v.id} on ${v.nodes.length} element(s)`);
  if (grave.length) {
    await fail(`axe-core finds on the ${view} view: ` + grave.map((v) => `${v.id} (${v.impact}: ${v.help}) on ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`).join(' | '));
  }
  checked.push(view);
};
const visibleNav = () => page.locator('header nav a:visible').count();
// Logs out whoever is signed in and signs `name` in.
const signIn = async (name, secret) => {
  await page.click('#logout');
  await page.waitForSelector('#login-name', { timeout: 20000 }).catch(() => fail('logging out did not show the login form'));
  await page.fill('#login-name', name);
  await page.fill('#login-password', secret);
  await page.click('#login-submit');
  await page.waitForFunction((n) => (document.querySelector('#whoami').textContent || '').startsWith(n + ' · '), name, { timeout: 20000 })
    .catch(async () => fail(`${name} could not sign in: ` + (await page.textContent('#view'))));
};

let login = null;
if (accounts) {
  step('log in');
  // Asked for the dashboard: after logging in, the dashboard it is.
  await page.goto(base + '/#/dashboard');
  await page.waitForSelector('#login-name', { timeout: 20000 }).catch(() => fail('no login form with no session'));
  if (await page.isVisible('#logout')) await fail('a logout button with no session');
  if ((await visibleNav()) !== 0) await fail('views are offered with no session');
  await page.fill('#login-name', user);
  await page.fill('#login-password', password + '-not-the-password');
  await page.click('#login-submit');
  await page.waitForFunction(() => { const e = document.querySelector('#login-error'); return e && !e.hidden && e.textContent.trim() !== ''; }, null, { timeout: 20000 })
    .catch(() => fail('a wrong password shows no error'));
  const refused = (await page.textContent('#login-error')).trim();
  if (await page.isVisible('#whoami:not(:empty)')) await fail('a wrong password logged in');
  await page.screenshot({ path: `${out}/login.png` });
  await accessible('login');
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await page.waitForFunction((n) => (document.querySelector('#whoami').textContent || '').startsWith(n + ' · '), user, { timeout: 20000 })
    .catch(async () => fail('logging in failed: ' + (await page.textContent('#view'))));
  const whoami = (await page.textContent('#whoami')).trim();
  if (!(await page.isVisible('#logout'))) await fail('no logout button once logged in');
  // Map, register, tasks, dashboard, queue, survey, non-conformities, investigations, accreditations, data, accounts, and — with the personal-data permission — victim assistance.
  if ((await visibleNav()) !== 12) await fail(`${whoami} is offered ${await visibleNav()} views, not 12`);
  await page.waitForSelector('#card-recorded .value', { timeout: 20000 }).catch(() => fail('logging in did not return to the dashboard'));
  // The session is a cookie: a reload keeps it.
  await page.reload();
  await page.waitForSelector('#card-recorded .value', { timeout: 20000 }).catch(() => fail('a reload lost the session'));
  if (await page.isVisible('#login-name')) await fail('a reload asks for a login again');
  // A write without the token is refused, even in the session.
  const probe = await page.evaluate(async () => {
    const r = await fetch('/api/traverse', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: 'point,bearing,unit,reference,distance_m,coordinates\n' });
    return { status: r.status, body: await r.json().catch(() => null) };
  });
  if (probe.status !== 403 || !probe.body || probe.body.error !== 'csrf') await fail('a write without the CSRF token got ' + JSON.stringify(probe));
  login = { whoami, refused };
}

step('map');
await page.goto(base + '/#/map');
await idle();
if (!accounts) {
  if (await page.isVisible('#login-name')) await fail('a local register asks for a login');
  if (await page.isVisible('#logout')) await fail('a local register has a logout button');
  const who = (await page.textContent('#whoami')).trim();
  if (who !== 'local') await fail(`the header says ${JSON.stringify(who)}, not local`);
  if ((await visibleNav()) !== 11) await fail(`a local register offers ${await visibleNav()} views, not 11`);
}
await page.waitForFunction(() => window.safegroundMap.queryRenderedFeatures({ layers: ['hazards-fill'] }).length > 0, null, { timeout: 60000 })
  .catch(() => fail('no hazard is drawn on the map'));
const drawn = await page.evaluate(() => ({
  hazards: window.safegroundMap.queryRenderedFeatures({ layers: ['hazards-fill'] }).length,
  districts: window.safegroundMap.queryRenderedFeatures({ layers: ['districts-fill'] }).length,
  finds: window.safegroundMap.queryRenderedFeatures({ layers: ['eo-finds'] }).length,
}));
if (drawn.districts === 0) await fail('no district is drawn');
if (!(await page.isVisible('#legend'))) await fail('no legend');
// It opens on the contaminated ground: all of it in view, closer than the whole country.
const opened = await page.evaluate(async () => {
  const e = (await (await fetch('/api/extent')).json()).hazards;
  const m = window.safegroundMap;
  const b = m.getBounds();
  const country = m.cameraForBounds([[44.7, 38.3], [50.9, 41.95]]).zoom;
  return { e, inside: b.getWest() <= e[0] && b.getSouth() <= e[1] && b.getEast() >= e[2] && b.getNorth() >= e[3], zoom: m.getZoom(), country };
});
if (!opened.e || !opened.inside || opened.zoom < opened.country) await fail('the map does not open on the hazards: ' + JSON.stringify(opened));
// The legend folds away and back.
await page.click('#legend-toggle');
if (await page.isVisible('#legend-body')) await fail('the legend does not fold');
await page.click('#legend-toggle');
if (!(await page.isVisible('#legend-body'))) await fail('the legend does not unfold');
// The position under the cursor, in DMS and MGRS, as GeographicLib's GeoConvert writes MGRS.
const canvas = await page.locator('#map canvas').boundingBox();
// A whole pixel of the page; the canvas may start at a fraction of one.
const [px, py] = [Math.round(canvas.x + canvas.width / 3), Math.round(canvas.y + canvas.height / 3)];
await page.mouse.move(px, py);
await page.waitForFunction(() => document.querySelector('#cursor').textContent.length > 0, null, { timeout: 5000 })
  .catch(() => fail('no position under the cursor'));
const under = await page.evaluate(([x, y]) => {
  const r = window.safegroundMap.getCanvas().getBoundingClientRect();
  return window.safegroundMap.unproject([x - r.left, y - r.top]);
}, [px, py]);
const shown = await page.textContent('#cursor');
const grid = shown.split(' · ')[1].replace(/ /g, '');
const oracle = execFileSync('GeoConvert', ['-m', '-p', '0'], { input: `${under.lat} ${under.lng}\n` }).toString().trim();
const digits = (g) => [Number(g.slice(-10, -5)), Number(g.slice(-5))];
const [ours, theirs] = [digits(grid), digits(oracle)];
if (grid.slice(0, -10) !== oracle.slice(0, -10) || Math.abs(ours[0] - theirs[0]) > 1 || Math.abs(ours[1] - theirs[1]) > 1) {
  await fail(`the cursor says ${grid}, GeoConvert ${oracle} for ${under.lat} ${under.lng}`);
}
const [latText] = shown.split(' ');
const [d, m, s] = latText.match(/[\d.]+/g).map(Number);
if (Math.abs(d + m / 60 + s / 3600 - under.lat) > 0.06 / 3600) await fail(`the cursor's latitude ${latText} is not ${under.lat}`);
await page.screenshot({ path: `${out}/map.png` });
await accessible('map');

step('open a hazard');
const hazard = await page.evaluate(async () => {
  const list = await (await fetch('/api/hazards?per_page=1')).json();
  const h = await (await fetch('/api/hazards/' + list.items[0].code)).json();
  const pts = h.geometry.coordinates.flat(2);
  const xs = pts.map((p) => p[0]); const ys = pts.map((p) => p[1]);
  return { code: h.code, bounds: [[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], first: pts[0] };
});
await page.evaluate((b) => window.safegroundMap.fitBounds(b, { padding: 150, duration: 0 }), hazard.bounds);
await idle();
// Click inside the hazard: the rendered polygon's pixel nearest the bbox centre.
const target = await page.evaluate((code) => {
  const m = window.safegroundMap;
  const c = m.getCanvas();
  for (let r = 0; r < 200; r += 4) {
    for (let a = 0; a < 360; a += 20) {
      const x = c.clientWidth / 2 + r * Math.cos(a * Math.PI / 180); const y = c.clientHeight / 2 + r * Math.sin(a * Math.PI / 180);
      const f = m.queryRenderedFeatures([x, y], { layers: ['hazards-fill'] }).find((f) => f.properties.code === code);
      if (f) return { x, y };
    }
  }
  return null;
}, hazard.code);
if (!target) await fail(`hazard ${hazard.code} is not drawn where it lies`);
const box = await page.locator('#map canvas').boundingBox();
await page.mouse.click(box.x + target.x, box.y + target.y);
await page.waitForSelector('#hazard-title', { timeout: 20000 }).catch(() => fail('clicking a hazard opened nothing'));
const title = await page.textContent('#hazard-title');
const versions = await page.locator('#hazard-history tr').count();
if (title.trim() !== hazard.code) await fail(`the panel shows ${title}, not ${hazard.code}`);
if (versions < 2) await fail('the hazard has no history rows');
await page.screenshot({ path: `${out}/hazard.png` });
await accessible('hazard');

step('residual contamination on the map');
const residual = await page.evaluate(async () => (await (await fetch('/api/residuals')).json())[0]);
if (!residual) await fail('the demo holds no residual contamination');
await page.evaluate((r) => window.safegroundMap.jumpTo({ center: [r.lon, r.lat], zoom: 15 }), residual);
await idle();
await page.waitForFunction(() => window.safegroundMap.queryRenderedFeatures({ layers: ['residuals'] }).length > 0, null, { timeout: 30000 })
  .catch(() => fail('the residual find is not drawn'));
const ring = await page.evaluate((r) => window.safegroundMap.project([r.lon, r.lat]), residual);
await page.mouse.click(box.x + ring.x, box.y + ring.y);
await page.waitForFunction((task) => document.querySelector('#panel').textContent.includes(task), residual.task, { timeout: 20000 })
  .catch(() => fail('clicking the residual find does not show its investigation task'));

step('priorities on the map');
const first = await page.evaluate(async () => (await (await fetch('/api/priorities?top=1')).json()).ranked[0]);
if (!first) await fail('nothing is ranked');
await page.evaluate((r) => window.safegroundMap.jumpTo({ center: r.at, zoom: 13 }), first);
await idle();
await page.waitForFunction(() => window.safegroundMap.getLayer('priorities') && window.safegroundMap.queryRenderedFeatures({ layers: ['priorities'] }).length > 0, null, { timeout: 30000 })
  .catch(() => fail('the ranking is not marked on the map'));
const mark = await page.evaluate((r) => window.safegroundMap.project(r.at), first);
await page.mouse.click(box.x + mark.x, box.y + mark.y);
await page.waitForFunction((code) => (document.querySelector('#priority-title') || { textContent: '' }).textContent.includes(code), first.code, { timeout: 20000 })
  .catch(() => fail('clicking the first priority does not explain it'));

step('find, measure and print on the map');
// Find: a hazard by its code opens it; a district by name brings it into view.
await page.fill('#find-q', hazard.code);
await page.waitForSelector('#find-results button[data-kind=hazard]', { timeout: 20000 }).catch(() => fail(`searching ${hazard.code} finds no hazard`));
await page.press('#find-q', 'Enter');
await page.waitForFunction((code) => (document.querySelector('#hazard-title') || { textContent: '' }).textContent.trim() === code, hazard.code, { timeout: 20000 })
  .catch(() => fail(`finding ${hazard.code} does not open it`));
const district = await page.evaluate(async () => (await (await fetch('/api/reference')).json()).districts[0]);
await page.fill('#find-q', district.name.slice(0, 4).toUpperCase());
await page.waitForSelector('#find-results button[data-kind=district]', { timeout: 20000 }).catch(() => fail(`searching ${district.name} finds no district`));
await page.click('#find-results button[data-kind=district]');
await idle();
const districtInView = await page.evaluate(() => window.safegroundMap.getZoom());
if (!(districtInView > 6)) await fail('finding a district does not go to it: zoom ' + districtInView);
// Measure: three points placed by clicks, their line and polygon measured
// on the ellipsoid, as GeographicLib's Planimeter measures the same points.
await page.click('#measure');
if ((await page.getAttribute('#measure', 'aria-pressed')) !== 'true') await fail('the measure button is not pressed');
const canvasBox = await page.locator('#map canvas').boundingBox();
const clicks = [[0.3, 0.6], [0.6, 0.6], [0.6, 0.3]].map(([fx, fy]) => [Math.round(canvasBox.x + canvasBox.width * fx), Math.round(canvasBox.y + canvasBox.height * fy)]);
for (const [x, y] of clicks) await page.mouse.click(x, y);
await page.waitForFunction(() => document.querySelector('#measure-result').dataset.points === '3', null, { timeout: 10000 })
  .catch(async () => fail('three clicks did not make three points: ' + (await page.textContent('#measure-result'))));
const measured = await page.evaluate((pts) => {
  const r = window.safegroundMap.getCanvas().getBoundingClientRect();
  const ll = pts.map(([x, y]) => window.safegroundMap.unproject([x - r.left, y - r.top]).wrap());
  const d = document.querySelector('#measure-result').dataset;
  return { points: ll.map((p) => [p.lat, p.lng]), length: Number(d.length), area: Number(d.area), perimeter: Number(d.perimeter), text: document.querySelector('#measure-result').textContent };
}, clicks);
const lines = measured.points.map(([lat, lng]) => `${lat} ${lng}`).join('\n') + '\n';
const [, polyPerimeter, polyArea] = execFileSync('Planimeter', ['-p', '9'], { input: lines }).toString().trim().split(/\s+/).map(Number);
const [, lineLength] = execFileSync('Planimeter', ['-l', '-p', '9'], { input: lines }).toString().trim().split(/\s+/).map(Number);
const near = (a, b) => Math.abs(a - b) <= 1e-6 * Math.abs(b) + 1e-6;
if (!near(measured.length, lineLength) || !near(measured.perimeter, polyPerimeter) || !near(measured.area, Math.abs(polyArea))) {
  await fail(`measured ${JSON.stringify(measured)}; Planimeter: line ${lineLength} m, perimeter ${polyPerimeter} m, area ${polyArea} m²`);
}
if (!/ha|m²/.test(measured.text)) await fail('the measure says no area: ' + measured.text);
// While measuring, a click on a hazard places a point and opens nothing.
await page.screenshot({ path: `${out}/map-measure.png` });
await page.click('#measure');
await page.click('#measure-clear');
if (await page.isVisible('#measure-result')) await fail('the measure stays after clearing');
// Print: an A3 sheet across of the view (the contaminated ground), with the
// title asked for, the legend, a scale bar and a north arrow, as poppler reads it.
await page.evaluate(async () => {
  const e = (await (await fetch('/api/extent')).json()).hazards;
  window.safegroundMap.fitBounds([[e[0], e[1]], [e[2], e[3]]], { duration: 0 });
});
await page.click('#print summary');
await page.selectOption('#print-form [name=paper]', 'A3');
await page.fill('#print-form [name=title]', 'Browser test — Ağdam sheet');
await accessible('map-tools');
const [sheetDownload] = await Promise.all([page.waitForEvent('download'), page.click('#print-make')]);
const sheetPath = `${out}/map-sheet.pdf`;
await sheetDownload.saveAs(sheetPath);
const info = execFileSync('pdfinfo', [sheetPath]).toString();
if (!/Pages:\s+1\b/.test(info) || !/Page size:\s+1190\.55 x 841\.89 pts/.test(info)) await fail('the sheet is not one A3 page across: ' + info);
const sheetText = execFileSync('pdftotext', ['-layout', sheetPath, '-']).toString();
for (const want of ['Browser test — Ağdam sheet', 'Open', 'N', 'WGS 84']) {
  if (!sheetText.includes(want)) await fail(`the sheet lacks "${want}": ${sheetText.slice(0, 400)}`);
}
if (!/\d+ (m|km)\b/.test(sheetText)) await fail('the sheet has no scale bar label: ' + sheetText.slice(0, 400));

step('dashboard');
await page.goto(base + '/#/dashboard');
await page.waitForSelector('#card-recorded .value');
const before = await page.textContent('#card-recorded .value');
if ((await page.locator('#priorities tr').count()) < 2) await fail('the dashboard lists no priority');
if ((await page.locator('#ncr-rates tr').count()) < 2) await fail('the dashboard has no non-conformity rates');
// Investigations not concluded: a header and a row (one, or "none").
if ((await page.locator('#investigations tr').count()) < 2) await fail('the dashboard has no investigations table');
const charts = await page.locator('.chart svg').count();
const bars = await page.locator('.chart svg rect.bar').count();
if (charts < 5 || bars < 10) await fail(`the dashboard has ${charts} charts and ${bars} bars`);
// The land-release indicators per operator and per month, each with its total row.
const kpiRows = await page.locator('#kpi-organisation tr').count();
const monthRows = await page.locator('#kpi-month tr').count();
if (kpiRows < 3 || monthRows < 3) await fail(`the indicators have ${kpiRows} and ${monthRows} rows`);
// The accreditations ending within 30 days: a header and a row (one, or "none").
const accreditationRows = await page.locator('#accreditations-expiring tr').count();
if (accreditationRows < 2) await fail(`the expiring accreditations table has ${accreditationRows} rows`);
await page.screenshot({ path: `${out}/dashboard.png`, fullPage: true });
await accessible('dashboard');
// The ranking shown, sealed; its first two hazards tasked to an operator.
// The demo holds a sealed ranking already: wait for today's to take its place.
await page.click('#ranking-seal button[type=submit]');
const sealedToday = `RANK-${new Date().toISOString().slice(0, 10)}-`;
await page.waitForFunction((code) => (document.querySelector('#priority-block .note') || {}).textContent?.includes(code)
  && document.querySelector('#ranking-tasks'), sealedToday, { timeout: 30000 })
  .catch(async () => fail('the ranking was not sealed: ' + (await page.textContent('#priority-block'))));
// Its first twenty: the demo tasks most hazards already, so some of them may hold a task.
await page.fill('#ranking-tasks [name=top]', '20');
await page.fill('#ranking-tasks [name=organisation]', 'QHD');
await page.click('#ranking-tasks button[type=submit]');
await page.waitForFunction(() => {
  const m = document.querySelector('#priority-message');
  return !m.classList.contains('error') && /^(Issued: T-|None issued)/.test(m.textContent);
}, null, { timeout: 20000 })
  .catch(async () => fail('tasking from the ranking failed: ' + (await page.textContent('#priority-message'))));

step('register');
// Searched by code: that hazard alone, which opens beside the table; sorted
// by the ground remaining, largest first.
await page.goto(base + '/#/register');
await page.waitForSelector('#register-list tr[data-code]', { timeout: 20000 }).catch(() => fail('the register lists no hazard'));
const all = await page.textContent('#register-count');
await page.fill('#register-filter [name=q]', hazard.code.toLowerCase());
await page.waitForFunction(() => document.querySelectorAll('#register-list tr[data-code]').length === 1, null, { timeout: 20000 })
  .catch(async () => fail('searching by code did not find one hazard: ' + (await page.textContent('#register-count'))));
await page.click(`#register-list tr[data-code="${hazard.code}"]`);
await page.waitForFunction((code) => (document.querySelector('#register-detail #hazard-title') || {}).textContent === code, hazard.code, { timeout: 20000 })
  .catch(() => fail('the hazard did not open beside the table'));
// Its page: a map of it, and its life as a timeline, newest first, with the
// report behind its first version in it.
await page.waitForSelector('#register-detail #hazard-map canvas', { timeout: 20000 }).catch(() => fail('the hazard page has no map'));
const life = await page.evaluate(() => [...document.querySelectorAll('#register-detail #hazard-timeline li')].map((li) => ({ kind: li.dataset.kind, day: li.querySelector('time').getAttribute('datetime') })));
const lifeReports = await page.evaluate(async (code) => (await (await fetch(`/api/reports?hazard=${code}`)).json()).total, hazard.code);
if (!life.some((e) => e.kind === 'version') || life.filter((e) => e.kind === 'report').length !== lifeReports || lifeReports < 1) {
  await fail(`the timeline holds ${JSON.stringify(life)}; the hazard has ${lifeReports} reports`);
}
if (life.some((e, i) => i > 0 && e.day > life[i - 1].day)) await fail('the timeline is not newest first: ' + JSON.stringify(life));
await page.fill('#register-filter [name=q]', '');
await page.selectOption('#register-filter [name=sort]', 'remaining');
await page.waitForFunction((before) => document.querySelector('#register-count').textContent === before
  && document.querySelector('#register-list[data-sort="remaining"][data-q=""]'), all, { timeout: 20000 })
  .catch(async () => fail('clearing the search did not list them all again: ' + (await page.textContent('#register-count'))));
const remaining = await page.evaluate(() => [...document.querySelectorAll('#register-list tr[data-code] td.num')].map((td) => Number(td.textContent.replace(/[^\d.]/g, ''))));
if (remaining.some((v, i) => i > 0 && v > remaining[i - 1])) await fail('the register is not sorted by ground remaining: ' + remaining.slice(0, 5));
await page.screenshot({ path: `${out}/register.png`, fullPage: true });
await accessible('register');
// The other records, paged by the database: EO finds, then accidents, each
// opening beside the table.
for (const layer of ['eo_finds', 'accidents', 'eore_sessions']) {
  await page.selectOption('#register-show', layer);
  await page.waitForSelector(`#records-list[data-layer="${layer}"] tr[data-i]`, { timeout: 20000 }).catch(() => fail(`the register lists no ${layer}`));
  const total = await page.evaluate(async (l) => (await (await fetch(`/api/records/${l}?per_page=1`)).json()).total, layer);
  const rows = await page.locator('#records-list tr[data-i]').count();
  if (rows !== Math.min(50, total) || !(await page.textContent('#records-count')).replace(/\D/g, '').endsWith(String(total))) await fail(`${layer}: ${rows} rows shown, ${total} in the register`);
  await page.click('#records-list tr[data-i="0"]');
  await page.waitForSelector('#record-detail', { timeout: 20000 }).catch(() => fail(`a row of ${layer} opens nothing`));
}
await page.screenshot({ path: `${out}/register-records.png`, fullPage: true });
await accessible('register-records');
await page.selectOption('#register-show', 'hazards');

step('tasks');
// The board: a column per status, each counted; the overdue filter keeps the
// open columns, every card late; a task issued through the form is on the
// board at once, and a refusal comes back in words.
await page.goto(base + '/#/tasks');
await page.waitForSelector('#tasks-ISSUED li.task', { timeout: 20000 }).catch(async () => fail('the board shows no issued task: ' + (await page.textContent('#tasks'))));
for (const s of ['IN_PROGRESS', 'COMPLETED']) {
  if (!(await page.locator(`#tasks-${s} li.task`).count())) await fail(`the demo has no ${s} task on the board`);
}
await page.check('#tasks-filter [name=overdue]');
await page.waitForFunction(() => !document.querySelector('#tasks-COMPLETED'), null, { timeout: 20000 }).catch(() => fail('the overdue filter kept the closed columns'));
const lateCards = await page.locator('#task-board li.task').count();
if (!lateCards) await fail('the demo shows no overdue task');
if (lateCards !== (await page.locator('#task-board li.task.overdue').count())) await fail('the overdue filter shows tasks on time');
await page.uncheck('#tasks-filter [name=overdue]');
await page.waitForSelector('#tasks-COMPLETED', { timeout: 20000 });
const openHazard = await page.evaluate(async () => (await (await fetch('/api/hazards?status=OPEN&per_page=1')).json()).items[0].code);
await page.fill('#task-issue [name=hazard]', openHazard);
await page.selectOption('#task-issue [name=organisation]', 'AMC');
await page.selectOption('#task-issue [name=activity]', 'TS');
await page.fill('#task-issue [name=due_on]', '2099-06-30');
await page.click('#task-issue button[type=submit]');
await page.waitForFunction(() => /T-/.test(document.querySelector('#task-message').textContent), null, { timeout: 20000 })
  .catch(async () => fail('the task was not issued: ' + (await page.textContent('#task-message'))));
const issuedCode = (await page.textContent('#task-message')).match(/T-[A-Z0-9-]+[A-Z0-9]/)[0];
await page.selectOption('#tasks-filter [name=organisation]', 'AMC');
await page.waitForSelector(`#tasks-ISSUED li.task[data-code="${issuedCode}"]`, { timeout: 20000 })
  .catch(async () => fail(`task ${issuedCode} is not on AMC's board: ` + (await page.textContent('#tasks-ISSUED'))));
await page.fill('#task-issue [name=due_on]', '2000-01-01');
await page.click('#task-issue button[type=submit]');
await page.waitForSelector('#task-message.error', { timeout: 20000 }).catch(() => fail('a task due before it is issued was not refused'));
if (!/before it is issued/.test(await page.textContent('#task-message'))) await fail('the refusal does not say why: ' + (await page.textContent('#task-message')));
// Called off: chosen on the board, it moves to the cancelled column.
await page.click(`#tasks-ISSUED li.task[data-code="${issuedCode}"] button.choose`);
if ((await page.inputValue('#task-cancel [name=code]')) !== issuedCode) await fail('choosing a card did not fill the cancellation form');
await page.fill('#task-cancel [name=reason]', 'operator withdrawn (browser test)');
await page.click('#task-cancel button[type=submit]');
await page.waitForSelector(`#tasks-CANCELLED li.task[data-code="${issuedCode}"]`, { timeout: 20000 })
  .catch(async () => fail(`task ${issuedCode} was not cancelled: ` + (await page.textContent('#task-cancel-message'))));
await page.screenshot({ path: `${out}/tasks.png`, fullPage: true });
await accessible('tasks');

step('data out');
// A layer downloaded as a GeoPackage that GDAL opens with every hazard in
// it; at the public level a dangerous hazard's outline is grid cells; the
// form says why a choice cannot be written.
await page.goto(base + '/#/data');
await page.waitForSelector('#export-form', { timeout: 20000 }).catch(() => fail('no export form'));
await page.selectOption('#export-form [name=layer]', 'hazards');
await page.selectOption('#export-form [name=format]', 'gpkg');
const [gpkgDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-download')]);
if (gpkgDownload.suggestedFilename() !== 'hazards.gpkg') await fail('the GeoPackage is named ' + gpkgDownload.suggestedFilename());
const gpkgPath = `${out}/hazards-download.gpkg`;
await gpkgDownload.saveAs(gpkgPath);
const hazardTotal = await page.evaluate(async () => (await (await fetch('/api/hazards?per_page=1')).json()).total);
const ogr = spawnSync('ogrinfo', ['-ro', '-so', gpkgPath, 'hazards'], { encoding: 'utf8' });
const count = Number((ogr.stdout || '').match(/Feature Count: (\d+)/)?.[1]);
if (ogr.status !== 0 || count !== hazardTotal) await fail(`GDAL reads ${count} hazards in the download, the register holds ${hazardTotal}: ${ogr.stderr}`);
await page.selectOption('#export-form [name=format]', 'geojson');
await page.selectOption('#export-form [name=level]', 'public');
const [publicDownload] = await Promise.all([page.waitForEvent('download'), page.click('#export-download')]);
const publicPath = await publicDownload.path();
const publicLayer = JSON.parse(readFileSync(publicPath, 'utf8'));
const dangerous = publicLayer.features.find((f) => ['OPEN', 'WORKED_ON'].includes(f.properties.status) && f.geometry);
// Coarsened: every corner on the 0.01° grid, which no surveyed outline keeps.
const onGrid = (v) => Math.abs(v * 100 - Math.round(v * 100)) < 1e-6;
if (!dangerous || !dangerous.geometry.coordinates.flat(Infinity).every(onGrid)) await fail('the public download keeps a dangerous outline');
// A download the server refuses says why on the page (here a district the
// register does not have, as a stale link would ask for).
await page.evaluate(() => document.querySelector('#export-download').setAttribute('href', '/api/exports/hazards?format=geojson&district=Atlantis'));
await page.click('#export-download');
await page.waitForFunction(() => /Atlantis/.test(document.querySelector('#export-problem').textContent), null, { timeout: 20000 })
  .catch(async () => fail('a refused download says nothing: ' + (await page.textContent('#export-problem'))));
await page.selectOption('#export-form [name=layer]', 'all');
if (!/xlsx/.test(await page.textContent('#export-problem')) || (await page.getAttribute('#export-download', 'href')) !== null)
  await fail('every layer as GeoJSON was offered');

step('data in');
// The GeoPackage just downloaded goes back in: every hazard is already in
// the register. A file of finds with one bad feature imports nothing and
// gives back its reject file; with "keep going" the good one goes in.
await page.setInputFiles('#import-form [name=file]', gpkgPath);
await page.selectOption('#import-form [name=layer]', 'hazards');
await page.click('#import-send');
await page.waitForFunction(() => /\d/.test(document.querySelector('#import-result')?.textContent || '') && !document.querySelector('#import-send').disabled, null, { timeout: 120000 })
  .catch(() => fail('the GeoPackage upload said nothing'));
const gpkgSaid = await page.textContent('#import-result');
if (!gpkgSaid.includes(`already in the register ${hazardTotal.toLocaleString('en')}`) || !gpkgSaid.includes('imported 0')) await fail('the GeoPackage upload: ' + gpkgSaid);
const find = (props, coordinates) => ({ type: 'Feature', properties: { category: 'UXO', eo_type: 'OF-482M', disposal: 'DESTROYED_IN_SITU', found_on: '2024-05-01', organisation: 'ANAMA', ...props }, geometry: { type: 'Point', coordinates } });
const findsFile = { name: 'field-finds.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(JSON.stringify({ type: 'FeatureCollection', features: [find({}, [46.92, 39.96]), find({ category: 'GRENADE' }, [46.93, 39.97])] })) };
await page.setInputFiles('#import-form [name=file]', findsFile);
await page.selectOption('#import-form [name=layer]', 'eo_finds');
await page.click('#import-send');
await page.waitForSelector('#import-result a[download]', { timeout: 60000 }).catch(() => fail('no reject file offered'));
if (!/nothing was imported/.test(await page.textContent('#import-result'))) await fail('a rejected upload does not say nothing was imported');
const [rejectDownload] = await Promise.all([page.waitForEvent('download'), page.click('#import-result a[download]')]);
const rejected = JSON.parse(readFileSync(await rejectDownload.path(), 'utf8'));
if (rejectDownload.suggestedFilename() !== 'field-finds.rejects.geojson' || rejected.features.length !== 1 || !/GRENADE/.test(rejected.features[0].properties.sg_reject))
  await fail('the reject file: ' + JSON.stringify(rejected));
await page.check('#import-form [name=keep_going]');
await page.click('#import-send');
await page.waitForFunction(() => /imported 1,/.test(document.querySelector('#import-result')?.textContent || ''), null, { timeout: 60000 })
  .catch(async () => fail('keep going imported nothing: ' + await page.textContent('#import-result')));
// Reference data: the organisations with their counts; an administrator adds one.
await page.waitForSelector('#organisation-table tr[data-acronym="AEST"]', { timeout: 20000 }).catch(() => fail('no organisations listed'));
await page.fill('#organisation-add [name=acronym]', 'FSD');
await page.fill('#organisation-add [name=name]', 'Fondation suisse de déminage');
await page.fill('#organisation-add [name=country]', 'CH');
await page.click('#organisation-send');
await page.waitForSelector('#organisation-table tr[data-acronym="FSD"]', { timeout: 20000 })
  .catch(async () => fail('the organisation was not added: ' + (await page.textContent('#organisation-message'))));
await page.screenshot({ path: `${out}/data.png`, fullPage: true });
await accessible('data');

step('victim assistance');
// The demo's administrator holds the personal-data permission: the view is
// offered; a follow-up is recorded for a victim whose consent is in force.
if (!(await page.isVisible('header nav a[href="#/victims"]'))) await fail('victim assistance is not offered to an account with the personal-data permission');
await page.goto(base + '/#/victims');
await page.waitForSelector('#victim-list tr[data-id]', { timeout: 20000 }).catch(() => fail('no victims listed'));
const consenting = page.locator('#victim-list tr[data-id]').filter({ hasNotText: 'no consent in force' }).first();
await consenting.click();
await page.waitForSelector('#assist-form', { timeout: 20000 }).catch(() => fail('no follow-up form for an IM officer'));
const followUps = await page.locator('#victim-follow-ups tr').count();
await page.selectOption('#assist-form [name=kind]', 'PSYCHOSOCIAL');
await page.fill('#assist-form [name=provider]', 'Community mental health centre (browser test)');
await page.click('#assist-form button[type=submit]');
await page.waitForFunction((n) => document.querySelectorAll('#victim-follow-ups tr').length === n + 1, followUps, { timeout: 20000 })
  .catch(async () => fail('the follow-up was not recorded: ' + (await page.textContent('#victim-detail'))));
await page.screenshot({ path: `${out}/victims.png`, fullPage: true });
await accessible('victims');

step('non-conformities');
// The demo's: an open one answered, then closed once verified.
await page.goto(base + '/#/ncrs');
await page.waitForSelector('#ncr-list tr[data-code]', { timeout: 20000 }).catch(() => fail('no non-conformities listed'));
const openNcr = page.locator('#ncr-list tr[data-code]').filter({ hasNotText: 'closed' }).first();
const ncrCode = await openNcr.getAttribute('data-code');
await openNcr.click();
await page.waitForSelector('#ncr-answer', { timeout: 20000 }).catch(() => fail('no answer form for an administrator'));
await page.fill('#ncr-answer [name=root_cause]', 'detector not checked after a battery change (browser test)');
await page.fill('#ncr-answer [name=corrective]', 'test piece check added to the start-of-lane drill');
await page.click('#ncr-answer button[type=submit]');
await page.waitForFunction(() => /browser test/.test(document.querySelector('#ncr-detail').textContent), null, { timeout: 20000 })
  .catch(async () => fail('the answer was not recorded: ' + (await page.textContent('#ncr-detail'))));
await page.fill('#ncr-close [name=verification]', 'lane re-inspected (browser test)');
await page.click('#ncr-close button[type=submit]');
await page.waitForFunction((code) => /closed/.test(document.querySelector(`#ncr-list tr[data-code="${code}"]`).textContent), ncrCode, { timeout: 20000 })
  .catch(async () => fail('the non-conformity was not closed: ' + (await page.textContent('#ncr-detail'))));
if (!(await page.isVisible('#inspection-list'))) await fail('the inspections are not listed below the non-conformities');
// An inspection through the form.
// A QC sample of released ground, its corners typed as positions, drawn by
// the server's traverse and submitted through the form; approval's dry run
// accepts it, and the report waits in the queue.
const released = await page.evaluate(async () => (await (await fetch('/api/layers/released_areas')).json()).features);
// A point 2 m or more inside a ring (ray casting), on a 20 × 20 grid over its box.
const inside = ([x, y], rings) => {
  let c = false;
  for (const ring of rings) for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]; const [xj, yj] = ring[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) c = !c;
  }
  return c;
};
const lane = (g) => {
  const rings = g.type === 'Polygon' ? g.coordinates : g.coordinates[0];
  const xs = rings[0].map((p) => p[0]); const ys = rings[0].map((p) => p[1]);
  const d = 0.00002;
  for (let a = 1; a < 20; a++) for (let b = 1; b < 20; b++) {
    const x = Math.min(...xs) + ((Math.max(...xs) - Math.min(...xs)) * a) / 20;
    const y = Math.min(...ys) + ((Math.max(...ys) - Math.min(...ys)) * b) / 20;
    const corners = [[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d]];
    if (corners.every((p) => inside(p, rings))) return corners;
  }
  return null;
};
const toInspect = released.map((f) => ({ f, corners: f.geometry && lane(f.geometry) })).find((c) => c.corners && c.f.properties.outcome === 'CLEARED');
if (!toInspect) await fail('no cleared ground in the demo to inspect');
await page.waitForSelector('#inspection-form', { timeout: 20000 }).catch(() => fail('no inspection form for an administrator'));
await page.selectOption('#inspection-form [name=organisation]', 'NQMU');
await page.fill('#inspection-form [name=hazard]', toInspect.f.properties.hazard);
await page.press('#inspection-form [name=hazard]', 'Tab');
const groundBox = `#inspection-ground-list input[value="${toInspect.f.properties.id}"]`;
await page.waitForSelector(groundBox, { timeout: 20000 }).catch(async () => fail('the hazard\'s released ground is not offered: ' + (await page.textContent('#inspection-ground'))));
await page.check(groundBox);
await page.fill('#inspection-form [name=items]', '0');
await page.fill('#inspection-form [name=findings]', 'lane re-searched, no signal (browser test)');
await page.fill('#inspection-form [name=sample]', toInspect.corners.map(([x, y]) => `${y.toFixed(7)}, ${x.toFixed(7)}`).join('\n'));
await page.waitForFunction(() => /m²/.test(document.querySelector('#inspection-sample').textContent), null, { timeout: 20000 })
  .catch(async () => fail('the sample was not computed: ' + (await page.textContent('#inspection-sample'))));
await page.click('#inspection-form button[type=submit]');
await page.waitForSelector('#inspection-submitted', { timeout: 20000 })
  .catch(async () => fail('the inspection was not submitted: ' + (await page.textContent('#inspection-result'))));
const inspectionId = (await page.textContent('#inspection-submitted')).match(/[0-9a-f-]{36}/)?.[0];
const dryRun = await page.evaluate(async (id) => {
  const me = await (await fetch('/api/me')).json();
  const headers = { 'Content-Type': 'application/json', ...(me.csrf ? { 'X-CSRF-Token': me.csrf } : {}) };
  return (await fetch(`/api/reports/${id}/check`, { method: 'POST', headers, body: '{}' })).json();
}, inspectionId);
if (!dryRun.approvable) await fail('the inspection would be refused: ' + JSON.stringify(dryRun.problems));
const inspectionReport = await page.evaluate(async (id) => (await (await fetch(`/api/reports/${id}`)).json()), inspectionId);
const sent = inspectionReport.body?.inspection ?? {};
if (sent.kind !== 'QC' || sent.result !== 'PASS' || !sent.sample || String(sent.inspected) !== toInspect.f.properties.id)
  await fail('the inspection report is not what the form said: ' + JSON.stringify(sent));
await page.screenshot({ path: `${out}/ncrs.png`, fullPage: true });
await accessible('ncrs');

step('investigations');
// One opened into an accident that has none, convened, concluded with a
// recommendation, which is raised as a non-conformity.
await page.goto(base + '/#/investigations');
await page.waitForSelector('#investigation-list tr[data-code]', { timeout: 20000 }).catch(() => fail('no investigations listed'));
await page.waitForSelector('#investigation-open', { timeout: 20000 }).catch(() => fail('no form to open an investigation'));
await page.click('#investigation-open button[type=submit]');
await page.waitForSelector('#investigation-board', { timeout: 20000 })
  .catch(async () => fail('the investigation was not opened: ' + (await page.textContent('#investigation-opened'))));
const inquiry = (await page.textContent('#investigation-opened')).match(/BOI-\d{4}-\d+/)[0];
await page.fill('#investigation-board [name=members]', 'A. Mammadov (ANAMA, chair)\nO. Kovalenko (NQMU, QM)');
await page.click('#investigation-board button[type=submit]');
await page.waitForSelector('#investigation-conclusion', { timeout: 20000 })
  .catch(async () => fail('the board was not convened: ' + (await page.textContent('#investigation-detail'))));
await page.fill('#investigation-conclusion [name=findings]', 'the prodder was used at too steep an angle (browser test)');
await page.fill('#investigation-conclusion [name=recommendations]', 'retrain the team on prodding angles');
await page.click('#investigation-conclusion button[type=submit]');
await page.waitForSelector('#recommendations form.raise', { timeout: 20000 })
  .catch(async () => fail('the conclusion was not recorded: ' + (await page.textContent('#investigation-detail'))));
await page.fill('#recommendations form.raise [name=organisation]', 'QHD');
await page.click('#recommendations form.raise button[type=submit]');
await page.waitForFunction(() => /NCR-\d{4}-\d{4}/.test(document.querySelector('#recommendations').textContent), null, { timeout: 20000 })
  .catch(async () => fail('the recommendation was not raised: ' + (await page.textContent('#investigation-detail'))));
if (!/concluded/.test(await page.textContent(`#investigation-list tr[data-code="${inquiry}"]`))) await fail('the list does not say the investigation is concluded');
await page.screenshot({ path: `${out}/investigations.png`, fullPage: true });
await accessible('investigations');

step('survey');
await page.goto(base + '/#/survey');
await page.waitForSelector('#survey');
await page.fill('[name=name]', 'Orchard north of the canal (browser test)');
await page.selectOption('[name=district]', { label: 'Ağdam (Agdam)' }).catch(async () => page.selectOption('[name=district]', { index: 0 }));
await page.check('[name=contamination][value=AP]');
await page.fill('#benchmark', '39.9310 N 46.9260 E');
const legs = page.locator('tr.leg');
const fillLeg = async (i, bearing, distance) => {
  const row = legs.nth(i);
  await row.locator('[name=bearing]').fill(String(bearing));
  await row.locator('[name=distance]').fill(String(distance));
};
await fillLeg(0, 45, 30);
await fillLeg(1, 90, 120);
await fillLeg(2, 180, 100);
await fillLeg(3, 270, 120);
await page.click('#add-leg');
await legs.nth(4).locator('[name=point]').fill('SP');
await fillLeg(4, 0, 100.4);
await page.waitForFunction(() => /0\.\d\d m/.test(document.querySelector('#closure').textContent), null, { timeout: 20000 })
  .catch(async () => fail('no closure error shown: ' + (await page.textContent('#survey'))));
const closure = await page.textContent('#closure');
await page.waitForFunction(() => window.safegroundMap, null, { timeout: 5000 }).catch(() => {});
// The team's photograph (EXIF position and time: fixtures/attachments/make.sh) and sketch go with it.
const fixture = (name) => fileURLToPath(new URL(`../../fixtures/attachments/${name}`, import.meta.url));
await page.setInputFiles('#survey-files', [fixture('find.jpg'), fixture('sketch.png')]);
await page.screenshot({ path: `${out}/survey.png` });
await accessible('survey');
await page.click('#submit-survey');
await page.waitForSelector('#survey-submitted', { timeout: 20000 }).catch(async () => fail('the survey was not submitted: ' + (await page.textContent('#survey-result'))));
await page.waitForSelector('#survey-files-sent', { timeout: 20000 }).catch(async () => fail('the files were not attached: ' + (await page.textContent('#survey-result'))));
const submitted = await page.textContent('#survey-submitted');
const id = submitted.match(/[0-9a-f-]{36}/)[0];

step('approve from the queue');
await page.goto(base + '/#/queue');
await page.waitForSelector(`.item[data-id="${id}"]`, { timeout: 20000 }).catch(() => fail('the report is not in the queue'));
await page.click(`.item[data-id="${id}"]`);
await page.waitForSelector('#checks', { timeout: 20000 });
const checks = await page.textContent('#checks');
// Its files: the photograph's thumbnail loads, with where it was taken against the survey.
await page.waitForSelector('#attachments .attachment', { timeout: 20000 }).catch(() => fail('the report\'s files are not shown'));
await page.waitForFunction(() => [...document.querySelectorAll('#attachments img')].some((i) => i.complete && i.naturalWidth > 0), null, { timeout: 20000 })
  .catch(async () => fail('the photograph\'s thumbnail did not load: ' + (await page.innerHTML('#attachments'))));
const files = await page.textContent('#attachments');
if (!/find\.jpg/.test(files) || !/sketch\.png/.test(files) || !/2024-07-01T10:22:33/.test(files) || !/ m /.test(files)) await fail('the files are not described: ' + files);
await page.waitForTimeout(500);
await page.screenshot({ path: `${out}/queue.png` });
await accessible('queue');
if (!(await page.isEnabled('#approve'))) await fail('approval is refused: ' + checks);
await page.click('#approve');
await page.waitForSelector('#decision .message.info', { timeout: 20000 }).catch(async () => fail('approval failed: ' + (await page.textContent('#decision'))));
// Reports in any state are listed too, read only: the one just approved
// among the approved.
await page.selectOption('#queue-state', 'APPROVED');
await page.waitForSelector(`.item[data-id="${id}"]`, { timeout: 20000 }).catch(() => fail('the approved report is not listed among the approved'));
await page.click(`.item[data-id="${id}"]`);
await page.waitForFunction(() => document.querySelector('#report-state'), null, { timeout: 20000 });
if (!/approved/i.test(await page.textContent('#report-state')) || (await page.isVisible('#approve'))) await fail('an approved report is offered for approval');

// A report a field copy sent home on ground changed meanwhile (tests/web.rs
// made it): the officer reads what changed before deciding.
if (flagged) {
  step('a report from a field copy, flagged');
  await page.selectOption('#queue-state', 'SUBMITTED');
  await page.waitForSelector(`.item[data-id="${flagged}"]`, { timeout: 20000 }).catch(() => fail('the report from the field copy is not in the queue'));
  await page.click(`.item[data-id="${flagged}"]`);
  await page.waitForSelector('#sync-flags', { timeout: 20000 }).catch(async () => fail('the field copy\'s flag is not shown: ' + (await page.innerHTML('#queue-info'))));
  const flag = await page.textContent('#sync-flags');
  if (!flag.includes(flaggedHazard) || !/version \d+ then, version \d+ now/.test(flag)) await fail('the flag does not say what changed: ' + flag);
  await accessible('queue');
}

step('the new hazard\'s files');
// The survey's photograph and sketch are now the hazard's (the Related Tables
// mapping its approval wrote): its page lists them, the thumbnail loads.
const approved = await page.evaluate(async (id) => (await fetch('/api/reports/' + id)).json(), id);
const surveyed = approved.hazard || (approved.report || {}).hazard;
if (!surveyed) await fail('the approved survey names no hazard: ' + JSON.stringify(approved).slice(0, 300));
await page.goto(base + '/#/register');
await page.waitForSelector('#register-list tr[data-code]', { timeout: 20000 });
await page.fill('#register-filter [name=q]', surveyed.toLowerCase());
await page.waitForSelector(`#register-list tr[data-code="${surveyed}"]`, { timeout: 20000 }).catch(() => fail('the surveyed hazard is not in the register'));
await page.click(`#register-list tr[data-code="${surveyed}"]`);
await page.waitForSelector('#register-detail #hazard-files .attachment', { timeout: 20000 })
  .catch(async () => fail('the hazard\'s files are not shown: ' + (await page.textContent('#register-detail'))));
await page.waitForFunction(() => [...document.querySelectorAll('#hazard-files img')].some((i) => i.complete && i.naturalWidth > 0), null, { timeout: 20000 })
  .catch(async () => fail('the hazard\'s photograph did not load: ' + (await page.innerHTML('#hazard-files'))));
const hazardFiles = await page.textContent('#hazard-files');
if (!/find\.jpg/.test(hazardFiles) || !/sketch\.png/.test(hazardFiles) || !/ m from the hazard's nearest corner/.test(hazardFiles)) await fail('the hazard\'s files are not described: ' + hazardFiles);
await accessible('hazard files');

step('the dashboard changed');
await page.goto(base + '/#/dashboard');
await page.waitForSelector('#card-recorded .value');
const after = await page.textContent('#card-recorded .value');
const number = (s) => Number(s.replace(/[^0-9.]/g, ''));
if (!(number(after) > number(before))) await fail(`recorded area did not grow: ${before} → ${after}`);
await page.screenshot({ path: `${out}/dashboard-after.png`, fullPage: true });

step('accreditations');
// Recorded through the form, then suspended; the list says so. Last of the
// changes: once the register keeps an accreditation, approval asks every
// report of work for one.
await page.goto(base + '/#/accreditations');
await page.waitForSelector('#accreditation-add', { timeout: 20000 }).catch(() => fail('no accreditation form for an administrator'));
await page.fill('#accreditation-add [name=reference]', 'ACC-WEB-1');
await page.fill('#accreditation-add [name=organisation]', 'QHD');
await page.selectOption('#accreditation-add [name=capability]', 'EOD');
await page.fill('#accreditation-add [name=valid_from]', '2024-01-01');
await page.fill('#accreditation-add [name=valid_to]', '2099-12-31');
await page.click('#accreditation-add button[type=submit]');
await page.waitForSelector('#accreditation-list tr[data-reference="ACC-WEB-1"]', { timeout: 20000 })
  .catch(async () => fail('the accreditation was not recorded: ' + (await page.textContent('#accreditation-message'))));
await page.click('#accreditation-list tr[data-reference="ACC-WEB-1"]');
await page.fill('#accreditation-suspend [name=reason]', 'QC failure (browser test)');
await page.click('#accreditation-suspend button[type=submit]');
await page.waitForSelector('#accreditation-list tr[data-reference="ACC-WEB-1"].state-suspended', { timeout: 20000 })
  .catch(async () => fail('the accreditation was not suspended: ' + (await page.textContent('#accreditation-message'))));
await page.screenshot({ path: `${out}/accreditations.png`, fullPage: true });
await accessible('accreditations');

step('languages');
// Each language's catalogue is used, whole: the navigation in its words, and
// every view shown with no key of the catalogue left raw, photographed in
// each language (target/web-screenshots/LANG/VIEW.png, kept by CI).
const keys = Object.keys(JSON.parse(readFileSync(new URL('../../web/src/i18n/en.json', import.meta.url), 'utf8')));
const views = await page.evaluate(() => [...document.querySelectorAll('header nav a')].map((a) => a.getAttribute('href').slice(2)));
for (const lang of ['en', 'az', 'uk', 'ru']) {
  const catalogue = JSON.parse(readFileSync(new URL(`../../web/src/i18n/${lang}.json`, import.meta.url), 'utf8'));
  await page.selectOption('#lang', lang);
  const nav = (await page.textContent('header nav a[href="#/map"]')).trim();
  if (nav !== catalogue['nav.map']) await fail(`the ${lang} catalogue is not used: the map is "${nav}"`);
  // On a 1366×768 laptop every view the account has is on one row.
  await page.setViewportSize({ width: 1366, height: 768 });
  const rows = await page.evaluate(() => new Set([...document.querySelectorAll('header nav a')].filter((a) => a.offsetParent).map((a) => a.getBoundingClientRect().top)).size);
  if (rows !== 1) await fail(`in ${lang} the views take ${rows} rows at 1366 pixels`);
  await page.setViewportSize({ width: 1400, height: 900 });
  mkdirSync(`${out}/${lang}`, { recursive: true });
  for (const v of views) {
    await page.goto(`${base}/#/${v}`);
    await page.waitForFunction(() => { const view = document.querySelector('#view'); return view && view.textContent.trim() !== '' && !document.querySelector('#view .page > p:only-child'); }, null, { timeout: 20000 })
      .catch(() => {});
    await page.waitForLoadState('networkidle').catch(() => {});
    if (v === 'map') await idle().catch(() => {});
    const text = await page.textContent('#view');
    // The register's days and figures as the language writes them: no ISO
    // day in the table, and a decimal comma outside English.
    if (v === 'register') {
      await page.waitForSelector('#register-list tr[data-code]', { timeout: 20000 }).catch(() => fail(`the ${lang} register lists no hazard`));
      const cells = await page.evaluate(() => [...document.querySelectorAll('#register-list tr[data-code]')].map((tr) => [...tr.cells].map((c) => c.textContent)));
      const recorded = cells.map((c) => c[6]); const remaining = cells.map((c) => c[7]);
      if (recorded.some((d) => /^\d{4}-\d{2}-\d{2}$/.test(d.trim()))) await fail(`the ${lang} register writes days as ${recorded[0]}`);
      if (lang !== 'en' && !remaining.some((n) => /^\d+,\d+$/.test(n.trim()))) await fail(`the ${lang} register writes figures as ${remaining.slice(0, 3)}`);
    }
    const raw = keys.find((k) => new RegExp(`(^|[^\\w.])${k.replace(/\./g, '\\.')}($|[^\\w.])`).test(text));
    if (raw) await fail(`the ${lang} ${v} view shows a key: ${raw}`);
    await page.screenshot({ path: `${out}/${lang}/${v}.png` });
  }
}
await page.selectOption('#lang', 'en');

if (accounts) {
  step('accounts');
  // Added with a password shown once; disabled; a token issued that a
  // script reads the register with, as that account.
  await page.goto(base + '/#/accounts');
  await page.waitForSelector('#account-list tr[data-name]', { timeout: 20000 }).catch(() => fail('no accounts listed'));
  await page.fill('#account-add [name=name]', 'browser.officer');
  await page.selectOption('#account-add [name=role]', 'IM_OFFICER');
  await page.click('#account-add button[type=submit]');
  await page.waitForSelector('#account-list tr[data-name="browser.officer"]', { timeout: 20000 })
    .catch(async () => fail('the account was not added: ' + (await page.textContent('#account-message'))));
  if (!/shown once/.test(await page.textContent('#account-message'))) await fail('the new password is not shown');
  await page.click('#account-list tr[data-name="browser.officer"]');
  await page.click('#account-toggle');
  await page.waitForSelector('#account-list tr[data-name="browser.officer"].state-disabled', { timeout: 20000 })
    .catch(async () => fail('the account was not disabled: ' + (await page.textContent('#account-message'))));
  await page.click('#account-toggle');
  await page.waitForSelector('#account-list tr[data-name="browser.officer"]:not(.state-disabled)', { timeout: 20000 });
  await page.fill('#account-token [name=label]', 'browser test script');
  await page.click('#account-token button[type=submit]');
  await page.waitForFunction(() => /secret/.test(document.querySelector('#account-message').textContent), null, { timeout: 20000 })
    .catch(async () => fail('no token was issued: ' + (await page.textContent('#account-message'))));
  const secret = (await page.textContent('#account-message')).trim().split(' ').pop();
  const asScript = await page.evaluate(async (s) => (await (await fetch('/api/me', { credentials: 'omit', headers: { Authorization: `Bearer ${s}` } })).json()).name, secret);
  if (asScript !== 'browser.officer') await fail(`the token reads as ${asScript}`);
  await page.screenshot({ path: `${out}/accounts.png`, fullPage: true });
  await accessible('accounts');

  step('an operator\'s day');
  // The administrator adds a field team leader of AEST; the leader signs in,
  // sees the views of an operator, uploads the team's KoBoToolbox survey
  // export as drafts and submits one, uploads a clearance of part of one of
  // its tasks with the mine it found and submits it, and sees its own
  // organisation's tasks only; the administrator (an IM officer's work) finds
  // both in the queue and approves them: the ground is released and the find
  // is on the hazard's record.
  await page.fill('#account-add [name=name]', 'field.leader');
  await page.selectOption('#account-add [name=role]', 'OPERATOR');
  await page.selectOption('#account-add [name=organisation]', 'AEST');
  await page.click('#account-add button[type=submit]');
  await page.waitForFunction(() => /field\.leader/.test(document.querySelector('#account-message').textContent), null, { timeout: 20000 })
    .catch(async () => fail('the operator was not added: ' + (await page.textContent('#account-message'))));
  const leaderPassword = (await page.textContent('#account-message')).trim().split(' ').pop();
  await signIn('field.leader', leaderPassword);
  // Map, register, tasks, dashboard, survey, non-conformities, accreditations, data.
  if ((await visibleNav()) !== 8) await fail(`an operator is offered ${await visibleNav()} views, not 8`);
  await page.goto(base + '/#/data');
  await page.waitForSelector('#submissions-form', { timeout: 20000 }).catch(() => fail('no submissions form for an operator'));
  if (await page.isVisible('#import-form')) await fail('an operator is offered the import, which approves in its own name');
  const kobo = readFileSync(new URL('../fixtures/kobo/nts.csv', import.meta.url), 'utf8').replaceAll(';ANAMA;', ';AEST;');
  await page.setInputFiles('#submissions-form [name=file]', { name: 'aest-nts.csv', mimeType: 'text/csv', buffer: Buffer.from(kobo) });
  await page.selectOption('#submissions-form [name=form]', 'nts');
  await page.click('#submissions-send');
  await page.waitForFunction(() => /drafted 2/.test(document.querySelector('#submissions-result').textContent), null, { timeout: 60000 })
    .catch(async () => fail('the export was not drafted: ' + (await page.textContent('#submissions-result'))));
  await page.waitForSelector('#drafts tr[data-id] button.submit-draft', { timeout: 20000 }).catch(() => fail('no draft listed'));
  const draftId = await page.getAttribute('#drafts tbody tr[data-id]:has(td:text-is("AEST"))', 'data-id');
  await page.click(`#drafts tr[data-id="${draftId}"] button.submit-draft`);
  await page.waitForFunction((d) => document.querySelector('#draft-message').textContent.includes(d) && !document.querySelector(`#drafts tr[data-id="${d}"]`), draftId, { timeout: 20000 })
    .catch(async () => fail('the draft was not submitted: ' + (await page.textContent('#draft-message'))));
  // The team's clearance of a piece of one of its tasks, with the mine it
  // found, from the KoBo clearance form: inside the hazard, clear of the
  // ground already released, today.
  const clearance = await page.evaluate(async () => {
    const today = new Date().toISOString().slice(0, 10);
    const tasks = (await (await fetch('/api/tasks?status=IN_PROGRESS&per_page=1000')).json()).items
      .filter((t) => t.activity === 'CLEARANCE' && t.issued_on <= today && (!t.due_on || t.due_on >= today));
    const inside = ([x, y], ring) => {
      let c = false;
      for (let i = 1; i < ring.length; i++) {
        const [x1, y1] = ring[i - 1]; const [x2, y2] = ring[i];
        if ((y1 > y) !== (y2 > y) && x < ((x2 - x1) * (y - y1)) / (y2 - y1) + x1) c = !c;
      }
      return c;
    };
    const outer = (g) => (g.type === 'MultiPolygon' ? g.coordinates[0][0] : g.coordinates[0]);
    const released = (await (await fetch('/api/layers/released_areas')).json()).features;
    for (const task of tasks) {
      const ring = outer((await (await fetch('/api/hazards/' + task.hazard)).json()).geometry);
      const done = released.filter((f) => f.properties.hazard === task.hazard && f.geometry).map((f) => outer(f.geometry));
      const xs = ring.map((p) => p[0]); const ys = ring.map((p) => p[1]);
      const d = 0.0002;
      for (let i = 1; i < 20; i++) {
        for (let j = 1; j < 20; j++) {
          const x = Math.min(...xs) + ((Math.max(...xs) - Math.min(...xs)) * i) / 20;
          const y = Math.min(...ys) + ((Math.max(...ys) - Math.min(...ys)) * j) / 20;
          const square = [[x - d, y - d], [x + d, y - d], [x + d, y + d], [x - d, y + d]];
          if (square.every((p) => inside(p, ring)) && ![...square, [x, y]].some((p) => done.some((r) => inside(p, r)))) {
            return { task: task.code, hazard: task.hazard, today, shape: [...square, square[0]].map(([lon, lat]) => `${lat} ${lon} 0 0`).join(';'), find: `${y} ${x} 0 3` };
          }
        }
      }
    }
    return null;
  });
  if (!clearance) await fail('the operator has no clearance task with ground left to clear');
  const [header] = readFileSync(new URL('../fixtures/kobo/clearance.csv', import.meta.url), 'utf8').split('\n');
  const values = { organisation: 'AEST', task: clearance.task, start_date: clearance.today, end_date: clearance.today, method: 'MANUAL', depth_cm: '20', hours_worked: '40',
    cleared_area: clearance.shape, completion: 'no', 'finds[1]/category': 'AP', 'finds[1]/eo_type': 'PMN-2', 'finds[1]/quantity': '1', 'finds[1]/condition': 'ARMED',
    'finds[1]/disposal': 'DESTROYED_IN_SITU', 'finds[1]/location': clearance.find, 'finds[1]/found_on': clearance.today, notes: 'Cleared in the browser test',
    'meta/instanceID': 'uuid:5e0b7a1c-2d3e-4f50-8a6b-7c8d9e0f1a2b', _id: '9001', _uuid: '5e0b7a1c-2d3e-4f50-8a6b-7c8d9e0f1a2b', _submission_time: clearance.today + 'T12:00:00', __version__: 'v1', _index: '1' };
  const row = header.split(',').map((c) => values[c] || '').join(',');
  await page.setInputFiles('#submissions-form [name=file]', { name: 'aest-clearance.csv', mimeType: 'text/csv', buffer: Buffer.from(`${header}\n${row}\n`) });
  await page.selectOption('#submissions-form [name=form]', 'clearance');
  await page.click('#submissions-send');
  await page.waitForFunction(() => /drafted 1/.test(document.querySelector('#submissions-result').textContent), null, { timeout: 60000 })
    .catch(async () => fail('the clearance export was not drafted: ' + (await page.textContent('#submissions-result'))));
  const clearanceId = await page.evaluate(async () => (await (await fetch('/api/reports?state=DRAFT&per_page=1000')).json()).items.find((r) => r.type === 'CLEARANCE').id);
  await page.waitForSelector(`#drafts tr[data-id="${clearanceId}"] button.submit-draft`, { timeout: 20000 }).catch(() => fail('the clearance draft is not listed'));
  await page.click(`#drafts tr[data-id="${clearanceId}"] button.submit-draft`);
  await page.waitForFunction((d) => !document.querySelector(`#drafts tr[data-id="${d}"]`), clearanceId, { timeout: 20000 })
    .catch(async () => fail('the clearance draft was not submitted: ' + (await page.textContent('#draft-message'))));
  await page.screenshot({ path: `${out}/operator-data.png`, fullPage: true });
  await accessible('operator-data');
  await page.goto(base + '/#/tasks');
  await page.waitForSelector('#tasks li.task', { timeout: 20000 }).catch(() => fail('an operator sees no task of its own'));
  const orgs = await page.evaluate(() => [...new Set([...document.querySelectorAll('#tasks li.task')].map((li) => li.dataset.organisation))]);
  if (orgs.length !== 1 || orgs[0] !== 'AEST') await fail('an operator sees the tasks of ' + orgs.join(', '));
  await accessible('operator-tasks');
  await signIn(user, password);
  await page.goto(base + '/#/queue');
  await page.waitForSelector(`.item[data-id="${draftId}"]`, { timeout: 20000 }).catch(() => fail('the submitted draft is not in the queue'));
  await page.click(`.item[data-id="${draftId}"]`);
  await page.waitForSelector('#checks', { timeout: 20000 });
  if (!(await page.isEnabled('#approve'))) await fail('the operator\'s survey is refused: ' + (await page.textContent('#checks')));
  await page.click('#approve');
  await page.waitForSelector('#decision .message.info', { timeout: 20000 }).catch(async () => fail('approving the operator\'s survey failed: ' + (await page.textContent('#decision'))));
  // The clearance: approved, its ground released and its mine on the hazard's record.
  const findsBefore = await page.evaluate(async (code) => (await (await fetch('/api/hazards/' + code)).json()).eo_finds, clearance.hazard);
  await page.click(`.item[data-id="${clearanceId}"]`);
  await page.waitForFunction(() => document.querySelector('#checks') && document.querySelector('#approve'), null, { timeout: 20000 });
  if (!(await page.isEnabled('#approve'))) await fail('the operator\'s clearance is refused: ' + (await page.textContent('#checks')));
  await page.click('#approve');
  await page.waitForSelector('#decision .message.info', { timeout: 20000 }).catch(async () => fail('approving the clearance failed: ' + (await page.textContent('#decision'))));
  const cleared = await page.evaluate(async (code) => (await (await fetch('/api/hazards/' + code)).json()), clearance.hazard);
  if (cleared.eo_finds !== findsBefore + 1 || !cleared.released.some((r) => r.report_id === clearanceId)) await fail(`the clearance did not reach ${clearance.hazard}: ${JSON.stringify(cleared.released)}, ${cleared.eo_finds} finds`);

  step('log out');
  await page.click('#logout');
  await page.waitForSelector('#login-name', { timeout: 20000 }).catch(() => fail('logging out did not show the login form'));
  if (await page.isVisible('#logout')) await fail('a logout button after logging out');
  if ((await visibleNav()) !== 0) await fail('views are offered after logging out');
  const me = await page.evaluate(async () => (await fetch('/api/me')).status);
  if (me !== 401) await fail(`the session outlived logging out: /api/me answers ${me}`);
}

if (outside.length) await fail('requests left the server: ' + outside.join(', '));
const serious = errors.filter((e) => !/favicon/.test(e));
if (serious.length) await fail('errors in the page: ' + serious.join(' | '));
const unexpected = httpErrors.filter((e) => !expected(e));
if (unexpected.length) await fail('requests were refused: ' + unexpected.map((e) => `${e.status} ${e.url}`).join(', '));
console.log(JSON.stringify({ login, drawn, hazard: hazard.code, versions: versions - 1, closure, report: id, before, after, checks: checks.trim() }));
await browser.close();
