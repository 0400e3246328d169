#!/usr/bin/env bash
# resident.sh: what a resident finds around the pages, on a full stack of its own — the header
# with the pages of the viewer's role on every page (error pages too), "File a complaint" while
# signed out asking to sign in and why, and sign-in and sign-up returning to the page that asked
# (`next`) only when it is exactly the path of a GET route: an absolute URL, "//host", a
# backslash, an encoded newline or a POST-only path is ignored, never an error.
# The checks' predicates are single-quoted and evaluated when the check runs (holds):
# shellcheck disable=SC2016,SC2034
# shellcheck source=test/integration/lib.sh
source "$(dirname "$0")/lib.sh"
plan 16
scratch=$(mktemp -d)
trap 'test_stack_cleanup; rm -rf "$scratch"' EXIT
test_full_stack_up resident
test_migrate

password=Corr3ct-horse-battery
email="rose.$$@example.org"

# ---- signed out: "File a complaint" asks to sign in, and says why ----
get anon /complaints/new
check "signed out, File a complaint goes to sign-in naming the form as next (got $status $location)" \
	holds '[ "$status $location" = "303 /signin?next=/complaints/new" ]'
get anon "$location"
check "the sign-in page says why: to file a complaint, and that the form comes next" \
	holds '[ "$status" = 200 ] && visible_text "$body" | grep -q "To file a complaint, please sign in" &&
		grep -q "<input type=\"hidden\" name=\"next\" value=\"/complaints/new\">" <<<"$body"'
check "its link to create an account carries next along" \
	holds 'grep -q "href=\"/signup?next=/complaints/new\"" <<<"$body"'
get anon /signin
check "the bare sign-in page asks nothing and carries no next" \
	holds '[ "$status" = 200 ] && ! grep -q "name=\"next\"" <<<"$body" && ! visible_text "$body" | grep -q "To file a complaint"'

signup_query="?next=/complaints/new" sign_up rose "Rose Resident" "$email" "$password" next=/complaints/new
check "sign-up from there goes on to the form (got $status $location)" \
	holds '[ "$status $location" = "303 /complaints/new" ]'

# ---- the header: the viewer's pages, on every page ----
get rose /account
check "a resident's header links to My complaints and File a complaint, and says resident" \
	holds 'grep -q "<a href=\"/complaints\">My complaints</a>" <<<"$body" &&
		grep -q "<a href=\"/complaints/new\">File a complaint</a>" <<<"$body" &&
		! grep -q "href=\"/agent\"" <<<"$body" && visible_text "$body" | grep -q "Role resident"'
# ---- honest words: times in the city's zone (the stack's time_zone is Europe/Brussels) ----
stored=$("$top/packaging/stackctl" sql "$stack_dir" primary app "SELECT created_at FROM accounts WHERE email = '$email'")
brussels=$(LC_ALL=C TZ=Europe/Brussels date -d "${stored%.*} UTC" '+%-d %b %Y, %H:%M')
check "the account's creation shows in Brussels time to the minute ($brussels, stored $stored UTC)" \
	holds 'visible_text "$body" | grep -q "Since $brussels Change" && ! grep -q "UTC" <<<"$body"'
check "the footer names nothing internal" holds '! grep -qi "served from" <<<"$body"'
get rose /no/such/page
check "a 404 page shows the signed-in header (the name, My complaints, Sign out; no Sign in)" \
	holds '[ "$status" = 404 ] && grep -q "Rose Resident" <<<"$body" && grep -q "My complaints" <<<"$body" &&
		grep -q "Sign&nbsp;out" <<<"$body" && ! grep -q "href=\"/signin\"" <<<"$body"'
fetch rose DELETE /account
check "a 405 page shows the signed-in header too" \
	holds '[ "$status" = 405 ] && grep -q "Rose Resident" <<<"$body"'

# ---- next: only a GET route's exact path is followed ----
# ignored LABEL NEXT: a sign-in (from a browser of its own) posting NEXT lands on /account.
ignored() {
	sign_in "device$test_number" "$email" "$password" "next=$2"
	check "sign-in ignores next as $1 (got $status $location)" holds '[ "$status $location" = "303 /account" ]'
}
ignored "an absolute URL" "http://evil.example/complaints"
ignored "//host" "//evil.example/complaints"
ignored "a backslash" '/\evil.example'
ignored "an encoded newline" $'/complaints\r\nSet-Cookie: session=x'
ignored "a POST-only path" "/signout"
sign_in device-last "$email" "$password" "next=/complaints/42"
check "sign-in follows next when it is a GET route's path with its capture (got $status $location)" \
	holds '[ "$status $location" = "303 /complaints/42" ]'
