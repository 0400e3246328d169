// account_mail.mjs: a resident's mails about their account, in a real browser against a full
// stack of its own, the mails read from the stack's mail sink — sign up ("check your mail"),
// ask on the account page for the confirmation link again, confirm the address from the newer
// mail's link, forget the password ("Forgot your password?" from the sign-in page), follow the
// reset mail's link, choose a new password and sign in with it — with every new page (the
// check-your-mail answers, /account before and after asking again, /forgot, /confirm-email before
// and after, the reset form) at 375 and 1280 px: axe-core with its default rules finds no
// violation, nothing is wider than the window, and a screenshot of each is kept under
// var/test-artifacts/e2e/account_mail/.
//
// Run by test/e2e/run.sh; its stack and browser are lib/harness.mjs's.
import { tapPlan, tapDiag, tapSteps } from './lib/tap.mjs';
import {
	artifactsOf, stackUp, stackDown, runDeadline, launchChromium, newPerson, explain, check, goto, submitAndLand,
	mailLink, auditShown,
} from './lib/harness.mjs';

const artifacts = artifactsOf('account_mail');
const widths = [375, 1280];
const stamp = `${process.pid}.${Date.now()}`;
const resident = { name: `Mina Mail ${process.pid}`, email: `mina.${stamp}@example.test` };
const firstPassword = 'harbour-lantern-31-quietly';
const newPassword = 'orchard-kettle-58-slowly';

runDeadline(300000);
let browser = null;
let url = null;
let page = null;
const problems = [];

// seenAt NAME: audits the page shown now at both widths (the window resized; the answer to a POST
// is audited as it stands) and adds what is wrong to problems.
async function seenAt(name) {
	for (const width of widths) {
		await page.setViewportSize({ width, height: 800 });
		problems.push(...await auditShown(page, name, artifacts));
	}
}

// fill FORM FIELDS: each [name, value].
async function fill(form, fields) {
	for (const [name, value] of fields) await form.locator(`[name=${name}]`).fill(value);
}

tapPlan(8);
const { step, failures } = tapSteps(artifacts, { page: () => page, explain: () => explain(page) });

await step('stack', 'the full stack starts with its mail sink, and the browser with it', async () => {
	url = stackUp('account-mail');
	browser = await launchChromium();
	({ page } = await newPerson(browser, url));
	tapDiag(`stack at ${url}`);
});

await step('signup', 'sign-up answers "check your mail" with no session; signing in from its link lands on /account', async () => {
	await goto(page, '/signup');
	const form = page.locator('form[action="/signup"]');
	await fill(form, [['name', resident.name], ['email', resident.email], ['password', firstPassword]]);
	await submitAndLand(page, form, /^\/signup$/, 'sign-up');
	check((await page.locator('main').innerText()).includes('Check your mail'), 'the answer does not say "Check your mail"');
	const cookies = await page.context().cookies();
	check(!cookies.some((cookie) => /session$/.test(cookie.name)), 'a session cookie right after signing up');
	await seenAt('signup-check-mail');
	await Promise.all([page.waitForNavigation(), page.locator('main').getByRole('link', { name: 'Sign in' }).click()]);
	const signin = page.locator('form[action="/signin"]');
	await fill(signin, [['email', resident.email], ['password', firstPassword]]);
	await submitAndLand(page, signin, /^\/account$/, 'sign-in after the sign-up');
});

await step('again', 'the account page offers the confirmation link again; pressing it says a new link is on its way, and it comes', async () => {
	await mailLink(resident.email, '/confirm-email');
	await seenAt('account-unconfirmed');
	const form = page.locator('form[action="/account/confirmation"]');
	check(await form.count() === 1, 'the account page has no "Send the confirmation link again"');
	await submitAndLand(page, form, /^\/account$/, 'asking for the link again');
	const said = await page.locator('main').innerText();
	check(said.includes('We sent a new confirmation link'), `the account page says: ${said.slice(0, 200)}`);
	await seenAt('account-confirmation-sent');
	await mailLink(resident.email, '/confirm-email', 2);
});

await step('confirm', 'the newer confirmation mail\'s link shows a button (the address not yet confirmed); pressing it confirms', async () => {
	const link = await mailLink(resident.email, '/confirm-email', 2);
	await goto(page, link);
	check(await page.locator('form[action="/confirm-email"] button[type=submit]').count() === 1, 'the link\'s page has no button');
	await seenAt('confirm-email');
	await Promise.all([page.waitForNavigation(), page.locator('form[action="/confirm-email"] button[type=submit]').click()]);
	const said = await page.locator('main').innerText();
	check(said.includes('is confirmed') && said.includes(resident.email), `the answer says: ${said.slice(0, 200)}`);
	await seenAt('confirm-email-done');
});

await step('forgot', 'signed out, "Forgot your password?" on the sign-in page leads to /forgot, which answers "check your mail"', async () => {
	await page.context().clearCookies();
	await goto(page, '/signin');
	await Promise.all([page.waitForNavigation(), page.locator('main').getByRole('link', { name: 'Forgot your password?' }).click()]);
	check(new URL(page.url()).pathname === '/forgot', `the link went to ${page.url()}`);
	await seenAt('forgot');
	const form = page.locator('form[action="/forgot"]');
	await fill(form, [['email', resident.email]]);
	await submitAndLand(page, form, /^\/forgot$/, 'asking for a reset');
	check((await page.locator('main').innerText()).includes('Check your mail'), 'the answer does not say "Check your mail"');
	await seenAt('forgot-check-mail');
});

await step('reset', 'the reset mail\'s link opens the form; a new password typed twice is set and the sign-in page says so', async () => {
	const link = await mailLink(resident.email, '/reset-password');
	await goto(page, link);
	const form = page.locator('form[action="/reset-password"]');
	check(await form.count() === 1, 'the link\'s page has no reset form');
	await seenAt('reset-password');
	await fill(form, [['password', newPassword], ['confirmation', newPassword]]);
	await submitAndLand(page, form, /^\/signin$/, 'the new password');
	check((await page.locator('main').innerText()).includes('Your password is set'), 'the sign-in page does not say the password is set');
});

await step('signin', 'the new password signs in; the old one does not', async () => {
	const signin = page.locator('form[action="/signin"]');
	await fill(signin, [['email', resident.email], ['password', firstPassword]]);
	await Promise.all([page.waitForNavigation(), signin.locator('button[type=submit]').click()]);
	check(new URL(page.url()).pathname === '/signin', `the old password went to ${page.url()}`);
	await fill(signin, [['email', resident.email], ['password', newPassword]]);
	await submitAndLand(page, signin, /^\/account$/, 'sign-in with the new password');
});

await step('axe', 'every new page at 375 and 1280 px: axe-core finds no violation, nothing overflows, the header is whole', async () => {
	check(problems.length === 0, problems.join('\n'));
});

if (browser) await browser.close().catch(() => {});
stackDown(failures() === 0);
process.exit(failures() ? 1 : 0);
