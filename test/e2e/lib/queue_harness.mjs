// harness.mjs: what every browser test shares — its own full stack (stackctl up, complaintctl
// migrate; stopped however the script ends, its logs kept after a failure), Debian's chromium
// through playwright-core, what the browser saw during a step (page errors, console errors,
// answers of 400 and more) for a failure's diagnostics, and the small actions the steps use.
//
// harness(NAME, RUN_TIMEOUT_MS) gives an object: stackUp(), stackDown(passed), launch(options)
// (sets .browser, .context, .page), goto(path), check(condition, message), submitAndLand(form,
// pattern, what), explain(), complaintctl(args, input), and .artifacts (var/test-artifacts/e2e/NAME).
// Environment: STACK_SRCDIR, TEST_VAR, COMPLAINTD_BINARY, COMPLAINTCTL_BINARY, CHROMIUM, NODE_PREFIX.
import { execFileSync } from 'node:child_process';
import { existsSync, openSync, closeSync, rmSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tapDiag } from './tap.mjs';

// Each action waits at most this long for the page: pages answer in milliseconds on loopback,
// filing (photo to an S3 quorum, the row to MariaDB, an ASan build) in well under a second.
export const actionTimeout = 10000;

export function harness(name, runTimeout) {
	const top = process.env.STACK_SRCDIR || join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
	const testVar = process.env.TEST_VAR || join(top, 'var');
	const h = {
		top,
		complaintd: process.env.COMPLAINTD_BINARY || join(top, 'var/build-asan/complaintd'),
		complaintctlPath: process.env.COMPLAINTCTL_BINARY || join(top, 'var/build-asan/complaintctl'),
		chromiumPath: process.env.CHROMIUM || '/usr/bin/chromium',
		nodePrefix: process.env.NODE_PREFIX || join(top, 'var/node'),
		stackctl: join(top, 'packaging/stackctl'),
		stackDir: join(testVar, 'stacks', `e2e-${name}-${process.pid}`),
		artifacts: join(testVar, 'test-artifacts/e2e', name),
		url: null,
		browser: null,
		context: null,
		page: null,
	};
	let stackStarted = false;
	let stackLog = null;
	let seen = [];

	function tail(file, lines) {
		try {
			return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
		} catch {
			return '(no log)';
		}
	}

	// stackDown PASSED: stops the stack. After a failure its logs stay for CI (the MariaDB datadirs,
	// over 100 MB, go); after a clean run nothing stays.
	h.stackDown = (passed) => {
		if (!stackStarted) return;
		stackStarted = false;
		const started = Date.now();
		try {
			execFileSync(h.stackctl, ['down', h.stackDir], { stdio: 'ignore', timeout: 60000 });
			console.log(`# stack stopped in ${Date.now() - started} ms`);
		} catch (error) {
			console.log(`# stackctl down failed: ${error.message.split('\n')[0]}`);
		}
		if (passed === true) {
			rmSync(h.stackDir, { recursive: true, force: true });
			if (stackLog) rmSync(stackLog, { force: true });
			return;
		}
		rmSync(join(h.stackDir, 'mariadb/primary'), { recursive: true, force: true });
		rmSync(join(h.stackDir, 'mariadb/standby'), { recursive: true, force: true });
		console.log(`# the stack's logs: ${h.stackDir}`);
	};
	process.on('exit', () => h.stackDown(false));
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(1));
	setTimeout(() => {
		tapDiag(`the run took over ${runTimeout / 1000} s: stopped`);
		process.exit(1);
	}, runTimeout).unref();

	// complaintctl ARGS [INPUT]: runs it on the stack's config; its standard output.
	h.complaintctl = (args, input, timeout = 60000) => {
		try {
			return execFileSync(h.complaintctlPath, ['-c', join(h.stackDir, 'complaintd.conf'), ...args],
				{ input: input ?? '', stdio: 'pipe', timeout }).toString();
		} catch (error) {
			throw new Error(`complaintctl ${args[0]} failed:\n${String(error.stderr || error.message).trim()}`);
		}
	};

	h.stackUp = () => {
		rmSync(h.stackDir, { recursive: true, force: true });
		mkdirSync(join(testVar, 'stacks'), { recursive: true });
		const log = `${h.stackDir}.up.log`;
		stackLog = log;
		const logFd = openSync(log, 'w');
		stackStarted = true;
		let base;
		try {
			base = execFileSync(h.stackctl, ['up', h.stackDir], {
				env: { ...process.env, COMPLAINTD_BINARY: h.complaintd },
				stdio: ['ignore', 'pipe', logFd],
				// About 5 s on an idle machine; over 90 s was seen on two cores loaded by other runs.
				timeout: 240000,
			}).toString().trim();
		} catch (error) {
			throw new Error(`stackctl up failed; its log ends:\n${tail(log, 15)}`);
		} finally {
			closeSync(logFd);
		}
		h.complaintctl(['migrate', '--migrations', join(top, 'db/migrations')]);
		h.url = `http://127.0.0.1:${base}`;
		return h.url;
	};

	function watch(newPage) {
		newPage.on('pageerror', (error) => seen.push(`page error: ${error.message}`));
		newPage.on('console', (message) => {
			if (message.type() === 'error') seen.push(`console error: ${message.text()}`);
		});
		newPage.on('response', (response) => {
			if (response.status() >= 400) seen.push(`${response.status()} for ${response.request().method()} ${response.url()}`);
		});
		newPage.on('requestfailed', (request) => seen.push(`request failed: ${request.url()} (${request.failure()?.errorText})`));
	}

	// The installed browser's own words for its version ("Chromium 156.0.8078.114 built on Debian...").
	function installedChromium() {
		try {
			return execFileSync(h.chromiumPath, ['--version'], { encoding: 'utf8', timeout: 10000 }).trim();
		} catch (error) {
			return `${h.chromiumPath} (its --version failed: ${error.message.split('\n')[0]})`;
		}
	}

	// "1.64.1 (built for Chromium 156.0.7...)": playwright-core's version and the browser it targets.
	function browserPairing(require) {
		const version = require('playwright-core/package.json').version;
		try {
			// Not require(): the package's exports map does not list browsers.json.
			const { browsers } = JSON.parse(readFileSync(join(h.nodePrefix, 'node_modules/playwright-core/browsers.json'), 'utf8'));
			const target = browsers.find((entry) => entry.name === 'chromium');
			return target && target.browserVersion ? `${version} (built for Chromium ${target.browserVersion})` : version;
		} catch {
			return version;
		}
	}

	// launch CONTEXT-OPTIONS: chromium headless, a context on the stack's URL, one watched page.
	h.launch = async (options = {}) => {
		h.check(existsSync(h.chromiumPath), `no browser at ${h.chromiumPath} (deb chromium in packaging/packages.txt)`);
		const require = createRequire(join(h.nodePrefix, 'package.json'));
		const { chromium } = require('playwright-core');
		try {
			h.browser = await chromium.launch({ executablePath: h.chromiumPath, headless: true, timeout: 30000 });
		} catch (error) {
			// Debian moves chromium on by whole majors (packaging/packages.txt says why it is not
			// pinned): say which two versions disagree and what to change.
			throw new Error(`playwright-core ${browserPairing(require)} cannot drive ${installedChromium()}: ` +
				`bump playwright-core in packaging/package.json to the release for this Chromium\n${error.message}`);
		}
		h.check(h.url, 'no stack to browse');
		h.context = await h.browser.newContext({ baseURL: h.url, locale: 'en-GB', viewport: { width: 1000, height: 800 }, ...options });
		h.context.setDefaultTimeout(actionTimeout);
		h.context.setDefaultNavigationTimeout(actionTimeout);
		h.page = await h.context.newPage();
		watch(h.page);
		tapDiag(`chromium ${h.browser.version()}, playwright-core ${browserPairing(require)}`);
	};

	// The failure's context: the page's address, its messages, what went wrong on the wire.
	h.explain = async () => {
		const lines = seen;
		seen = [];
		const page = h.page;
		if (!page || page.isClosed()) return lines.join('\n');
		let text = '';
		try {
			text = (await page.evaluate(() => document.body ? document.body.innerText : '')).replace(/\s+/g, ' ').slice(0, 400);
		} catch {
			text = '(unreadable)';
		}
		return [`at ${page.url()}`, `page text: ${text}`, ...lines].join('\n');
	};

	h.check = (condition, message) => {
		if (!condition) throw new Error(message);
	};

	// goto PATH: loads PATH and fails at once on an answer that is not 200 (after redirects).
	h.goto = async (path) => {
		const response = await h.page.goto(path);
		h.check(response, `no answer for ${path}`);
		h.check(response.status() === 200, `GET ${path} answered ${response.status()}`);
		return response;
	};

	// submitAndLand FORM-LOCATOR PATTERN WHAT: clicks the form's submit button and waits until the
	// browser shows a page whose path matches PATTERN; if it lands elsewhere, the failure names
	// where and the page's error messages.
	h.submitAndLand = async (form, pattern, what) => {
		await Promise.all([
			h.page.waitForNavigation({ timeout: actionTimeout }),
			form.locator('button[type=submit]').click(),
		]);
		const path = new URL(h.page.url()).pathname;
		if (!pattern.test(path)) {
			const errors = await h.page.locator('.field-error, .form-error').allInnerTexts();
			throw new Error(`${what}: landed on ${path}, not ${pattern}${errors.length ? `; the page says: ${errors.join(' | ')}` : ''}`);
		}
		return path;
	};

	return h;
}
