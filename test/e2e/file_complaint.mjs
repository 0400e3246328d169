// file_complaint.mjs: a resident's first visit in a real browser (Debian's chromium, headless,
// driven by playwright-core) against a full stack of its own — sign up, sign out, sign in, file a
// complaint with a photo, see it with its timeline and photo, find it in "My complaints", send
// a photo over the limit with JavaScript off (the form comes back with everything typed), and
// let "Use my location" fill the coordinates. TAP, one line per step; each step's screenshot is
// kept under var/test-artifacts/e2e/file_complaint/.
//
// Run by test/e2e/run.sh (which finds playwright-core under var/node); its stack and browser are
// lib/harness.mjs's.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { tapPlan, tapDiag, tapSteps } from './lib/tap.mjs';
import {
	top, artifactsOf, stackUp, stackDown, runDeadline, launchChromium, newPerson, explain, check,
	goto as gotoOn, submitAndLand as submitOn, confirmAddress,
} from './lib/harness.mjs';

const photo = join(top, 'test/data/e2e/streetlight.jpg');
const artifacts = artifactsOf('file_complaint');
// The whole run is cut off here, whatever hangs; the stack is stopped on the way out.
runDeadline(300000);

const resident = {
	name: `Zoë Tester ${process.pid}`,
	email: `zoe.${process.pid}.${Date.now()}@example.test`,
	password: 'lantern-quietly-9-orchard',
};
// Characters a page must show as typed, not interpret.
const description = `The street lamp in front of number 12 is out since Monday: "dark" & unsafe <after 8pm> (${process.pid}).`;
const typedPosition = { lat: '50.8466', lon: '4.3528' };
const browserPosition = { latitude: 51.2194, longitude: 4.4025 };

let browser = null;
let context = null;
let page = null;
const goto = (path) => gotoOn(page, path);
const submitAndLand = (form, pattern, what) => submitOn(page, form, pattern, what);

async function sessionCookie() {
	return (await context.cookies()).find((cookie) => cookie.name === 'session' || cookie.name === '__Host-session');
}

// ---- the steps ----

tapPlan(11);
const { step, shot, failures } = tapSteps(artifacts, { page: () => page, explain: () => explain(page) });
let url = null;
let complaintPath = null;

await step('stack', 'the full stack starts (stackctl up) and complaintctl migrate applies the schema', async () => {
	const started = Date.now();
	url = stackUp('file_complaint');
	tapDiag(`stack at ${url} in ${Date.now() - started} ms`);
});

await step('browser', "Debian's chromium starts headless through playwright-core", async () => {
	browser = await launchChromium();
	check(url, 'no stack to browse');
	({ context, page } = await newPerson(browser, url));
});

await step('signup', 'signing up says "check your mail" without a session; signing in then lands on /account showing the name, with an HttpOnly session cookie; the mail confirms the address', async () => {
	check(page, 'no browser');
	await goto('/signup');
	const form = page.locator('form[action="/signup"]');
	await form.locator('[name=name]').fill(resident.name);
	await form.locator('[name=email]').fill(resident.email);
	await form.locator('[name=password]').fill(resident.password);
	await submitAndLand(form, /^\/signup$/, 'sign-up');
	check((await page.locator('main').innerText()).includes('Check your mail'), 'the sign-up does not say "Check your mail"');
	check(!(await sessionCookie()), 'a session cookie right after signing up');
	const signin = page.locator('form[action="/signin"]');
	await goto('/signin');
	await signin.locator('[name=email]').fill(resident.email);
	await signin.locator('[name=password]').fill(resident.password);
	await submitAndLand(signin, /^\/account$/, 'sign-in after the sign-up');
	await confirmAddress(page, resident.email);
	await goto('/account');
	const shown = (await page.locator('.account-name').innerText()).trim();
	check(shown === resident.name, `the account page shows the name "${shown}", not "${resident.name}"`);
	const cookie = await sessionCookie();
	check(cookie, 'no session cookie after signing up');
	check(cookie.httpOnly, 'the session cookie is readable by scripts (not HttpOnly)');
});

await step('signout', 'the header\'s "Sign out" button signs out: the header offers "Sign in" and /account sends to /signin', async () => {
	check(page, 'no browser');
	await Promise.all([
		page.waitForNavigation(),
		page.locator('header').getByRole('button', { name: 'Sign out' }).click(),
	]);
	check(new URL(page.url()).pathname === '/', `signing out landed on ${page.url()}, not /`);
	check(await page.locator('header a[href="/signin"]').count() === 1, 'the header has no "Sign in" link after signing out');
	check(!(await sessionCookie()), 'the session cookie is still in the browser');
	await page.goto('/account');
	check(new URL(page.url()).pathname === '/signin', `/account after signing out shows ${page.url()}, not the sign-in page`);
});

await step('signin', 'signing in again through /signin lands on /account showing the name', async () => {
	check(page, 'no browser');
	await goto('/signin');
	const form = page.locator('form[action="/signin"]');
	await form.locator('[name=email]').fill(resident.email);
	await form.locator('[name=password]').fill(resident.password);
	await submitAndLand(form, /^\/account$/, 'sign-in');
	const shown = (await page.locator('.account-name').innerText()).trim();
	check(shown === resident.name, `the account page shows the name "${shown}", not "${resident.name}"`);
});

await step('file', 'filing a complaint with a photo lands on its page, showing the description and "Submitted" first in the timeline', async () => {
	check(page, 'no browser');
	await goto('/complaints/new');
	const form = page.locator('form[action="/complaints"]');
	check(await form.locator('input[type=hidden][name=csrf]').count() === 1, 'the form has no hidden csrf field');
	check(await form.locator('input[type=hidden][name=submit_token]').count() === 1, 'the form has no hidden submit_token field');
	await form.locator('select[name=category]').selectOption('streetlight');
	await form.locator('textarea[name=description]').fill(description);
	await form.locator('input[name=address]').fill('12 Lamplighter Street');
	await form.locator('input[name=lat]').fill(typedPosition.lat);
	await form.locator('input[name=lon]').fill(typedPosition.lon);
	await form.locator('input[type=file][name=photo]').setInputFiles(photo);
	complaintPath = await submitAndLand(form, /^\/complaints\/\d+$/, 'filing');
	tapDiag(`filed: ${complaintPath}`);
	const text = await page.locator('main').innerText();
	check(text.includes(description), 'the complaint\'s page does not show the description as typed');
	const first = page.locator('ol.timeline > li').first();
	check(await first.count() === 1, 'the page has no status timeline (ol.timeline with entries)');
	const entry = (await first.innerText()).trim();
	check(/Submitted/.test(entry), `the timeline's first entry is "${entry}", not "Submitted"`);
});

await step('photo', "the complaint's page shows the filed photo, loaded from /complaints/{id}/photo", async () => {
	check(complaintPath, 'no complaint was filed');
	const image = page.locator('img.complaint-photo');
	check(await image.count() === 1, 'the page has no img.complaint-photo');
	const src = await image.getAttribute('src');
	check(new URL(src, url).pathname === `${complaintPath}/photo`, `the photo's src is ${src}, not ${complaintPath}/photo`);
	// Loaded and decoded by the browser: the size of the photo that was filed (320x240).
	await page.waitForFunction((element) => element.complete, await image.elementHandle());
	const size = await image.evaluate((element) => ({ width: element.naturalWidth, height: element.naturalHeight }));
	check(size.width > 0, 'the photo did not load (naturalWidth 0)');
	check(size.width === 320 && size.height === 240, `the photo is ${size.width}x${size.height}, not the 320x240 one filed`);
});

await step('my-complaints', '"My complaints" lists the new complaint with a link to its page', async () => {
	check(complaintPath, 'no complaint was filed');
	await goto('/complaints');
	const item = page.locator('.complaint-item').filter({ has: page.locator(`a[href="${complaintPath}"]`) });
	const items = await item.count();
	check(items === 1, `${items} .complaint-item entries link to ${complaintPath} (of ${await page.locator('.complaint-item').count()} listed)`);
});

await step('open-from-list', "following the list's link opens the complaint's page", async () => {
	check(complaintPath, 'no complaint was filed');
	const link = page.locator(`.complaint-item a[href="${complaintPath}"]`).first();
	const [response] = await Promise.all([page.waitForNavigation(), link.click()]);
	check(response && response.status() === 200, `the link answered ${response && response.status()}`);
	check(new URL(page.url()).pathname === complaintPath, `the link went to ${page.url()}`);
	check((await page.locator('main').innerText()).includes(description), 'the page does not show the complaint\'s description');
});

await step('too-large-no-js', 'with JavaScript off, a photo over the 8 MB limit brings the form back (413) with everything typed and the limit said, and files nothing', async () => {
	check(browser, 'no browser');
	const previous = page;
	const huge = join(mkdtempSync(join(tmpdir(), 'file_complaint-')), 'huge.jpg');
	const { context: noScript, page: bare } = await newPerson(browser, url, { javaScriptEnabled: false });
	page = bare;
	try {
		await goto('/signin');
		const signin = page.locator('form[action="/signin"]');
		await signin.locator('[name=email]').fill(resident.email);
		await signin.locator('[name=password]').fill(resident.password);
		await submitAndLand(signin, /^\/account$/, 'sign-in without JavaScript');
		await goto('/complaints');
		const before = await page.locator('.complaint-item').count();
		await goto('/complaints/new');
		const form = page.locator('form[action="/complaints"]');
		const typed = { description: `Without scripts: ${description}`, address: '7 <Quiet> Row & Co', ...typedPosition };
		await form.locator('select[name=category]').selectOption('streetlight');
		await form.locator('textarea[name=description]').fill(typed.description);
		await form.locator('input[name=address]').fill(typed.address);
		await form.locator('input[name=lat]').fill(typed.lat);
		await form.locator('input[name=lon]').fill(typed.lon);
		// 8 MB + 300 KB: over the stack's upload_max_bytes (8M), under nginx's cap (8M + 1M). A file
		// the browser reads itself (a buffer this size crosses the driver's pipe too slowly).
		writeFileSync(huge, Buffer.alloc(8 * 1024 * 1024 + 300 * 1024, 0xd8));
		await form.locator('input[type=file][name=photo]').setInputFiles(huge);
		const [response] = await Promise.all([page.waitForNavigation(), form.locator('button[type=submit]').click()]);
		check(response && response.status() === 413, `the filing answered ${response && response.status()}, not 413`);
		check(new URL(page.url()).pathname === '/complaints', `the filing landed on ${page.url()}`);
		const kept = {
			category: await form.locator('select[name=category]').inputValue(),
			description: await form.locator('textarea[name=description]').inputValue(),
			address: await form.locator('input[name=address]').inputValue(),
			lat: await form.locator('input[name=lat]').inputValue(),
			lon: await form.locator('input[name=lon]').inputValue(),
		};
		const wanted = { category: 'streetlight', ...typed };
		for (const key of Object.keys(wanted))
			check(kept[key] === wanted[key], `the form came back with ${key} "${kept[key]}", not "${wanted[key]}"`);
		const said = (await page.locator('#photo-error').innerText()).trim();
		check(/larger than 8 MB/.test(said), `the photo's message is "${said}", not one naming the 8 MB limit`);
		await shot('photo-too-large-no-js');
		await goto('/complaints');
		const after = await page.locator('.complaint-item').count();
		check(after === before, `"My complaints" lists ${after} complaints, ${before} before: something was filed`);
	} finally {
		page = previous;
		await noScript.close().catch(() => {});
		rmSync(dirname(huge), { recursive: true, force: true });
	}
});

await step('use-location', '"Use my location" fills latitude and longitude from the browser\'s geolocation', async () => {
	check(page, 'no browser');
	await context.grantPermissions(['geolocation'], { origin: url });
	await context.setGeolocation({ ...browserPosition, accuracy: 20 });
	await goto('/complaints/new');
	const button = page.locator('#use-location');
	await button.waitFor({ state: 'visible' });
	await button.click();
	const lat = page.locator('input[name=lat]');
	const lon = page.locator('input[name=lon]');
	await page.waitForFunction(() => document.querySelector('input[name=lat]').value !== ''
		&& document.querySelector('input[name=lon]').value !== '');
	const filled = { lat: await lat.inputValue(), lon: await lon.inputValue() };
	check(Math.abs(Number(filled.lat) - browserPosition.latitude) < 1e-6
		&& Math.abs(Number(filled.lon) - browserPosition.longitude) < 1e-6,
	`the fields hold ${filled.lat}, ${filled.lon}, not ${browserPosition.latitude}, ${browserPosition.longitude}`);
});

if (browser) await browser.close().catch(() => {});
stackDown(failures() === 0);
process.exit(failures() ? 1 : 0);
