// admin_categories.mjs: an admin edits a category in a real browser (Debian's chromium, headless,
// driven by playwright-core) on a full stack of its own: the header's "Categories", a bad target
// refused with its sentence on that category's form, then a rename, a target in hours and the
// category switched off; the filing form no longer offers it, the page keeps it (marked inactive)
// and the admin log's filter by action shows the change. The categories page and the log pass
// the harness's audit at 375 and 1280 px (no axe-core violation, nothing wider than the window,
// every header link on screen); a screenshot of each is kept under
// var/test-artifacts/e2e/admin_categories/.
//
// Run by test/e2e/run.sh; its stack and browser are lib/harness.mjs's.
import { tapPlan, tapDiag, tapSteps } from './lib/tap.mjs';
import {
	artifactsOf, stackUp, stackDown, runDeadline, ctl, browseSignedIn, explain, check, goto as gotoOn,
	submitAndLand as submitOn, auditWidths,
} from './lib/harness.mjs';

const artifacts = artifactsOf('admin_categories');
runDeadline(300000);
const admin = { email: `ada.${process.pid}@example.test`, password: 'lantern-quietly-9-orchard' };
let browser = null;
let page = null;
let url = null;
const goto = (path) => gotoOn(page, path);
const submitAndLand = (form, pattern, what) => submitOn(page, form, pattern, what);
const waterLeak = () => page.locator('form#category-water_leak');

tapPlan(7);
const { step, failures } = tapSteps(artifacts, { page: () => page, explain: () => explain(page) });

await step('stack', 'a full stack starts, migrated, with an admin account', async () => {
	url = stackUp('admin_categories');
	ctl(['create-admin', '--name', 'Ada Admin', admin.email], `${admin.password}\n`);
	tapDiag(`stack at ${url}`);
});

await step('browser', "Debian's chromium starts headless and the admin signs in", async () => {
	await browseSignedIn(url, admin, (opened) => ({ browser, page } = opened));
});

await step('refused', 'the header\'s "Categories" opens the page; a target of "2 weeks" is refused on that category\'s form', async () => {
	await Promise.all([page.waitForNavigation(), page.locator('header a[href="/admin/categories"]').click()]);
	check(new URL(page.url()).pathname === '/admin/categories', `the link went to ${page.url()}`);
	check((await page.locator('main').innerText()).includes('does not move the due dates of complaints already filed'),
		'the page does not say that a new target moves no filed due date');
	await waterLeak().locator('[name=target]').fill('2 weeks');
	// The browser's own check (the field's pattern) would stop the form: the server's is tested.
	await waterLeak().evaluate((form) => { form.noValidate = true; });
	await Promise.all([page.waitForNavigation(), waterLeak().locator('button[type=submit]').click()]);
	const error = await waterLeak().locator('.form-error').innerText();
	check(error.includes('number of days or hours'), `the form says "${error}"`);
});

await step('edited', 'renamed "Water leak or burst", target 36h, switched off: saved, marked inactive, gone from the filing form', async () => {
	await goto('/admin/categories');
	await waterLeak().locator('[name=name]').fill('Water leak or burst');
	await waterLeak().locator('[name=target]').fill('36h');
	await waterLeak().locator('[name=active]').uncheck();
	await submitAndLand(waterLeak(), /^\/admin\/categories$/, 'saving the category');
	check((await page.locator('.notice').innerText()).includes('Water leak or burst is saved'), 'no notice of the save');
	check(await waterLeak().locator('[name=target]').inputValue() === '36h', 'the target did not stay 36h');
	check((await waterLeak().locator('h2').innerText()).includes('Inactive'), 'the category is not marked inactive');
	await goto('/complaints/new');
	const offered = await page.locator('select[name=category] option').allInnerTexts();
	check(!offered.some((text) => text.includes('Water leak')), `the filing form still offers it: ${offered.join(', ')}`);
});

await step('log', 'the admin log, filtered by "Changed a category", shows the change', async () => {
	await Promise.all([page.waitForNavigation(), page.locator('header a[href="/admin/log"]').click()]);
	await page.locator('select[name=action]').selectOption('category_edit');
	await submitAndLand(page.locator('form.filters'), /^\/admin\/log$/, 'filtering the log');
	const rows = await page.locator('tr.log-row').allInnerTexts();
	check(rows.length === 1 && rows[0].includes('Water leak or burst') && rows[0].includes('36h'), `the log shows: ${rows.join(' | ')}`);
});

await step('axe', 'the categories page and the log: no axe-core violation and nothing wider than the window at 375 and 1280 px', async () => {
	const problems = await auditWidths(page, [['/admin/categories', 'categories'], ['/admin/log', 'log']], artifacts);
	check(problems.length === 0, problems.join('\n'));
});

await step('end', 'the browser closes', async () => {
	if (browser) await browser.close();
	page = null;
});

stackDown(failures() === 0);
process.exit(failures() ? 1 : 0);
