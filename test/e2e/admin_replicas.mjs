// admin_replicas.mjs: an admin reads the replica page in a real browser (Debian's chromium,
// headless, driven by playwright-core) on a full stack of its own, over minutes of two locations
// (eu-west-1a, ap-east-1b) written into replica_observations as complaintd's timer writes them
// (test/integration/replicas_data.py makes them): the header's "Replicas" opens the last hour, a
// table per operation with both locations and every location, and a chart per operation drawn as
// inline SVG (no script: the page's CSP allows none but the site's own, and the chart needs none)
// with a bar per replica and location; "Last week" is a link that keeps the window in the URL. The
// page passes axe-core's default rules at 375 and 1280 px, nothing wider than the window; a
// screenshot at each width is kept under var/test-artifacts/e2e/admin_replicas/.
//
// Run by test/e2e/run.sh; its stack and browser are lib/harness.mjs's.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { tapPlan, tapDiag, tapSteps } from './lib/tap.mjs';
import {
	top, artifactsOf, stackUp, stackDown, runDeadline, ctl, sql, browseSignedIn, explain, check, auditWidths,
} from './lib/harness.mjs';

const artifacts = artifactsOf('admin_replicas');
runDeadline(300000);
const admin = { email: `ada.${process.pid}@example.test`, password: 'lantern-quietly-9-orchard' };
let browser = null;
let page = null;
let url = null;

tapPlan(6);
const { step, failures } = tapSteps(artifacts, { page: () => page, explain: () => explain(page) });

await step('stack', 'a full stack starts, migrated, with an admin account and an hour of observations from two locations', async () => {
	url = stackUp('admin_replicas');
	ctl(['create-admin', '--name', 'Ada Admin', admin.email], `${admin.password}\n`);
	const t = new Date(Date.now() - 3 * 3600 * 1000).toISOString().slice(0, 16).replace('T', ' ') + ':00';
	const rows = execFileSync('python3', [join(top, 'test/integration/replicas_data.py'), 'sql', t, join(artifacts, 'expected.json')],
		{ stdio: 'pipe', timeout: 60000 }).toString();
	sql(rows);
	tapDiag(`stack at ${url}`);
});

await step('browser', "Debian's chromium starts headless and the admin signs in", async () => {
	await browseSignedIn(url, admin, (opened) => ({ browser, page } = opened));
});

await step('page', 'the header\'s "Replicas" opens the last hour: a table and a chart per operation, both locations and all', async () => {
	await page.setViewportSize({ width: 1280, height: 800 });
	await Promise.all([page.waitForNavigation(), page.locator('header a[href="/admin/replicas"]').click()]);
	check(new URL(page.url()).pathname === '/admin/replicas', `the link went to ${page.url()}`);
	const operations = await page.locator('section.replica-backend h2').allInnerTexts();
	check(['db.read', 'db.write', 's3.get', 's3.put'].every((op) => operations.includes(op)), `operations: ${operations.join(', ')}`);
	const s3get = page.locator('section.replica-backend', { has: page.locator('h2', { hasText: /^s3\.get$/ }) });
	const places = await s3get.locator('tr.replica-row td:first-child').allInnerTexts();
	for (const place of ['eu-west-1a', 'ap-east-1b', 'All locations'])
		check(places.filter((p) => p === place).length === 3, `s3.get's rows of ${place}: ${places.join(', ')}`);
	check(await s3get.locator('figure svg[role=img] rect').count() === 6, 's3.get\'s chart has no 6 bars (3 replicas x 2 locations)');
	const shown = await s3get.locator('figure svg[role=img]').isVisible();
	check(shown, 'the chart is not shown');
});

await step('window', '"Last week" is a link whose window is in the URL, marked as the current one', async () => {
	await Promise.all([page.waitForNavigation(), page.locator('nav.windows a', { hasText: 'Last week' }).click()]);
	check(new URL(page.url()).search === '?window=7d', `the link went to ${page.url()}`);
	check(await page.locator('nav.windows a[aria-current=page]').innerText() === 'Last week', 'the current window is not marked');
});

await step('axe', 'the replica page: no axe-core violation, nothing wider than the window, the chart within it at 375 and 1280 px', async () => {
	const problems = await auditWidths(page, [['/admin/replicas', 'replicas']], artifacts, async (width) => {
		const box = await page.locator('figure.replica-chart svg[role=img]').first().boundingBox();
		return !box || box.x < 0 || box.x + box.width > width ? [`at ${width} px the chart is at ${JSON.stringify(box)}`] : [];
	});
	check(problems.length === 0, problems.join('\n'));
});

await step('end', 'the browser closes', async () => {
	if (browser) await browser.close();
	page = null;
});

stackDown(failures() === 0);
process.exit(failures() ? 1 : 0);
