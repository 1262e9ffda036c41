import { randomBytes } from 'node:crypto';

export interface WebviewHtmlOptions {
  /** `webview.cspSource`: the origin VS Code serves local resources from. */
  cspSource: string;
  scriptUri: string;
  /** Stylesheets in order; later ones win. */
  styleUris: string[];
  title: string;
  /** The display language, for `<html lang>`: `vscode.env.language`. */
  language?: string;
  /** `vscode.l10n.bundle`: the translations the page's script configures `@vscode/l10n` with; none in English. */
  l10nBundle?: Record<string, string>;
}

/** A fresh nonce per render: only our own script tag may run. */
export function makeNonce(): string {
  return randomBytes(16).toString('base64');
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * JSON that can stand inside a `<script>` element: no `</script>` or `<!--` can end or change it, since `<`
 * never appears as itself (nor `>`, `&` or the line separators JavaScript once rejected in strings).
 */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * The webview document. Nothing from the dataset appears here: records arrive later as messages and are
 * inserted as text. The policy allows no inline code, no remote origins and no eval. The translations travel as
 * a JSON data block, which the browser reads as data and never runs.
 */
export function renderWebviewHtml(options: WebviewHtmlOptions, nonce = makeNonce()): string {
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${options.cspSource}`,
    `font-src ${options.cspSource}`,
    `img-src ${options.cspSource} data:`,
  ].join('; ');
  const translations = options.l10nBundle === undefined ? '' : `<script type="application/json" id="l10n">${scriptJson(options.l10nBundle)}</script>\n`;
  return `<!DOCTYPE html>
<html lang="${escapeAttribute(options.language ?? 'en')}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${options.styleUris.map((uri) => `<link rel="stylesheet" href="${escapeAttribute(uri)}">`).join('\n')}
<title>${escapeAttribute(options.title)}</title>
</head>
<body>
<div id="app"></div>
${translations}<script nonce="${nonce}" src="${escapeAttribute(options.scriptUri)}"></script>
</body>
</html>`;
}
