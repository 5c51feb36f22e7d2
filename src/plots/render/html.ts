/**
 * One self-contained HTML page for a set of plots: the Vega libraries are inlined (no CDN, so it
 * draws offline and in CI artifacts), images are data: URLs, and a Content-Security-Policy
 * forbids the page any network request at all.
 */
import type { Plot } from '../plots.js';
import { browserBuilds } from './libraries.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** JSON inside a <script> element: `<` escaped so that no `</script>` or `<!--` in the data ends it. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** Library code inside a <script> element: a `</script` in a string literal would end the element. */
function scriptCode(code: string): string {
  return code.replace(/<\/script/gi, '<\\/script').replace(/<!--/g, '<\\!--');
}

// Vega compiles expressions with `new Function` (hence 'unsafe-eval'); nothing may be fetched.
const CSP = "default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval'; style-src 'unsafe-inline'; img-src data:; font-src data:";

const STYLE = `
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; }
header { margin-bottom: 1rem; }
h1 { font-size: 1.3rem; margin: 0 0 .25rem; }
.revisions { color: #555; font-size: .9rem; }
main { display: flex; flex-wrap: wrap; gap: 1.5rem; }
section { border: 1px solid #ddd; border-radius: 6px; padding: .75rem; }
section h2 { font-size: 1rem; margin: 0 0 .5rem; font-family: ui-monospace, monospace; }
.images { display: flex; gap: 1rem; flex-wrap: wrap; }
figure { margin: 0; } figcaption { font-size: .85rem; color: #555; }
figure img { max-width: 480px; }
.problems { color: #a33; font-size: .85rem; margin: .5rem 0 0; padding-left: 1.2rem; }
`;

export interface HtmlOptions {
  /** The page's title. */
  title: string;
  /** The revisions shown, as labels, in order. */
  revisions: readonly string[];
}

/** The page. Throws `MissingLibraryError` when the Vega packages are not installed. */
export function renderHtml(plots: readonly Plot[], options: HtmlOptions): string {
  const libraries = browserBuilds();
  const specs: Record<string, unknown> = {};
  const sections = plots.map((plot, i) => {
    const problems = plot.problems.length
      ? `<ul class="problems">${plot.problems.map((p) => `<li>${escapeHtml(`${p.file} (${p.rev}): ${p.message}`)}</li>`).join('')}</ul>`
      : '';
    if (plot.kind === 'image') {
      const figures = plot.images
        .map((image) => `<figure><img alt="${escapeHtml(`${image.file} (${image.rev})`)}" src="data:${image.mime};base64,${image.content.toString('base64')}"><figcaption>${escapeHtml(image.rev)}</figcaption></figure>`)
        .join('');
      return `<section data-plot="${escapeHtml(plot.id)}"><h2>${escapeHtml(plot.id)}</h2><div class="images">${figures}</div>${problems}</section>`;
    }
    const id = `plot-${i}`;
    specs[id] = plot.spec;
    return `<section data-plot="${escapeHtml(plot.id)}"><h2>${escapeHtml(plot.id)}</h2><div id="${id}" class="vega"></div>${problems}</section>`;
  });
  const versions = libraries.map((l) => `${l.library.name} ${l.library.version}`).join(', ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CSP}">
<meta name="generator" content="mlp plots (${escapeHtml(versions)})">
<title>${escapeHtml(options.title)}</title>
<style>${STYLE}</style>
${libraries.map((l) => `<script>/* ${l.library.name} ${l.library.version} */\n${scriptCode(l.code)}\n</script>`).join('\n')}
</head>
<body>
<header><h1>${escapeHtml(options.title)}</h1><div class="revisions">${escapeHtml(options.revisions.join(' · '))}</div></header>
<main>
${sections.join('\n')}
</main>
<script type="application/json" id="mlp-specs">${scriptJson(specs)}</script>
<script>
(function () {
  var specs = JSON.parse(document.getElementById('mlp-specs').textContent);
  Object.keys(specs).forEach(function (id) {
    var element = document.getElementById(id);
    vegaEmbed(element, specs[id], { mode: 'vega-lite', renderer: 'svg', actions: { export: true, source: false, compiled: false, editor: false } })
      .catch(function (error) { element.textContent = 'cannot draw this plot: ' + error; console.error(error); });
  });
})();
</script>
</body>
</html>
`;
}
