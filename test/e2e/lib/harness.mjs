// harness.mjs: what every browser test stands on — a full stack of its own (packaging/stackctl,
// migrated with complaintctl, stopped however the script ends), Debian's chromium through
// playwright-core, and the few moves a step makes (goto, submitAndLand, check) with the words to
// explain a failure (the page's address, its text, what went wrong on the wire).
//
// Environment (test/e2e/run.sh sets it): STACK_SRCDIR, TEST_VAR, COMPLAINTD_BINARY,
// COMPLAINTCTL_BINARY, CHROMIUM, NODE_PREFIX.
import { execFileSync } from 'node:child_process';
import { existsSync, openSync, closeSync, rmSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tapDiag } from './tap.mjs';

export const top = process.env.STACK_SRCDIR || join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const testVar = process.env.TEST_VAR || join(top, 'var');
const complaintd = process.env.COMPLAINTD_BINARY || join(top, 'var/build-asan/complaintd');
const complaintctl = process.env.COMPLAINTCTL_BINARY || join(top, 'var/build-asan/complaintctl');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
export const nodePrefix = process.env.NODE_PREFIX || join(top, 'var/node');
const stackctl = join(top, 'packaging/stackctl');

// Each action waits at most this long for the page: pages answer in milliseconds on loopback,
// filing or resolving (a photo to an S3 quorum, the row to MariaDB, an ASan build) in well under a
// second.
export const actionTimeout = 10000;

// The screenshots of test NAME: var/test-artifacts/e2e/NAME.
export function artifactsOf(name) {
	return join(testVar, 'test-artifacts/e2e', name);
}

// ---- the stack, stopped however the script ends ----

let stackDir = null;
let mailApi = null;
let stackLog = null;
let stackStarted = false;

// stackDown PASSED: stops the stack. After a failure its logs stay for CI (the MariaDB datadirs,
// over 100 MB, go); after a clean run nothing stays.
export function stackDown(passed) {
	if (!stackStarted) return;
	stackStarted = false;
	const started = Date.now();
	try {
		execFileSync(stackctl, ['down', stackDir], { stdio: 'ignore', timeout: 60000 });
		console.log(`# stack stopped in ${Date.now() - started} ms`);
	} catch (error) {
		console.log(`# stackctl down failed: ${error.message.split('\n')[0]}`);
	}
	if (passed === true) {
		rmSync(stackDir, { recursive: true, force: true });
		if (stackLog) rmSync(stackLog, { force: true });
		return;
	}
	rmSync(join(stackDir, 'mariadb/primary'), { recursive: true, force: true });
	rmSync(join(stackDir, 'mariadb/standby'), { recursive: true, force: true });
	console.log(`# the stack's logs: ${stackDir}`);
}

// runDeadline MILLISECONDS: the whole run is cut off then, whatever hangs; the stack is stopped on
// the way out (as on a signal, or an exit the script did not plan).
export function runDeadline(milliseconds) {
	process.on('exit', () => stackDown(false));
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(1));
	setTimeout(() => {
		tapDiag(`the run took over ${milliseconds / 1000} s: stopped`);
		process.exit(1);
	}, milliseconds).unref();
}

function tail(file, lines) {
	try {
		return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
	} catch {
		return '(no log)';
	}
}

// stackUp NAME [OVERRIDES]: starts a full stack under var/stacks/e2e-NAME-PID (OVERRIDES: stackctl up's
// KEY=VALUE config pairs, e.g. ops.stats_flush_interval=1s) and migrates it; its URL.
export function stackUp(name, overrides = []) {
	stackDir = join(testVar, 'stacks', `e2e-${name}-${process.pid}`);
	rmSync(stackDir, { recursive: true, force: true });
	mkdirSync(join(testVar, 'stacks'), { recursive: true });
	const log = `${stackDir}.up.log`;
	stackLog = log;
	const logFd = openSync(log, 'w');
	stackStarted = true;
	let base;
	try {
		base = execFileSync(stackctl, ['up', stackDir, ...overrides], {
			env: { ...process.env, COMPLAINTD_BINARY: complaintd },
			stdio: ['ignore', 'pipe', logFd],
			// About 5 s on an idle machine; over 90 s was seen on two cores loaded by other runs.
			timeout: 240000,
		}).toString().trim();
	} catch (error) {
		throw new Error(`stackctl up failed; its log ends:\n${tail(log, 15)}`);
	} finally {
		closeSync(logFd);
	}
	ctl(['migrate', '--migrations', join(top, 'db/migrations')]);
	tapDiag(`stack directory ${stackDir}`);
	// The stack's mail sink's web side is at its port base + 10 (packaging/stack.sh's stack_port).
	mailApi = `http://127.0.0.1:${Number(base) + 10}/api`;
	return `http://127.0.0.1:${base}`;
}

// ctl ARGS [INPUT [TIMEOUT]]: complaintctl on the stack's config (INPUT on its standard input,
// e.g. the password of create-admin), cut off after TIMEOUT ms (a minute unless told: seeding
// thousands of complaints takes longer); its output.
export function ctl(args, input, timeout = 60000) {
	try {
		return execFileSync(complaintctl, ['-c', stackConf(), ...args],
			{ input: input ?? '', stdio: 'pipe', timeout }).toString();
	} catch (error) {
		throw new Error(`complaintctl ${args[0]} failed:\n${String(error.stderr || error.message).trim()}`);
	}
}

// stackConf: the stack's complaintd.conf.
export function stackConf() {
	return join(stackDir, 'complaintd.conf');
}

// confSet SECTION PAIRS: sets each 'key = value' of PAIRS in [SECTION] of the stack's
// complaintd.conf, as an operator edits it (test/integration/conf_set.py, lib.sh's conf_set).
export function confSet(section, pairs) {
	execFileSync('python3', [join(top, 'test/integration/conf_set.py'), stackConf(), section, ...pairs],
		{ stdio: 'pipe', timeout: 10000 });
}

// sql STATEMENTS: runs them on the stack's primary as the app's user (packaging/stackctl sql); the
// rows it prints. For what no page makes, e.g. the replica observations complaintd's timer writes.
export function sql(statements) {
	try {
		return execFileSync(stackctl, ['sql', stackDir, 'primary', 'app', statements], { stdio: 'pipe', timeout: 60000 }).toString();
	} catch (error) {
		throw new Error(`stackctl sql failed:\n${String(error.stderr || error.message).trim()}`);
	}
}

// ---- the browser ----

// The installed browser's own words for its version ("Chromium 156.0.8078.114 built on Debian...").
function installedChromium() {
	try {
		return execFileSync(chromiumPath, ['--version'], { encoding: 'utf8', timeout: 10000 }).trim();
	} catch (error) {
		return `${chromiumPath} (its --version failed: ${error.message.split('\n')[0]})`;
	}
}

// "1.64.1 (built for Chromium 156.0.7...)": playwright-core's version and the browser it targets.
function browserPairing(require) {
	const version = require('playwright-core/package.json').version;
	try {
		// Not require(): the package's exports map does not list browsers.json.
		const { browsers } = JSON.parse(readFileSync(join(nodePrefix, 'node_modules/playwright-core/browsers.json'), 'utf8'));
		const target = browsers.find((entry) => entry.name === 'chromium');
		return target && target.browserVersion ? `${version} (built for Chromium ${target.browserVersion})` : version;
	} catch {
		return version;
	}
}

// launchChromium: Debian's chromium, headless; a failure says which two versions disagree.
export async function launchChromium() {
	check(existsSync(chromiumPath), `no browser at ${chromiumPath} (deb chromium in packaging/packages.txt)`);
	const require = createRequire(join(nodePrefix, 'package.json'));
	const { chromium } = require('playwright-core');
	let browser;
	try {
		browser = await chromium.launch({ executablePath: chromiumPath, headless: true, timeout: 30000 });
	} catch (error) {
		// Debian moves chromium on by whole majors (packaging/packages.txt says why it is not
		// pinned): say which two versions disagree and what to change.
		throw new Error(`playwright-core ${browserPairing(require)} cannot drive ${installedChromium()}: ` +
			`bump playwright-core in packaging/package.json to the release for this Chromium\n${error.message}`);
	}
	tapDiag(`chromium ${browser.version()}, playwright-core ${browserPairing(require)}`);
	return browser;
}

// newPerson BROWSER URL [OPTIONS]: a browser context of its own (its own cookies: one person) and
// its page, watched. OPTIONS are playwright's context options on top of these (downloads are
// accepted: a test reads a downloaded file with the download event's path()).
export async function newPerson(browser, url, options = {}) {
	const context = await browser.newContext({
		baseURL: url, locale: 'en-GB', viewport: { width: 1000, height: 800 }, acceptDownloads: true, ...options,
	});
	context.setDefaultTimeout(actionTimeout);
	context.setDefaultNavigationTimeout(actionTimeout);
	const page = await context.newPage();
	watch(page);
	return { context, page };
}

// ---- what the browser saw ----

let seen = [];

function watch(page) {
	page.on('pageerror', (error) => seen.push(`page error: ${error.message}`));
	page.on('console', (message) => {
		if (message.type() === 'error') seen.push(`console error: ${message.text()}`);
	});
	page.on('response', (response) => {
		if (response.status() >= 400) seen.push(`${response.status()} for ${response.request().method()} ${response.url()}`);
	});
	page.on('requestfailed', (request) => seen.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
}

// explain PAGE: a failure's context — the page's address and text, what went wrong on the wire
// since the last call.
export async function explain(page) {
	const lines = seen;
	seen = [];
	if (!page || page.isClosed()) return lines.join('\n');
	let text = '';
	try {
		text = (await page.evaluate(() => document.body ? document.body.innerText : '')).replace(/\s+/g, ' ').slice(0, 400);
	} catch {
		text = '(unreadable)';
	}
	return [`at ${page.url()}`, `page text: ${text}`, ...lines].join('\n');
}

export function check(condition, message) {
	if (!condition) throw new Error(message);
}

// goto PAGE PATH: loads PATH and fails at once on an answer that is not 200 (after redirects).
export async function goto(page, path) {
	const response = await page.goto(path);
	check(response, `no answer for ${path}`);
	check(response.status() === 200, `GET ${path} answered ${response.status()}`);
	return response;
}

// submitAndLand PAGE FORM-LOCATOR PATTERN WHAT: clicks the form's submit button and waits until the
// browser shows a page whose path matches PATTERN; if it lands elsewhere, the failure names where
// and the page's error messages.
export async function submitAndLand(page, form, pattern, what) {
	await Promise.all([
		page.waitForNavigation({ timeout: actionTimeout }),
		form.locator('button[type=submit]').click(),
	]);
	const path = new URL(page.url()).pathname;
	if (!pattern.test(path)) {
		const errors = await page.locator('.field-error, .form-error, .error .message').allInnerTexts();
		throw new Error(`${what}: landed on ${path}, not ${pattern}${errors.length ? `; the page says: ${errors.join(' | ')}` : ''}`);
	}
	return path;
}

// signIn PAGE EMAIL PASSWORD: the sign-in form, filled and sent; fails unless it lands on /account.
export async function signIn(page, email, password) {
	await goto(page, '/signin');
	const form = page.locator('form[action="/signin"]');
	await form.locator('[name=email]').fill(email);
	await form.locator('[name=password]').fill(password);
	await submitAndLand(page, form, /^\/account$/, `the sign-in of ${email}`);
}

// browseSignedIn URL WHO OPENED: Debian's chromium started headless, a person's window on the stack
// at URL and WHO ({ email, password }) signed in there. OPENED({ browser, page }) is called before
// the sign-in, so that a failed sign-in still leaves the test its page to show and its browser to
// close.
export async function browseSignedIn(url, who, opened) {
	const browser = await launchChromium();
	check(url, 'no stack to browse');
	const { page } = await newPerson(browser, url);
	opened({ browser, page });
	await signIn(page, who.email, who.password);
}

// ---- mail, read through the stack's maildev (its REST API) ----

// mailLink TO PATH [NTH [TIMEOUT]]: waits for the NTH (1: the first) link to PATH (e.g.
// '/confirm-email') in the text of the mails to TO, and returns it without its origin.
export async function mailLink(to, path, nth = 1, timeout = 20000) {
	const deadline = Date.now() + timeout;
	for (;;) {
		const mails = await (await fetch(`${mailApi}/email`)).json();
		const links = [];
		for (const mail of mails) {
			if (!(mail.to || []).some((t) => t.address.toLowerCase() === to.toLowerCase())) continue;
			for (const [, link] of (mail.text || '').matchAll(/https?:\/\/[^/\s]+(\/[^\s<>"]*)/g))
				if (link.split('?')[0] === path) links.push(link);
		}
		if (links.length >= nth) return links[nth - 1];
		if (Date.now() > deadline) throw new Error(`no mail to ${to} with a link to ${path} within ${timeout} ms (${links.length} found)`);
		await new Promise((resolve) => setTimeout(resolve, 200));
	}
}

// confirmAddress PAGE EMAIL: opens the confirmation link mailed to EMAIL and presses its button.
export async function confirmAddress(page, email) {
	await page.goto(await mailLink(email, '/confirm-email'));
	await Promise.all([page.waitForNavigation(), page.locator('form[action="/confirm-email"] button[type=submit]').click()]);
	const said = await page.locator('main').innerText();
	check(said.includes('is confirmed'), `confirming ${email} says: ${said.slice(0, 300)}`);
}

// ---- accessibility and layout ----

const axeSource = readFileSync(join(nodePrefix, 'node_modules/axe-core/axe.min.js'), 'utf8');

// audit PAGE PATH NAME DIRECTORY [STATUS]: loads PATH (expecting STATUS), then auditShown.
// Returns the problems found, as lines.
export async function audit(opened, path, name, directory, status = 200) {
	const problems = [];
	if (!path) return [`${name}: no such page to see (an earlier step failed)`];
	const response = await opened.goto(path);
	if (!response || response.status() !== status) problems.push(`${path}: answered ${response && response.status()}, not ${status}`);
	return problems.concat(await auditShown(opened, name, directory));
}

// auditWidths PAGE PAGES DIRECTORY [MORE]: at 375 and 1280 px, audit of each [PATH, NAME] of
// PAGES (its screenshot named in a diag line), then MORE(WIDTH)'s own checks of the last one at
// that width. Returns every problem, as lines.
export async function auditWidths(opened, pages, directory, more = async () => []) {
	const problems = [];
	for (const width of [375, 1280]) {
		await opened.setViewportSize({ width, height: 800 });
		for (const [path, name] of pages) {
			problems.push(...await audit(opened, path, name, directory));
			tapDiag(`screenshot: ${join(directory, `${name}-${width}.png`)}`);
		}
		problems.push(...await more(width));
	}
	return problems;
}

// auditShown PAGE NAME DIRECTORY: the page as it is now (e.g. the answer to a form): axe-core's
// default rules find no violation, the page is no wider than the window, every header link is on
// screen; and a screenshot NAME-WIDTH.png is kept in DIRECTORY. Returns the problems, as lines.
export async function auditShown(opened, name, directory) {
	const width = opened.viewportSize().width;
	const path = new URL(opened.url()).pathname;
	const problems = [];
	await opened.waitForLoadState('load');
	// Evaluated by the debugging protocol, which the page's CSP does not govern.
	await opened.evaluate(axeSource);
	const result = await opened.evaluate(() => window.axe.run(document));
	for (const violation of result.violations)
		problems.push(`${path} at ${width} px: axe ${violation.id} (${violation.impact}): ${violation.help}: ` +
			violation.nodes.slice(0, 3).map((node) => node.target.join(' ')).join(', '));
	const sizes = await opened.evaluate(() => ({ page: document.documentElement.scrollWidth, window: window.innerWidth }));
	if (sizes.page > sizes.window) problems.push(`${path} at ${width} px: the page is ${sizes.page} px wide`);
	const links = await opened.locator('header.site-header a, header.site-header button').evaluateAll((elements) =>
		elements.map((element) => {
			const box = element.getBoundingClientRect();
			return { text: element.textContent.trim(), left: box.left, right: box.right, height: box.height };
		}));
	for (const link of links)
		if (link.left < 0 || link.right > width || link.height > 40)
			problems.push(`${path} at ${width} px: the header's "${link.text}" is cut or split (${JSON.stringify(link)})`);
	await opened.screenshot({ path: join(directory, `${name}-${width}.png`), fullPage: true });
	return problems;
}
