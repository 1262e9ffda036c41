import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderWebviewHtml } from '../../src/editor/webviewHtml';

const options = {
  cspSource: 'https://webview.test',
  scriptUri: 'https://webview.test/webview.js',
  styleUris: ['https://webview.test/katex.css', 'https://webview.test/webview.css'],
  title: 'a "quoted" <name>.jsonl',
};

function policy(html: string): string {
  const match = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html);
  assert.ok(match, 'no Content-Security-Policy meta tag');
  return match[1];
}

describe('renderWebviewHtml', () => {
  it('allows only its own nonce-tagged script and nothing by default', () => {
    const html = renderWebviewHtml(options, 'abc123');
    const csp = policy(html);
    assert.match(csp, /^default-src 'none'/);
    assert.match(csp, /script-src 'nonce-abc123'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    assert.equal(scripts.length, 1);
    assert.match(scripts[0], /nonce="abc123"/);
  });

  it('uses a fresh nonce for each render', () => {
    const nonces = new Set(Array.from({ length: 5 }, () => /'nonce-([^']+)'/.exec(policy(renderWebviewHtml(options)))?.[1]));
    assert.equal(nonces.size, 5);
  });

  it('escapes the title', () => {
    assert.match(renderWebviewHtml(options), /<title>a &quot;quoted&quot; &lt;name&gt;\.jsonl<\/title>/);
  });

  it('carries the translations as a data block that no text in them can end, and names the language', () => {
    const bundle = { 'Accept sample': '接受样本', '</script><script>alert(1)</script>': '<!-- & \u2028' };
    const html = renderWebviewHtml({ ...options, language: 'zh-cn', l10nBundle: bundle }, 'abc123');
    assert.match(html, /<html lang="zh-cn">/);
    const block = /<script type="application\/json" id="l10n">([^<]*)<\/script>/.exec(html);
    assert.ok(block, 'no translations block');
    assert.deepEqual(JSON.parse(block[1]), bundle);
    // Only the nonce-tagged script runs; the data block is the one other script element.
    const scripts = [...html.matchAll(/<script([^>]*)>/g)].map((m) => m[1]);
    assert.equal(scripts.filter((attributes) => !attributes.includes('type="application/json"')).length, 1);
    assert.equal(scripts.length, 2);
  });

  it('leaves the translations out in English', () => {
    assert.doesNotMatch(renderWebviewHtml(options), /id="l10n"/);
  });
});
