// tap.mjs: TAP output for the browser tests — a plan, one "ok"/"not ok" line per step, and a
// screenshot of the page after each step, saved under a stable name and named in a diag line so
// a CI log points at the picture of what the browser showed.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export function tapPlan(count) {
	console.log(`1..${count}`);
}

// Each line of TEXT as a TAP diagnostic.
export function tapDiag(text) {
	for (const line of String(text).split('\n')) console.log(`# ${line}`);
}

// The start of a message, without terminal colours (playwright's call logs run to hundreds of
// lines; the first ones say what failed).
function firstLines(text, count) {
	const lines = text.replace(/\x1b\[[0-9;]*m/g, '').split('\n');
	return lines.length <= count ? lines.join('\n') : [...lines.slice(0, count), `(${lines.length - count} more lines)`].join('\n');
}

// tapSteps(ARTIFACT_DIR, {page, explain}): runs steps in order. step(SHOT, NAME, FUNCTION)
// awaits FUNCTION; it passes unless FUNCTION throws. A failure's diagnostics are the error's
// message and the lines of explain() (what the browser saw during the step). After every step,
// the page that page() returns (if it shows one) is captured as ARTIFACT_DIR/NN-SHOT.png; a step
// that passes through more pages captures each on its way with shot(NAME), as NN-a-NAME.png,
// NN-b-NAME.png... The directory is emptied first, so it only holds this run's pictures.
export function tapSteps(artifactDir, { page: pageOf, explain }) {
	rmSync(artifactDir, { recursive: true, force: true });
	mkdirSync(artifactDir, { recursive: true });
	let number = 0;
	let failures = 0;
	let within = 0;
	// capture FILE: the page that page() returns, if it shows one, into FILE.
	async function capture(file) {
		const page = pageOf();
		if (!page || page.isClosed() || page.url() === 'about:blank') return;
		try {
			// A full page of the admin's queue (50 rows) took over 5 s on a loaded machine.
			await page.screenshot({ path: file, fullPage: true, timeout: 20000 });
			tapDiag(`screenshot: ${file} (${page.url()})`);
		} catch (thrown) {
			tapDiag(`no screenshot: ${thrown.message.split('\n')[0]}`);
		}
	}
	// shot NAME: the page now, during the step that runs.
	async function shot(name) {
		const label = String(number).padStart(2, '0');
		await capture(join(artifactDir, `${label}-${String.fromCharCode(97 + within++)}-${name}.png`));
	}
	async function step(shotName, name, run) {
		number += 1;
		within = 0;
		const label = String(number).padStart(2, '0');
		let error = null;
		const started = Date.now();
		try {
			await run();
		} catch (thrown) {
			error = thrown;
		}
		if (error) {
			failures += 1;
			console.log(`not ok ${number} - ${name}`);
			tapDiag(firstLines(error && error.message ? error.message : String(error), 12));
		} else {
			console.log(`ok ${number} - ${name}`);
		}
		tapDiag(`step ${label} took ${Date.now() - started} ms`);
		// Called after every step, so what it collects starts afresh with the next one.
		const seen = await explain();
		if (error && seen) tapDiag(seen);
		await capture(join(artifactDir, `${label}-${shotName}.png`));
		return !error;
	}
	return { step, shot, failures: () => failures, count: () => number };
}
