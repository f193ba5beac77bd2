#!/usr/bin/env bash
# Render a Markdown plan (the pull-request comment) the way GitHub shows it —
# GFM with GitHub's stylesheet in headless Chromium — into a PNG, to look at
# what a reviewer sees. Not run by CI. Needs chromium (Debian: apt-get install
# chromium) and, in a scratch directory outside this repository, the npm
# packages marked and github-markdown-css:
#
#   mkdir -p /tmp/render && (cd /tmp/render && npm install marked github-markdown-css)
#   RENDER_DIR=/tmp/render scripts/render-comment.sh plan.md plan.png [open]
#
# "open" unfolds every <details>. The PNG is as tall as the page (at most
# 16 000 pixels).
set -euo pipefail
md=$1 png=$2 open=${3:-}
dir=${RENDER_DIR:?set RENDER_DIR to the directory holding node_modules/marked}
html=$(mktemp --suffix=.html)
trap 'rm -f "$html"' EXIT
RENDER_DIR=$dir OPEN=$open node - "$md" "$html" <<'JS'
const fs = require('fs'), dir = process.env.RENDER_DIR;
const {marked} = require(dir + '/node_modules/marked');
const css = fs.readFileSync(dir + '/node_modules/github-markdown-css/github-markdown-light.css', 'utf8');
let body = marked.parse(fs.readFileSync(process.argv[2], 'utf8'), {gfm: true});
if (process.env.OPEN) body = body.replace(/<details>/g, '<details open>');
fs.writeFileSync(process.argv[3], `<!doctype html><meta charset="utf-8"><style>${css} .markdown-body{max-width:900px;margin:0 auto;padding:24px}</style>
<article class="markdown-body">${body}</article><script>onload=()=>{document.title='H'+document.documentElement.scrollHeight}</script>`);
JS
flags=(--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --hide-scrollbars)
h=$(chromium "${flags[@]}" --user-data-dir="$(mktemp -d)" --virtual-time-budget=2000 --dump-dom "file://$html" 2>/dev/null | sed -n 's/.*<title>H\([0-9]*\)<\/title>.*/\1/p')
chromium "${flags[@]}" --user-data-dir="$(mktemp -d)" --window-size=1000,$(( ${h:-2000} > 16000 ? 16000 : ${h:-2000} + 20 )) --screenshot="$png" "file://$html" 2>/dev/null
echo "$png: 1000 × ${h:-?} pixels"
