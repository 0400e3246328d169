// replica_policy.mjs: an operator watches a policy change on the replica page, in a real browser
// (Debian's chromium, headless, driven by playwright-core) on a full stack of its own whose timer
// flushes the replica statistics every second (location eu-west-1a, reads from the standby first).
// A resident files a complaint with a photo and views it, a visitor browses: the admin's page
// shows the three S3 replicas and both database servers of eu-west-1a, and the effective s3.get
// policy seq(us, jp, de). Then complaintd.conf is edited as doc/operator.md's walkthrough says —
// s3.get becomes hedge(20ms, jp, us) and the S3 set drops de — and complaintctl reload takes it;
// after more views and a filing, the page shows the new policy, s3.get's attempts on jp (which
// had none) with jp's and us's new attempts covering every view, and de's attempts unchanged.
// Screenshots at 1280 px before and after (the page, its S3 operations' tables, its effective
// policies: replicas-{before,after}-{1280,s3-1280,policies-1280}.png) are kept under
// var/test-artifacts/e2e/replica_policy/; doc/images/ holds a run's copies of the last two.
//
// Run by test/e2e/run.sh; its stack and browser are lib/harness.mjs's.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tapPlan, tapDiag, tapSteps } from './lib/tap.mjs';
import {
	top, artifactsOf, stackUp, stackDown, stackConf, runDeadline, ctl, confSet, launchChromium, newPerson, explain, check, goto,
	signIn, submitAndLand,
} from './lib/harness.mjs';

const artifacts = artifactsOf('replica_policy');
runDeadline(420000);
const password = 'lantern-quietly-9-orchard';
const admin = { email: `ada.${process.pid}@example.test` };
const resident = { name: `Rita Resident ${process.pid}`, email: `rita.${process.pid}.${Date.now()}@example.test` };
const photo = join(top, 'test/data/e2e/streetlight.jpg');
const location = 'eu-west-1a';
// The timer's period; a change shows within two periods, waited for with a tenfold margin.
const flushMs = 1000;
const shownWithin = 20 * flushMs;
const views = 12;
let browser = null;
let page = null;
let residentPage = null;
let visitorPage = null;
let url = null;
let complaintPath = null;
let before = null;

tapPlan(7);
const { step, failures } = tapSteps(artifacts, { page: () => page, explain: () => explain(page) });

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// table: the replica page as it is now, { operation: { 'location|replica': All } } and the
// effective policies, { operation: policy text }.
async function table() {
	return page.evaluate(() => {
		const rows = {};
		for (const section of document.querySelectorAll('section.replica-backend')) {
			const operation = section.querySelector('h2').textContent.trim();
			rows[operation] = {};
			for (const tr of section.querySelectorAll('tr.replica-row'))
				rows[operation][`${tr.dataset.location}|${tr.dataset.replica}`] = Number(tr.querySelector('td.all').textContent.replace(/\D/g, ''));
		}
		const policies = {};
		for (const li of document.querySelectorAll('section.effective-policies li')) {
			const codes = li.querySelectorAll('code');
			if (codes.length >= 2) policies[codes[0].textContent.trim()] = codes[1].textContent.trim();
		}
		return { rows, policies };
	});
}

// replicasOf SHOWN PREFIX: the replicas of eu-west-1a in the tables of operations starting with PREFIX.
function replicasOf(shown, prefix) {
	const names = new Set();
	for (const [operation, rows] of Object.entries(shown.rows))
		if (operation.startsWith(prefix))
			for (const key of Object.keys(rows)) if (key.startsWith(`${location}|`)) names.add(key.split('|')[1]);
	return [...names].sort();
}

// attempts SHOWN OPERATION-PREFIX REPLICA: eu-west-1a's All on REPLICA over the matching operations.
function attempts(shown, prefix, replica) {
	let sum = 0;
	for (const [operation, rows] of Object.entries(shown.rows))
		if (operation.startsWith(prefix)) sum += rows[`${location}|${replica}`] || 0;
	return sum;
}

// until WHAT PREDICATE: reloads the replica page until PREDICATE(table) holds, within shownWithin.
async function until(what, predicate) {
	const deadline = Date.now() + shownWithin;
	for (;;) {
		await goto(page, '/admin/replicas');
		const shown = await table();
		if (predicate(shown)) return shown;
		if (Date.now() > deadline) throw new Error(`not within ${shownWithin} ms: ${what}; the page shows ${JSON.stringify(shown)}`);
		await sleep(flushMs / 2);
	}
}

// traffic: the resident views the photo `views` times (each one s3.get), the visitor two pages.
async function traffic() {
	for (let i = 0; i < views; i++) {
		const answer = await residentPage.request.get(`${complaintPath}/photo`);
		check(answer.status() === 200, `view ${i + 1} of ${complaintPath}/photo answered ${answer.status()}`);
	}
	for (const path of ['/', '/signin']) await goto(visitorPage, path);
}

// keep STATE: the page at 1280 px as replicas-STATE-1280.png, and what doc/operator.md shows of
// it: the S3 operations' tables (replicas-STATE-s3-1280.png) and the effective policies
// (replicas-STATE-policies-1280.png).
async function keep(state) {
	await page.screenshot({ path: join(artifacts, `replicas-${state}-1280.png`), fullPage: true, timeout: 20000 });
	const clip = await page.evaluate(() => {
		const boxes = [...document.querySelectorAll('section.replica-backend')]
			.filter((section) => section.querySelector('h2').textContent.trim().startsWith('s3.'))
			.map((section) => section.getBoundingClientRect());
		const top = Math.min(...boxes.map((box) => box.top)), bottom = Math.max(...boxes.map((box) => box.bottom));
		return { x: 0, y: top + window.scrollY, width: document.documentElement.clientWidth, height: bottom - top };
	});
	check(clip.height > 0, 'no S3 table to keep');
	await page.screenshot({ path: join(artifacts, `replicas-${state}-s3-1280.png`), fullPage: true, clip, timeout: 20000 });
	await page.locator('section.effective-policies').screenshot({ path: join(artifacts, `replicas-${state}-policies-1280.png`), timeout: 20000 });
}

async function fileComplaint(text) {
	await goto(residentPage, '/complaints/new');
	const form = residentPage.locator('form[action="/complaints"]');
	await form.locator('select[name=category]').selectOption('streetlight');
	await form.locator('textarea[name=description]').fill(text);
	await form.locator('input[name=lat]').fill('50.8466');
	await form.locator('input[name=lon]').fill('4.3528');
	await form.locator('input[type=file][name=photo]').setInputFiles(photo);
	return submitAndLand(residentPage, form, /^\/complaints\/\d+$/, 'filing');
}

await step('stack', `a full stack starts (location ${location}, flushing every ${flushMs} ms, reads from the standby first) with an admin`, async () => {
	url = stackUp('replica_policy', [`location=${location}`, `ops.stats_flush_interval=${flushMs}ms`, 'db.read=seq(standby, primary)']);
	ctl(['create-admin', '--name', 'Ada Admin', admin.email], `${password}\n`);
	tapDiag(`stack at ${url}`);
});

await step('traffic', 'a resident files a complaint with a photo and views it; a visitor browses', async () => {
	browser = await launchChromium();
	({ page: residentPage } = await newPerson(browser, url));
	({ page: visitorPage } = await newPerson(browser, url));
	await goto(residentPage, '/signup');
	const form = residentPage.locator('form[action="/signup"]');
	await form.locator('[name=name]').fill(resident.name);
	await form.locator('[name=email]').fill(resident.email);
	await form.locator('[name=password]').fill(password);
	await submitAndLand(residentPage, form, /^\/signup$/, 'the sign-up');
	await signIn(residentPage, resident.email, password);
	complaintPath = await fileComplaint('The streetlight at the corner flickers all night.');
	await traffic();
});

await step('before', 'the admin\'s replica page: the three S3 replicas and both database servers of eu-west-1a, s3.get under seq(us, jp, de)', async () => {
	({ page } = await newPerson(browser, url, { viewport: { width: 1280, height: 800 } }));
	await signIn(page, admin.email, password);
	before = await until('three S3 replicas and two database servers of eu-west-1a, s3.get on us', (shown) =>
		replicasOf(shown, 's3.').join() === 'de,jp,us' && replicasOf(shown, 'db.').join() === 'primary,standby' &&
		attempts(shown, 's3.get', 'us') >= views);
	check(before.policies['s3.get'] === 'seq(us, jp, de)', `the effective s3.get policy shown is "${before.policies['s3.get']}"`);
	check(!before.rows['s3.get'][`${location}|jp`], `s3.get has attempts on jp under seq: ${JSON.stringify(before.rows['s3.get'])}`);
	await keep('before');
});

await step('reload', 'complaintd.conf edited (s3.get = hedge(20ms, jp, us), S3 replicas without de): complaintctl reload takes it and the page shows the new policy', async () => {
	const s3 = readFileSync(stackConf(), 'utf8').split('\n[s3]')[1];
	const set = /^replicas = (.*)$/m.exec(s3)[1].split(', ');
	const kept = set.filter((replica) => !replica.startsWith('de='));
	check(set.length === 3 && kept.length === 2, `the [s3] replicas are ${set.join(', ')}`);
	confSet('s3', [`replicas = ${kept.join(', ')}`, 'get = hedge(20ms, jp, us)']);
	const said = ctl(['reload']);
	check(/^reload taken: generation 2 serves now/m.test(said), `complaintctl reload said: ${said}`);
	await until('the effective s3.get policy hedge(20ms, jp, us)', (shown) => shown.policies['s3.get'] === 'hedge(20ms, jp, us)');
	// Two periods: what the old generation counted is written before de's figure is read.
	await sleep(2 * flushMs);
	await goto(page, '/admin/replicas');
	before = await table();
});

await step('after', `after ${views} more views and a filing: s3.get's attempts on jp show, jp and us cover every view, de gets none`, async () => {
	await traffic();
	await fileComplaint('A second streetlight out, two doors down.');
	const usBefore = attempts(before, 's3.get', 'us');
	const jpBefore = attempts(before, 's3.get', 'jp');
	const after = await until(`s3.get's new attempts on jp and us covering the ${views} views`, (shown) =>
		attempts(shown, 's3.get', 'jp') > jpBefore &&
		attempts(shown, 's3.get', 'jp') + attempts(shown, 's3.get', 'us') - jpBefore - usBefore >= views);
	tapDiag(`s3.get attempts: jp ${jpBefore} -> ${attempts(after, 's3.get', 'jp')}, us ${usBefore} -> ${attempts(after, 's3.get', 'us')}`);
	await sleep(2 * flushMs);
	await goto(page, '/admin/replicas');
	const settled = await table();
	check(attempts(settled, 's3.', 'de') === attempts(before, 's3.', 'de'),
		`de's S3 attempts moved from ${attempts(before, 's3.', 'de')} to ${attempts(settled, 's3.', 'de')} after it was dropped`);
	check(attempts(settled, 's3.put', 'us') > attempts(before, 's3.put', 'us') || attempts(settled, 's3.put', 'jp') > attempts(before, 's3.put', 'jp'),
		'the second filing\'s photo put shows on neither us nor jp');
	await keep('after');
});

await step('policies', 'the effective policies list names s3.get\'s new policy and s3.put over the two replicas left', async () => {
	const shown = await table();
	check(shown.policies['s3.get'] === 'hedge(20ms, jp, us)', `s3.get: ${shown.policies['s3.get']}`);
	check(shown.policies['s3.put'] === 'quorum(2, us, jp)', `s3.put: ${shown.policies['s3.put']}`);
});

await step('end', 'the browser closes', async () => {
	if (browser) await browser.close();
	page = null;
});

stackDown(failures() === 0);
process.exit(failures() ? 1 : 0);
