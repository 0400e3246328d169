// duplicates_workload.mjs: duplicates nearby and the workload in real browsers (Debian's chromium,
// headless, through playwright-core) against a full stack of its own, seeded with a small city's
// complaints — a resident files a water leak at a place; a second resident, filing at the same
// place, checks for similar complaints (the form's no-JavaScript step), is shown the first one in
// the restricted form (category, distance, age, status; never its description) and follows it,
// which lists it under My complaints and opens its restricted page; the first resident files the
// same leak again; an admin opens that second complaint, sees the first among the complaints
// within 100 m in full, and marks it a duplicate (the page then says Rejected, "Duplicate of #N");
// the admin reads /admin/agents and sorts it by median time to resolve. The new pages at 375 and
// 1280 px: axe-core's default rules find no violation and nothing is wider than the window.
// Screenshots under var/test-artifacts/e2e/duplicates_workload/.
//
// Run by test/e2e/run.sh; its stack and browser are lib/harness.mjs's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tapPlan, tapDiag, tapSteps } from './lib/tap.mjs';
import {
	top, nodePrefix, artifactsOf, stackUp, stackDown, runDeadline, ctl, launchChromium, newPerson, explain, check,
	goto, submitAndLand, confirmAddress, signIn,
} from './lib/harness.mjs';

const photo = join(top, 'test/data/e2e/streetlight.jpg');
const artifacts = artifactsOf('duplicates_workload');
const axeSource = readFileSync(join(nodePrefix, 'node_modules/axe-core/axe.min.js'), 'utf8');
runDeadline(420000);

const stamp = `${process.pid}.${Date.now()}`;
const password = 'harbour-lantern-31-quietly';
const people = {
	first: { name: `Fern First ${process.pid}`, email: `fern.${stamp}@example.test` },
	second: { name: `Sam Second ${process.pid}`, email: `sam.${stamp}@example.test` },
	admin: { name: `Ada Admin ${process.pid}`, email: `ada.${stamp}@example.test` },
};
const place = { lat: '51.501200', lon: '-0.141900' };
const marker = `Hydrant-marker-${process.pid}`;
const description = `Water gushes from the hydrant by the gate, ${marker}.`;

tapPlan(9);
let url = null;
let browser = null;
let current = null;
const person = {};
const { step, shot, failures } = tapSteps(artifacts, { page: () => current, explain: () => explain(current) });
let firstPath = null;
let againPath = null;

function as(role) {
	check(person[role], `no browser for ${role}`);
	current = person[role].page;
	return current;
}

async function signUp(role) {
	const page = as(role);
	await goto(page, '/signup');
	const form = page.locator('form[action="/signup"]');
	await form.locator('[name=name]').fill(people[role].name);
	await form.locator('[name=email]').fill(people[role].email);
	await form.locator('[name=password]').fill(password);
	// Sign-up says "check your mail" and makes no session: sign in, then confirm the address (an
	// unconfirmed reporter's complaints wait out of the admin's queue).
	await submitAndLand(page, form, /^\/signup$/, `${role}'s sign-up`);
	await signInAs(role, page);
	await confirmAddress(page, people[role].email);
}

async function signInAs(role, page) {
	await signIn(page, people[role].email, password);
}

// fillForm PAGE [DESCRIPTION]: the filing form's category and place (and description).
async function fillForm(page, text) {
	await goto(page, '/complaints/new');
	const form = page.locator('form[action="/complaints"]');
	await form.locator('select[name=category]').selectOption('water_leak');
	if (text) await form.locator('textarea[name=description]').fill(text);
	await form.locator('input[name=lat]').fill(place.lat);
	await form.locator('input[name=lon]').fill(place.lon);
	return form;
}

async function fileAt(page, text) {
	const form = await fillForm(page, text);
	await form.locator('input[type=file][name=photo]').setInputFiles(photo);
	return submitAndLand(page, form, /^\/complaints\/\d+$/, 'filing');
}

// audit PAGE NAME: axe-core's default rules and the page's width, on the page as it is; a
// screenshot. Returns the problems, as lines.
async function audit(page, name) {
	const width = page.viewportSize().width;
	const problems = [];
	await page.evaluate(axeSource);
	const result = await page.evaluate(() => window.axe.run(document));
	for (const violation of result.violations)
		problems.push(`${name} at ${width} px: axe ${violation.id} (${violation.impact}): ${violation.help}: ` +
			violation.nodes.slice(0, 3).map((node) => node.target.join(' ')).join(', '));
	const sizes = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, window: window.innerWidth }));
	if (sizes.page > sizes.window) problems.push(`${name} at ${width} px: the page is ${sizes.page} px wide`);
	await page.screenshot({ path: join(artifacts, `${name}-${width}.png`), fullPage: true });
	return problems;
}

await step('stack', 'the full stack starts, seeded with 400 complaints, 4 agents and an admin', async () => {
	url = stackUp('duplicates');
	ctl(['seed', '--complaints', '400', '--residents', '40', '--agents', '4', '--days', '60'], '', 240000);
	ctl(['create-admin', '--name', people.admin.name, people.admin.email], `${password}\n`);
	tapDiag(`stack at ${url}`);
});

await step('browser', "Debian's chromium starts headless; two residents sign up, the first files a water leak", async () => {
	browser = await launchChromium();
	for (const role of ['first', 'second', 'admin']) person[role] = await newPerson(browser, url);
	await signUp('first');
	await signUp('second');
	firstPath = await fileAt(as('first'), description);
	tapDiag(`filed ${firstPath}`);
});

await step('check', 'the second resident, filing at the same place, checks for similar complaints and sees the first, restricted', async () => {
	const page = as('second');
	const form = await fillForm(page);
	await Promise.all([page.waitForNavigation(), form.locator('input[name=step]').click()]);
	await shot('check');
	const item = page.locator(`#nearby-${firstPath.split('/')[2]}`);
	check(await item.count() === 1, `"Is it one of these?" does not list ${firstPath}: ${(await page.locator('main').innerText()).slice(0, 300)}`);
	const text = (await item.innerText()).replace(/\s+/g, ' ');
	check(/Water leak/.test(text) && /about 0 m away/.test(text) && /filed today/.test(text) && /Submitted/.test(text),
		`the suggestion says "${text}"`);
	check(!(await page.content()).includes(marker), 'the check page holds the other resident\'s description');
	const problems = await audit(page, 'check');
	check(problems.length === 0, problems.join('\n'));
});

await step('follow', 'following it lists it under My complaints, and its page is the restricted one', async () => {
	const page = as('second');
	const id = firstPath.split('/')[2];
	const form = page.locator(`form[action="/complaints/${id}/follow"]`);
	await submitAndLand(page, form, /^\/complaints$/, 'following');
	check(await page.locator(`#followed-${id}`).count() === 1, 'My complaints does not list the followed complaint');
	await shot('my-complaints');
	await goto(page, firstPath);
	const text = await page.locator('main').innerText();
	check(/You follow this complaint/.test(text) && !text.includes(marker), `the followed complaint's page says: ${text.slice(0, 300)}`);
	await shot('glimpse');
});

await step('again', 'the first resident files the same leak again', async () => {
	againPath = await fileAt(as('first'), `The hydrant by the gate is still gushing (${process.pid}).`);
	tapDiag(`filed again: ${againPath}`);
});

await step('mark', 'the admin sees the first complaint nearby, in full, and marks the second a duplicate of it', async () => {
	const page = as('admin');
	await signInAs('admin', page);
	await goto(page, againPath);
	const id = firstPath.split('/')[2];
	const item = page.locator(`#nearby-${id}`);
	check(await item.count() === 1, `the admin's page of ${againPath} does not list ${firstPath} nearby`);
	check((await item.innerText()).includes(marker), 'the admin does not see the nearby complaint\'s description');
	await shot('admin-nearby');
	await submitAndLand(page, item.locator('form'), new RegExp(`^${againPath}$`), 'marking a duplicate');
	const text = (await page.locator('main').innerText()).replace(/\s+/g, ' ');
	check(/Rejected/.test(text) && text.includes(`Duplicate of #${id}`), `after marking, the page says: ${text.slice(0, 300)}`);
});

await step('workload', 'the admin reads /admin/agents and sorts it by median time to resolve, longest first', async () => {
	const page = as('admin');
	await goto(page, '/admin/agents');
	const rows = await page.locator('tr.agent-row').count();
	check(rows === 4, `the agents page lists ${rows} agents, not the 4 seeded`);
	await page.locator('th a', { hasText: 'Median time to resolve' }).click();
	await page.waitForURL(/sort=median&dir=desc/);
	const heading = page.locator('th[aria-sort]');
	check((await heading.innerText()).includes('Median') && await heading.getAttribute('aria-sort') === 'descending',
		'the median heading is not marked as sorted descending');
	await shot('agents');
});

for (const width of [375, 1280]) {
	await step(`axe-${width}`, `at ${width} px the new pages (agents, the admin's complaint, My complaints, the restricted page, the form's check) have no axe violation and fit`, async () => {
		const admin = (await newPerson(browser, url, { viewport: { width, height: 800 } })).page;
		const resident = (await newPerson(browser, url, { viewport: { width, height: 800 } })).page;
		current = admin;
		await signInAs('admin', admin);
		await signInAs('second', resident);
		const problems = [];
		for (const [page, path, name] of [[admin, '/admin/agents', 'agents'], [admin, firstPath, 'complaint-admin'],
			[resident, '/complaints', 'my-complaints'], [resident, firstPath, 'glimpse']]) {
			await goto(page, path);
			problems.push(...await audit(page, name));
		}
		// The filing form after its check, with the suggestions.
		current = resident;
		const form = await fillForm(resident);
		await Promise.all([resident.waitForNavigation(), form.locator('input[name=step]').click()]);
		problems.push(...await audit(resident, 'check'));
		check(problems.length === 0, problems.join('\n'));
	});
}

if (browser) await browser.close().catch(() => {});
stackDown(failures() === 0);
process.exit(failures() ? 1 : 0);
