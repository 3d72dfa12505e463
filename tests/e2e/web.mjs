// End to end in real headless Chromium: the demo's map draws hazards with the
// network unplugged (every request that leaves this server is refused and
// counted), a hazard opens with its history, a survey is drawn and submitted,
// approved from the queue, and the dashboard changes. Screenshots go to OUT.
//
//   node web.mjs http://127.0.0.1:PORT OUT_DIR
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';

const [base, out] = process.argv.slice(2);
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
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
await page.route('**/*', (route) => {
  const url = route.request().url();
  if (url.startsWith(origin) || url.startsWith('blob:') || url.startsWith('data:')) return route.continue();
  outside.push(url);
  return route.abort();
});
const idle = () => page.waitForFunction(() => window.safegroundMap && window.safegroundMap.loaded() && !window.safegroundMap.isMoving(), null, { timeout: 60000 });
const step = (name) => console.log('step: ' + name);

step('map');
await page.goto(base + '/#/map');
await idle();
await page.waitForFunction(() => window.safegroundMap.queryRenderedFeatures({ layers: ['hazards-fill'] }).length > 0, null, { timeout: 60000 })
  .catch(() => fail('no hazard is drawn on the map'));
const drawn = await page.evaluate(() => ({
  hazards: window.safegroundMap.queryRenderedFeatures({ layers: ['hazards-fill'] }).length,
  districts: window.safegroundMap.queryRenderedFeatures({ layers: ['districts-fill'] }).length,
  finds: window.safegroundMap.queryRenderedFeatures({ layers: ['eo-finds'] }).length,
}));
if (drawn.districts === 0) await fail('no district is drawn');
if (!(await page.isVisible('#legend'))) await fail('no legend');
await page.screenshot({ path: `${out}/map.png` });

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

step('dashboard');
await page.goto(base + '/#/dashboard');
await page.waitForSelector('#card-recorded .value');
const before = await page.textContent('#card-recorded .value');
const charts = await page.locator('.chart svg').count();
const bars = await page.locator('.chart svg rect.bar').count();
if (charts < 5 || bars < 10) await fail(`the dashboard has ${charts} charts and ${bars} bars`);
await page.screenshot({ path: `${out}/dashboard.png`, fullPage: true });

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
await page.screenshot({ path: `${out}/survey.png` });
await page.click('#submit-survey');
await page.waitForSelector('#survey-submitted', { timeout: 20000 }).catch(async () => fail('the survey was not submitted: ' + (await page.textContent('#survey-result'))));
const submitted = await page.textContent('#survey-submitted');
const id = submitted.match(/[0-9a-f-]{36}/)[0];

step('approve from the queue');
await page.goto(base + '/#/queue');
await page.waitForSelector(`.item[data-id="${id}"]`, { timeout: 20000 }).catch(() => fail('the report is not in the queue'));
await page.click(`.item[data-id="${id}"]`);
await page.waitForSelector('#checks', { timeout: 20000 });
const checks = await page.textContent('#checks');
await page.waitForTimeout(500);
await page.screenshot({ path: `${out}/queue.png` });
if (!(await page.isEnabled('#approve'))) await fail('approval is refused: ' + checks);
await page.click('#approve');
await page.waitForSelector('#decision .message.info', { timeout: 20000 }).catch(async () => fail('approval failed: ' + (await page.textContent('#decision'))));

step('the dashboard changed');
await page.goto(base + '/#/dashboard');
await page.waitForSelector('#card-recorded .value');
const after = await page.textContent('#card-recorded .value');
const number = (s) => Number(s.replace(/[^0-9.]/g, ''));
if (!(number(after) > number(before))) await fail(`recorded area did not grow: ${before} → ${after}`);
await page.screenshot({ path: `${out}/dashboard-after.png`, fullPage: true });

step('languages');
await page.selectOption('#lang', 'az');
const nav = await page.textContent('header nav a[href="#/map"]');
if (nav.trim() !== 'Xəritə') await fail('the Azerbaijani catalogue is not used: ' + nav);
await page.selectOption('#lang', 'en');

if (outside.length) await fail('requests left the server: ' + outside.join(', '));
const serious = errors.filter((e) => !/favicon/.test(e));
if (serious.length) await fail('errors in the page: ' + serious.join(' | '));
console.log(JSON.stringify({ drawn, hazard: hazard.code, versions: versions - 1, closure, report: id, before, after, checks: checks.trim() }));
await browser.close();
