// resident_pages.mjs: a newcomer at 375 px, in a real browser against a full stack of its own —
// "File a complaint" while signed out asks to sign in and says why, sign-up ("check your mail")
// then sign-in returns to the form (the address confirmed from the stack's mail sink),
// the place is picked on the map (tiles from the stack's own tile server), the complaint is found
// again from the header; at 320 px the header holds and the skip link works — then every GET page of each role (signed out, resident, agent, admin)
// at 375 and 1280 px: axe-core with its default rules finds no violation, nothing is wider than
// the window, the header's links are on screen, and a screenshot of each is kept under
// var/test-artifacts/e2e/resident_pages/.
//
// Run by test/e2e/run.sh; its stack and browser are lib/harness.mjs's.
import { join } from 'node:path';
import { tapPlan, tapDiag, tapSteps } from './lib/tap.mjs';
import { top, artifactsOf, stackUp, stackDown, runDeadline, launchChromium, ctl, audit, confirmAddress } from './lib/harness.mjs';

const photo = join(top, 'test/data/e2e/streetlight.jpg');
const artifacts = artifactsOf('resident_pages');
const actionTimeout = 10000;
// Sixteen pages at two widths each took over 300 s on two cores loaded by other runs.
const runTimeout = 600000;
const widths = [375, 1280];
const password = 'lantern-quietly-9-orchard';
const resident = { name: `Noor Newcomer ${process.pid}`, email: `noor.${process.pid}.${Date.now()}@example.test` };
const agent = { name: `Ari Agent ${process.pid}`, email: `ari.${process.pid}.${Date.now()}@example.test` };
const admin = { name: `Ada Admin ${process.pid}`, email: `ada.${process.pid}.${Date.now()}@example.test` };
// A word longer than any screen: it must wrap, not widen the page.
const longWord = 'x'.repeat(600);

runDeadline(runTimeout);
let browser = null;
let url = null;
let page = null;
let seen = [];
let complaintPath = null;

function check(condition, message) {
	if (!condition) throw new Error(message);
}

function watch(newPage) {
	newPage.on('pageerror', (error) => seen.push(`page error: ${error.message}`));
	newPage.on('console', (message) => {
		if (message.type() === 'error') seen.push(`console error: ${message.text()}`);
	});
	newPage.on('requestfailed', (request) => seen.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
}

async function explain() {
	const lines = seen;
	seen = [];
	if (!page || page.isClosed()) return lines.join('\n');
	return [`at ${page.url()}`, ...lines].join('\n');
}

// A browser of its own (cookies, window width) for one person.
async function person(width) {
	const context = await browser.newContext({ baseURL: url, locale: 'en-GB', viewport: { width, height: 800 } });
	context.setDefaultTimeout(actionTimeout);
	context.setDefaultNavigationTimeout(actionTimeout);
	const opened = await context.newPage();
	watch(opened);
	return opened;
}

async function signIn(who, width) {
	const opened = await person(width);
	await opened.goto('/signin');
	await opened.locator('form[action="/signin"] [name=email]').fill(who.email);
	await opened.locator('form[action="/signin"] [name=password]').fill(password);
	await Promise.all([opened.waitForNavigation(), opened.locator('form[action="/signin"] button[type=submit]').click()]);
	check(new URL(opened.url()).pathname === '/account', `${who.email} signing in landed on ${opened.url()}`);
	return opened;
}

function staff(role, who) {
	ctl([`create-${role}`, '--name', who.name, who.email], `${password}\n`);
}

// audit: lib/harness.mjs's, its screenshots in this test's artifacts.
const auditHere = (opened, path, name, status) => audit(opened, path, name, artifacts, status);

tapPlan(11);
const { step, failures } = tapSteps(artifacts, { page: () => page, explain });

await step('stack', 'the full stack starts with its tile server, and the staff accounts are made', async () => {
	url = stackUp('pages');
	staff('agent', agent);
	staff('admin', admin);
	tapDiag(`stack at ${url}`);
});

await step('browser', "Debian's chromium starts headless through playwright-core", async () => {
	browser = await launchChromium();
	page = await person(375);
});

await step('asked-why', 'at 375 px, "File a complaint" signed out asks to sign in and says why; sign-up from there lands on the form', async () => {
	await page.goto('/');
	await Promise.all([page.waitForNavigation(), page.locator('header').getByRole('link', { name: 'File a complaint' }).click()]);
	const here = new URL(page.url());
	check(here.pathname === '/signin' && here.searchParams.get('next') === '/complaints/new', `landed on ${page.url()}`);
	check((await page.locator('main').innerText()).includes('To file a complaint, please sign in'), 'the sign-in page does not say why');
	await Promise.all([page.waitForNavigation(), page.locator('main').getByRole('link', { name: 'Create an account' }).click()]);
	const form = page.locator('form[action="/signup"]');
	await form.locator('[name=name]').fill(resident.name);
	await form.locator('[name=email]').fill(resident.email);
	await form.locator('[name=password]').fill(password);
	await Promise.all([page.waitForNavigation(), form.locator('button[type=submit]').click()]);
	check((await page.locator('main').innerText()).includes('Check your mail'), `sign-up answered ${page.url()} without "Check your mail"`);
	// No session yet: the page's "Sign in" keeps the way back to the form.
	await Promise.all([page.waitForNavigation(), page.locator('main').getByRole('link', { name: 'Sign in' }).click()]);
	const signin = page.locator('form[action="/signin"]');
	await signin.locator('[name=email]').fill(resident.email);
	await signin.locator('[name=password]').fill(password);
	await Promise.all([page.waitForNavigation(), signin.locator('button[type=submit]').click()]);
	check(new URL(page.url()).pathname === '/complaints/new', `signing in after the sign-up landed on ${page.url()}, not the form`);
	await confirmAddress(await person(375), resident.email);
});

await step('map-pick', 'the form\'s map shows tiles, and a click on it places the pin and fills latitude and longitude', async () => {
	const map = page.locator('#map');
	await map.waitFor({ state: 'visible' });
	await page.waitForFunction(() => [...document.querySelectorAll('#map img.leaflet-tile')].some((tile) => tile.complete && tile.naturalWidth > 0));
	check((await page.locator('#map .leaflet-control-attribution').innerText()).includes('OpenStreetMap contributors'), 'the map does not credit its tiles');
	const box = await map.boundingBox();
	// A click a little off the centre (the locator scrolls the map into the window first).
	await map.click({ position: { x: box.width / 2 + 20, y: box.height / 2 - 10 } });
	await page.waitForFunction(() => document.querySelector('#lat').value !== '' && document.querySelector('#lon').value !== '');
	const lat = Number(await page.locator('#lat').inputValue());
	const lon = Number(await page.locator('#lon').inputValue());
	check(Math.abs(lat - 50.8466) < 0.05 && Math.abs(lon - 4.3528) < 0.05, `the pin's place is ${lat}, ${lon}, not near the city's centre`);
	check(await page.locator('#map .leaflet-marker-icon').count() === 1, 'no pin on the map');
});

await step('file', 'the complaint (a 600-letter word in it) is filed and its page shows the pin on the map, no wider than the window', async () => {
	const form = page.locator('form[action="/complaints"]');
	await form.locator('select[name=category]').selectOption('streetlight');
	await form.locator('textarea[name=description]').fill(`Dark street: ${longWord}`);
	await form.locator('input[type=file][name=photo]').setInputFiles(photo);
	await Promise.all([page.waitForNavigation(), form.locator('button[type=submit]').click()]);
	complaintPath = new URL(page.url()).pathname;
	check(/^\/complaints\/\d+$/.test(complaintPath), `filing landed on ${complaintPath}`);
	await page.locator('#map .leaflet-marker-icon').waitFor({ state: 'visible' });
	const sizes = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, window: window.innerWidth }));
	check(sizes.page <= sizes.window, `the complaint's page is ${sizes.page} px wide at ${sizes.window}`);
});

await step('header', '"My complaints" in the header finds it again', async () => {
	const link = page.locator('header').getByRole('link', { name: 'My complaints' });
	check(await link.isVisible(), 'no visible "My complaints" in the header');
	await Promise.all([page.waitForNavigation(), link.click()]);
	check(await page.locator(`.complaint-item a[href="${complaintPath}"]`).count() === 1, 'the list does not link to the complaint');
});

await step('narrow', 'at 320 px the header is whole and the page no wider; the first Tab reaches "Skip to the content", which moves focus to the content', async () => {
	const narrow = await signIn(resident, 320);
	page = narrow;
	const problems = await auditHere(narrow, '/complaints', 'my-complaints-narrow');
	check(problems.length === 0, problems.join('\n'));
	await narrow.keyboard.press('Tab');
	const focused = await narrow.evaluate(() => document.activeElement.textContent.trim());
	check(focused === 'Skip to the content', `the first Tab reaches "${focused}", not the skip link`);
	await narrow.keyboard.press('Enter');
	const target = await narrow.evaluate(() => document.activeElement.id);
	check(target === 'content', `the skip link moved focus to "${target}", not the content`);
});

// Every GET route of the role, at both widths.
const pagesOf = {
	anon: () => [['/', 'home'], ['/signin', 'signin'], ['/signin?next=/complaints/new', 'signin-why'], ['/signup', 'signup'],
		['/forgot', 'forgot'],
		['/no/such/page', '404', 404]],
	resident: () => [['/', 'home-signed-in'], ['/account', 'account'], ['/complaints', 'my-complaints'],
		['/complaints/new', 'file'], [complaintPath, 'complaint'], ['/no/such/page', '404-signed-in', 404]],
	agent: () => [['/agent', 'agent'], ['/agent/overdue', 'agent-overdue'], ['/account', 'account-agent']],
	admin: () => [['/admin', 'admin-queue'], ['/admin/unassigned', 'admin-unassigned'], ['/admin/reopened', 'admin-reopened'], [complaintPath, 'complaint-admin'],
		['/admin/categories', 'admin-categories'], ['/admin/log', 'admin-log']],
};

for (const role of Object.keys(pagesOf)) {
	await step(`axe-${role}`, `every GET page of the ${role === 'anon' ? 'signed-out visitor' : role} at 375 and 1280 px: axe-core finds no violation, nothing overflows, the header is whole`, async () => {
		const who = { resident, agent, admin }[role];
		const problems = [];
		for (const width of widths) {
			const opened = who ? await signIn(who, width) : await person(width);
			page = opened;
			for (const [path, name, status] of pagesOf[role]()) problems.push(...await auditHere(opened, path, name, status));
		}
		check(problems.length === 0, problems.join('\n'));
	});
}

if (browser) await browser.close().catch(() => {});
stackDown(failures() === 0);
process.exit(failures() ? 1 : 0);
