import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { projectRoot } from '../harness/fixtures';

const messagesSchema = z.record(z.string(), z.string());

function readJson(file: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(projectRoot, file), 'utf8'));
}

const manifest = z.object({ l10n: z.string() }).passthrough().parse(readJson('package.json'));
const english = messagesSchema.parse(readJson('package.nls.json'));
/** Every language the extension is translated to, by its manifest file: zh-cn at least. */
const languages = fs
  .readdirSync(projectRoot)
  .flatMap((file) => /^package\.nls\.([\w-]+)\.json$/.exec(file)?.[1] ?? [])
  .map((language) => ({
    language,
    manifest: messagesSchema.parse(readJson(`package.nls.${language}.json`)),
    bundle: messagesSchema.parse(readJson(`l10n/bundle.l10n.${language}.json`)),
  }));

/** Values the same in every language: the product's name. */
const PROPER_NAMES = new Set(['CoT Studio']);

/** Every string in a JSON value. */
function* strings(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const item of value) yield* strings(item);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) yield* strings(item);
}

/** `{0}`, `{1}`… in a message, sorted. */
function placeholders(text: string): string[] {
  return [...text.matchAll(/\{\d+\}/g)].map((match) => match[0]).sort();
}

/** What a translation must carry over unchanged: inline code, command links, codicons. */
function fixedParts(text: string): string[] {
  return [...text.matchAll(/`[^`]+`|\]\(command:[^)]+\)|\$\([\w-]+\)/g)].map((match) => match[0]).sort();
}

/** The TypeScript files under a folder of the project. */
function sources(folder: string): { file: string; text: string }[] {
  return fs
    .readdirSync(path.join(projectRoot, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => ({ file: path.join(folder, file), text: fs.readFileSync(path.join(projectRoot, folder, file), 'utf8') }));
}

/** Undoes a quoted literal's escapes (`\'`, `\"`, `\\`, `\n`). */
function unquote(literal: string): string {
  return literal.replace(/\\(.)/g, (_, char: string) => (char === 'n' ? '\n' : char === 't' ? '\t' : char));
}

const CALL = /\bl10n\.t\(/g;
const LITERAL_CALL = /\bl10n\.t\(\s*(['"])((?:\\.|(?!\1)[^\\])*)\1/g;

describe('translations', () => {
  const code = [...sources('src'), ...sources('webview')];

  it('is translated to Simplified Chinese', () => {
    assert.ok(languages.some(({ language }) => language === 'zh-cn'));
  });

  it('resolves every %key% of the manifest in English and in each language, with the same keys in all', () => {
    const references = [...strings(readJson('package.json'))].flatMap((text) => /^%([\w.-]+)%$/.exec(text)?.[1] ?? []);
    assert.ok(references.length > 50, 'the manifest refers to its strings');
    for (const key of references) assert.ok(key in english, `package.nls.json lacks ${key}`);
    assert.deepEqual(
      Object.keys(english).filter((key) => !references.includes(key)),
      [],
      'unused keys in package.nls.json',
    );
    for (const { language, manifest: translated } of languages) assert.deepEqual(Object.keys(translated).sort(), Object.keys(english).sort(), language);
  });

  it('translates every manifest string, keeping placeholders, code, command links and codicons', () => {
    for (const { language, manifest: translations } of languages) {
      for (const [key, text] of Object.entries(english)) {
        const translated = translations[key] ?? '';
        if (!PROPER_NAMES.has(text)) assert.notEqual(translated, text, `${language}: ${key} is not translated`);
        assert.deepEqual(fixedParts(translated), fixedParts(text), `${language}: ${key}: code spans, command links and codicons stay as they are`);
      }
    }
  });

  it('calls l10n.t with a string literal only, so that every message can be found here', () => {
    for (const { file, text } of code) {
      assert.equal([...text.matchAll(LITERAL_CALL)].length, [...text.matchAll(CALL)].length, `${file}: a l10n.t call without a literal message`);
    }
  });

  it('translates every message of the host and the webview, and keeps no message no code uses', () => {
    const used = new Set(code.flatMap(({ text }) => [...text.matchAll(LITERAL_CALL)].map((match) => unquote(match[2] ?? ''))));
    assert.ok(used.size > 200, 'the host and the webview translate their messages');
    for (const { language, bundle } of languages) {
      assert.deepEqual(
        [...used].filter((message) => !(message in bundle)),
        [],
        `messages missing from l10n/bundle.l10n.${language}.json`,
      );
      assert.deepEqual(
        Object.keys(bundle).filter((message) => !used.has(message)),
        [],
        `${language}: translations no code asks for`,
      );
      for (const [message, translated] of Object.entries(bundle)) {
        assert.notEqual(translated, message, `${language}: "${message}" is not translated`);
        assert.deepEqual(placeholders(translated), placeholders(message), `${language}: "${message}": placeholders`);
        assert.deepEqual(fixedParts(translated), fixedParts(message), `${language}: "${message}": codicons and code`);
      }
    }
  });

  it('leaves the core, which the English command line shares, untranslated', () => {
    const core =
      /^src[\\/](backends|bench|cli|dataset|engine|engineClient|errors|export|files|onnx|parquet|preferencePairs|protocol|random|rewards|search|serve|testModel)[\\/]/;
    assert.deepEqual(
      code.filter(({ file, text }) => core.test(file) && text.includes('l10n.t(')).map(({ file }) => file),
      [],
    );
  });

  it('translates the pages of the walkthrough, which VS Code looks up as NAME.nls.LANGUAGE.md', () => {
    const pages = [...strings(readJson('package.json'))].filter((text) => /^media\/walkthrough\/[\w-]+\.md$/.test(text));
    assert.ok(pages.length >= 5);
    for (const { language } of languages) {
      for (const page of pages) assert.ok(fs.existsSync(path.join(projectRoot, page.replace(/\.md$/, `.nls.${language}.md`))), `${page} in ${language}`);
    }
  });

  it('names the folder of its translation bundles in the manifest', () => {
    assert.equal(manifest.l10n, './l10n');
    assert.ok(fs.existsSync(path.join(projectRoot, manifest.l10n, 'bundle.l10n.zh-cn.json')));
  });
});
