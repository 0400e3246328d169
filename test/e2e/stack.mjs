// stack.mjs: what every browser test needs around its steps — a full stack of its own
// (stackctl up, complaintctl migrate; stopped however the script ends) and Debian's chromium
// driven by playwright-core from var/node.
//
// Environment: STACK_SRCDIR, TEST_VAR, COMPLAINTD_BINARY, COMPLAINTCTL_BINARY, CHROMIUM, NODE_PREFIX.
import { execFileSync } from 'node:child_process';
import { existsSync, openSync, closeSync, rmSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tapDiag } from './tap.mjs';

export const top = process.env.STACK_SRCDIR || join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const testVar = process.env.TEST_VAR || join(top, 'var');
export const nodePrefix = process.env.NODE_PREFIX || join(top, 'var/node');
export const complaintctl = process.env.COMPLAINTCTL_BINARY || join(top, 'var/build-asan/complaintctl');
const complaintd = process.env.COMPLAINTD_BINARY || join(top, 'var/build-asan/complaintd');
const chromiumPath = process.env.CHROMIUM || '/usr/bin/chromium';
const stackctl = join(top, 'packaging/stackctl');

// testStack(NAME, RUN_TIMEOUT_MS): a stack named NAME-PID; its up() returns the site's URL,
// down(PASSED) stops it (after a failure its logs stay for CI, the MariaDB datadirs go). The
// process exits after RUN_TIMEOUT_MS whatever hangs, stopping the stack on the way out.
export function testStack(name, runTimeout) {
	const dir = join(testVar, 'stacks', `${name}-${process.pid}`);
	const log = join(testVar, 'stacks', `${name}-${process.pid}.up.log`);
	let started = false;
	function down(passed) {
		if (!started) return;
		started = false;
		const begun = Date.now();
		try {
			execFileSync(stackctl, ['down', dir], { stdio: 'ignore', timeout: 60000 });
			console.log(`# stack stopped in ${Date.now() - begun} ms`);
		} catch (error) {
			console.log(`# stackctl down failed: ${error.message.split('\n')[0]}`);
		}
		if (passed === true) {
			rmSync(dir, { recursive: true, force: true });
			rmSync(log, { force: true });
			return;
		}
		rmSync(join(dir, 'mariadb/primary'), { recursive: true, force: true });
		rmSync(join(dir, 'mariadb/standby'), { recursive: true, force: true });
		console.log(`# the stack's logs: ${dir}`);
	}
	function up() {
		rmSync(dir, { recursive: true, force: true });
		mkdirSync(join(testVar, 'stacks'), { recursive: true });
		const logFd = openSync(log, 'w');
		started = true;
		let base;
		try {
			base = execFileSync(stackctl, ['up', dir], {
				env: { ...process.env, COMPLAINTD_BINARY: complaintd },
				stdio: ['ignore', 'pipe', logFd],
				timeout: 90000,
			}).toString().trim();
		} catch (error) {
			throw new Error(`stackctl up failed; its log ends:\n${tail(log, 15)}`);
		} finally {
			closeSync(logFd);
		}
		try {
			execFileSync(complaintctl, ['-c', join(dir, 'complaintd.conf'), 'migrate', '--migrations', join(top, 'db/migrations')],
				{ stdio: 'pipe', timeout: 60000 });
		} catch (error) {
			throw new Error(`complaintctl migrate failed:\n${String(error.stderr || error.message).trim()}`);
		}
		return `http://127.0.0.1:${base}`;
	}
	process.on('exit', () => down(false));
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(1));
	setTimeout(() => {
		tapDiag(`the run took over ${runTimeout / 1000} s: stopped`);
		process.exit(1);
	}, runTimeout).unref();
	return { dir, up, down };
}

export function tail(file, lines) {
	try {
		return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
	} catch {
		return '(no log)';
	}
}

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

// Debian's chromium, headless, through playwright-core; a version mismatch says which two
// versions disagree and what to change (packaging/packages.txt says why chromium is not pinned).
export async function launchChromium() {
	if (!existsSync(chromiumPath)) throw new Error(`no browser at ${chromiumPath} (deb chromium in packaging/packages.txt)`);
	const require = createRequire(join(nodePrefix, 'package.json'));
	const { chromium } = require('playwright-core');
	let browser;
	try {
		browser = await chromium.launch({ executablePath: chromiumPath, headless: true, timeout: 30000 });
	} catch (error) {
		throw new Error(`playwright-core ${browserPairing(require)} cannot drive ${installedChromium()}: ` +
			`bump playwright-core in packaging/package.json to the release for this Chromium\n${error.message}`);
	}
	tapDiag(`chromium ${browser.version()}, playwright-core ${browserPairing(require)}`);
	return browser;
}
