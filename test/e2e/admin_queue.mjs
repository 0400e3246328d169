// admin_queue.mjs: an admin at the queue in a real browser (Debian's chromium, headless, driven by
// playwright-core) on a full stack of its own seeded with 1,500 complaints: the header's "Queue",
// filtering by status and "nobody" (the filter lands in the address bar), paging forwards and
// back by the pager and by the browser's back button, ticking two complaints and assigning them
// to an agent in one go, and exporting the filter as CSV. The page's complaints are markers on its
// map, each leading to its complaint; without JavaScript the table alone is the page. TAP, one line per step; each step's
// screenshot is kept under var/test-artifacts/e2e/admin_queue/.
//
// Run by test/e2e/run.sh (which finds playwright-core under var/node); its stack and browser are
// lib/harness.mjs's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tapPlan, tapDiag, tapSteps } from './lib/tap.mjs';
import {
	artifactsOf, stackUp, stackDown, runDeadline, ctl, browseSignedIn, newPerson, explain, check,
	goto as gotoOn, submitAndLand as submitOn,
} from './lib/harness.mjs';

const artifacts = artifactsOf('admin_queue');
// The whole run is cut off here, whatever hangs; the stack is stopped on the way out.
runDeadline(480000);

const admin = { email: `ada.${process.pid}@example.test`, password: 'lantern-quietly-9-orchard' };
let browser = null;
let page = null;
const goto = (path) => gotoOn(page, path);
const submitAndLand = (form, pattern, what) => submitOn(page, form, pattern, what);

// The complaint ids of the queue's rows, in order.
async function rowIds() {
	return page.locator('table.queue tbody tr td:nth-child(2) a').allInnerTexts();
}

tapPlan(10);
const { step, shot, failures } = tapSteps(artifacts, { page: () => page, explain: () => explain(page) });
let url = null;
let firstPage = [];
let filteredUrl = null;

await step('stack', 'a full stack starts, migrated and seeded with 1,500 complaints, and an admin account', async () => {
	const started = Date.now();
	url = stackUp('admin_queue');
	// Around the stack's map centre, where its tile server has tiles.
	ctl(['seed', '--complaints', '1500', '--residents', '100', '--agents', '5', '--centre', '50.8466,4.3528'], '', 180000);
	ctl(['create-admin', '--name', 'Ada Admin', admin.email], `${admin.password}\n`);
	tapDiag(`stack at ${url} in ${Date.now() - started} ms`);
});

await step('browser', "Debian's chromium starts headless and the admin signs in", async () => {
	await browseSignedIn(url, admin, (opened) => ({ browser, page } = opened));
});

await step('queue', 'the header\'s "Queue" opens /admin: 50 complaints, counts per status, a pager', async () => {
	await Promise.all([page.waitForNavigation(), page.locator('header a[href="/admin"]').click()]);
	check(new URL(page.url()).pathname === '/admin', `the link went to ${page.url()}`);
	const ids = await rowIds();
	check(ids.length === 50, `the queue shows ${ids.length} rows, not 50`);
	const counts = await page.locator('.queue-counts a').count();
	check(counts === 6, `${counts} status counts shown, not 6`);
	check(await page.locator('a[rel=next]').count() === 1, 'no "Next" link under 1,500 complaints');
});

await step('map', "the map shows a marker for each row of the page with a position; a marker's link opens its complaint", async () => {
	await goto('/admin');
	const map = page.locator('#map');
	await map.waitFor({ state: 'visible' });
	const placed = await page.locator('table.queue tbody tr[data-marker]').evaluateAll((rows) => rows.map((row) => row.dataset.marker));
	const ids = await rowIds();
	check(placed.length > 0, `none of the ${ids.length} rows has a position`);
	const markers = map.locator('.leaflet-marker-icon');
	await page.waitForFunction((count) => document.querySelectorAll('#map .leaflet-marker-icon').length === count, placed.length)
		.catch(() => {});
	const shown = await markers.count();
	check(shown === placed.length, `${shown} markers on the map for ${placed.length} rows with a position (of ${ids.length})`);
	await shot('queue-map');
	// By keyboard, as Leaflet's markers are buttons: the popup links to one of the rows' complaints.
	await markers.first().focus();
	await page.keyboard.press('Enter');
	const link = map.locator('.leaflet-popup-content a');
	await link.waitFor({ state: 'visible' });
	const href = await link.getAttribute('href');
	const id = (href.match(/^\/complaints\/(\d+)$/) || [])[1];
	check(id && placed.includes(id), `the marker's link is ${href}, not a complaint of the page's rows`);
	await shot('queue-map-popup');
	await Promise.all([page.waitForNavigation(), link.click()]);
	check(new URL(page.url()).pathname === `/complaints/${id}`, `the link went to ${page.url()}`);
	await goto('/admin');
});

await step('no-script', 'without JavaScript the queue is its table: the same 50 rows, the map left hidden', async () => {
	const { context: noScript, page: bare } = await newPerson(browser, url, { javaScriptEnabled: false });
	try {
		await bare.goto('/signin');
		const form = bare.locator('form[action="/signin"]');
		await form.locator('[name=email]').fill(admin.email);
		await form.locator('[name=password]').fill(admin.password);
		await Promise.all([bare.waitForNavigation(), form.locator('button[type=submit]').click()]);
		const response = await bare.goto('/admin');
		check(response && response.status() === 200, `/admin answered ${response && response.status()}`);
		const rows = await bare.locator('table.queue tbody tr').count();
		check(rows === 50, `the queue shows ${rows} rows without JavaScript, not 50`);
		check(await bare.locator('#map').isHidden(), 'the map is shown without JavaScript (an empty box)');
		await bare.screenshot({ path: join(artifacts, 'queue-no-script.png'), fullPage: true, timeout: 20000 });
	} finally {
		await noScript.close().catch(() => {});
	}
});

await step('filter', 'ticking "Submitted" and choosing "Nobody" puts the filter in the address and shows only such rows', async () => {
	const form = page.locator('#queue-filter');
	await form.locator('input[name=status][value=submitted]').check();
	await form.locator('input[name=status][value=assigned]').check();
	await form.locator('select[name=agent]').selectOption('none');
	await form.locator('select[name=sort]').selectOption('filed');
	await Promise.all([page.waitForNavigation(), form.locator('button[type=submit]').click()]);
	const query = new URL(page.url()).searchParams;
	check(query.getAll('status').join(',') === 'submitted,assigned' && query.get('agent') === 'none' && query.get('sort') === 'filed',
		`the address is ${page.url()}`);
	filteredUrl = page.url();
	const statuses = await page.locator('table.queue tbody tr td:nth-child(4)').allInnerTexts();
	check(statuses.length > 0 && statuses.every((text) => /^Submitted/.test(text.trim())),
		`rows of other statuses shown: ${[...new Set(statuses)].join(', ')}`);
	const agents = await page.locator('table.queue tbody tr td:nth-child(5)').allInnerTexts();
	check(agents.every((text) => text.trim() === '—'), 'a row with an agent is shown under "Nobody"');
	firstPage = await rowIds();
});

await step('paging', 'Next shows other rows (keyset link), Previous the first ones again, and the back button returns', async () => {
	check(filteredUrl, 'no filtered queue');
	if (await page.locator('a[rel=next]').count() === 0) {
		tapDiag('the filter fits one page: going to the unfiltered queue');
		await goto('/admin');
		firstPage = await rowIds();
	}
	const before = page.url();
	await Promise.all([page.waitForNavigation(), page.locator('a[rel=next]').click()]);
	check(new URL(page.url()).searchParams.get('after'), `the next page's address ${page.url()} has no keyset position`);
	const second = await rowIds();
	check(second.length > 0 && second.every((id) => !firstPage.includes(id)), 'the next page repeats rows of the first');
	await Promise.all([page.waitForNavigation(), page.locator('a[rel=prev]').click()]);
	check(JSON.stringify(await rowIds()) === JSON.stringify(firstPage), 'Previous does not show the first page again');
	await page.goBack();
	check(JSON.stringify(await rowIds()) === JSON.stringify(second), 'the back button does not show the second page again');
	await page.goto(before);
});

await step('bulk-assign', 'ticking two waiting complaints and choosing an agent assigns both in one go', async () => {
	await page.goto(filteredUrl || '/admin?status=submitted&agent=none');
	const boxes = page.locator('table.queue tbody input[name=c]');
	check(await boxes.count() >= 2, 'fewer than two complaints to tick');
	const picked = [await boxes.nth(0).getAttribute('value'), await boxes.nth(1).getAttribute('value')];
	await boxes.nth(0).check();
	await boxes.nth(1).check();
	const form = page.locator('#bulk-assign');
	const agent = form.locator('select[name=agent] option').nth(1);
	const agentName = (await agent.innerText()).replace(/ \(\d+ open\)$/, '').trim();
	await form.locator('select[name=agent]').selectOption(await agent.getAttribute('value'));
	await submitAndLand(form, /^\/admin\/bulk-assign$/, 'bulk assignment');
	const result = (await page.locator('#bulk-result').innerText()).trim();
	check(result.startsWith(`2 assigned to ${agentName}`), `the answer says "${result}"`);
	tapDiag(`assigned ${picked.join(', ')} (id:version) to ${agentName}`);
	for (const value of picked) {
		await goto(`/complaints/${value.split(':')[0]}`);
		const text = await page.locator('main').innerText();
		check(/Assigned to an agent/.test(text), `complaint ${value} does not show its assignment`);
	}
});

await step('export', '"Export these as CSV" downloads the filter as a UTF-8 CSV with a BOM and a header row', async () => {
	await page.goto(filteredUrl || '/admin');
	const [download] = await Promise.all([page.waitForEvent('download'), page.locator('#export-link').click()]);
	const file = await download.path();
	const bytes = readFileSync(file);
	check(bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf, 'the file does not start with a UTF-8 BOM');
	const lines = bytes.toString('utf8').slice(1).split('\r\n');
	check(lines[0].startsWith('id,category,status,'), `the header row is "${lines[0]}"`);
	check(download.suggestedFilename() === 'complaints.csv', `the file is called ${download.suggestedFilename()}`);
	tapDiag(`${lines.length - 2} rows exported (the filter's count)`);
});

await step('end', 'the browser closes', async () => {
	if (browser) await browser.close();
	page = null;
});

stackDown(failures() === 0);
process.exit(failures() ? 1 : 0);
