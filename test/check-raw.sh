#!/bin/sh
# check-raw.sh: fails if an HTML template writes a value unescaped that is not HTML the templates
# made: {{{x}}} and {{&x}} are allowed only for the layout's `content` (the page's template,
# rendered) and for names ending in `_html` (a piece rendered by render_fragment and kept, see
# web/queue.c). Plain-text mail templates (*.text.mustache) escape nothing by design. TAP output.
top=${srcdir:-.}
files=$(cd "$top" && find templates -name '*.mustache' ! -name '*.text.mustache' | sort)
echo "1..1"
hits=$(cd "$top" && grep -noE '\{\{\{ *[^} ]+ *\}\}\}|\{\{& *[^} ]+ *\}\}' $files /dev/null |
	grep -vE ':\{\{(\{|&) *(content|[A-Za-z0-9_]+_html) *\}?\}\}$')
if [ -n "$hits" ]; then
	echo "not ok 1 - raw template values are only content and *_html"
	echo "$hits" | sed 's/^/# /'
else
	echo "ok 1 - raw template values are only content and *_html"
fi
