// Regenerating a stage from the sample view of the installed VSIX with its bundled model, checked on disk.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Frame, Page } from 'playwright-core';
import { projectRoot } from '../harness/fixtures';
import { type InstalledProduct, startInstalledProduct } from '../harness/installedProduct';
import type { Workbench } from '../harness/workbench';

const resultsDir = path.join(projectRoot, 'test-results');
const FILE = 'regenerate.cot.jsonl';
const CANDIDATES = 16;
/**
 * The bigram model mostly ends a candidate before </REASONING>: more candidates, sampled cooler, keep some.
 * It cannot judge either, so candidates are ranked by log-probability rather than by a knockout.
 */
const SETTINGS = { 'cotStudio.regenerate.candidates': CANDIDATES, 'cotStudio.regenerate.temperature': 0.3, 'cotStudio.regenerate.rank': 'logprob' };
const CONVERSATION = 'conversation.cot.jsonl';
/** LLaVA-CoT sample 1 with its ground truth (its conclusion's 2022), so its steps can be scored by rollouts. */
const ANSWERED = 'answered.cot.jsonl';

/**
 * Two LLaVA-CoT exchanges made one conversation in LLaMA-Factory's layout: a `messages` list and an `images`
 * list whose images stand where each question's `<image>` is (the second question's at its end), and a second
 * record that must come through a save untouched.
 */
function writeConversation(folder: string): void {
  const lines = fs.readFileSync(path.join(folder, 'llava_cot.jsonl'), 'utf8').split('\n');
  const [first, second, other] = [lines[0], lines[4], lines[2]].map(
    (line) => JSON.parse(line as string) as { image: string; conversations: { value: string }[] },
  );
  const question = (record: typeof first) => record?.conversations[0]?.value.replace('<image>\n', '') ?? '';
  const record = {
    id: 'two-exchanges',
    messages: [
      { role: 'user', content: `<image>\n${question(first)}` },
      { role: 'assistant', content: first?.conversations[1]?.value },
      { role: 'user', content: `${question(second)}\n<image>` },
      { role: 'assistant', content: second?.conversations[1]?.value },
    ],
    images: [first?.image, second?.image],
  };
  fs.writeFileSync(path.join(folder, CONVERSATION), `${JSON.stringify(record)}\n${JSON.stringify(other)}\n`);
}

interface Saved {
  conversations: { value: string }[];
  cot_studio: {
    segments: Record<
      string,
      { stale?: boolean; alternatives?: { text: string; provenance: { source: string; method?: string; parameters?: Record<string, unknown> } }[] }
    >;
    preferencePairs: { level: string; position?: number; chosen: string; rejected: string; origin: string }[];
  };
}

function reasoningOf(line: string): string {
  const match = /<REASONING>([\s\S]*?)<\/REASONING>/.exec((JSON.parse(line) as Saved).conversations[1]?.value ?? '');
  assert.ok(match, 'the record has a REASONING stage');
  return match[1] as string;
}

/** What the regeneration panel of a card shows: its state and how many candidate blocks have text. */
interface PanelSnapshot {
  state: string | null;
  blocks: number;
  filled: number;
}

describe('regenerating a stage from the sample view', { timeout: 5 * 60_000 }, () => {
  let product: InstalledProduct;
  let page: Page;
  let workbench: Workbench;
  let workspace: string;

  before(async () => {
    product = await startInstalledProduct((folder) => {
      fs.copyFileSync(path.join(folder, 'llava_cot.jsonl'), path.join(folder, FILE));
      fs.copyFileSync(path.join(folder, 'mmpr.jsonl'), path.join(folder, 'pairs.cot.jsonl'));
      writeConversation(folder);
      const [first] = fs.readFileSync(path.join(folder, 'llava_cot.jsonl'), 'utf8').split('\n');
      fs.writeFileSync(path.join(folder, ANSWERED), `${JSON.stringify({ ...(JSON.parse(first as string) as object), answer: '2022' })}\n`);
      fs.mkdirSync(path.join(folder, '.vscode'));
      fs.writeFileSync(path.join(folder, '.vscode', 'settings.json'), JSON.stringify(SETTINGS));
    });
    ({ page, workbench, workspace } = product);
  });

  after(() => product?.close(process.exitCode ? 'regenerate-failure.png' : undefined));

  async function openDataset(): Promise<Frame> {
    await workbench.quickOpen(FILE);
    const view = await workbench.datasetView(FILE);
    await view.locator('.sample-title', { hasText: 'Line 1' }).waitFor({ timeout: 30_000 });
    return view;
  }

  /** Follows the REASONING card's panel until the run ends: `done` once its alternatives are listed, else `failed`. */
  async function outcome(view: Frame): Promise<{ result: 'done' | 'failed'; seen: PanelSnapshot[] }> {
    const card = view.locator('.segment-card[data-side="primary"][data-segment="2"]');
    const seen: PanelSnapshot[] = [];
    const deadline = Date.now() + 60_000;
    for (;;) {
      const snapshot: PanelSnapshot = await card.evaluate((node) => {
        const panel = node.querySelector('.regeneration');
        const texts = [...node.querySelectorAll('.regeneration-text')].map((text) => text.textContent ?? '');
        return { state: panel?.getAttribute('data-state') ?? null, blocks: texts.length, filled: texts.filter((text) => text.trim() !== '').length };
      });
      if (seen.at(-1)?.state !== snapshot.state || snapshot.filled > (seen.at(-1)?.filled ?? 0)) seen.push(snapshot);
      if (snapshot.state === 'failed') return { result: 'failed', seen };
      if ((snapshot.state === null || snapshot.state === 'done') && (await card.locator('.alternatives .alternative').count()) > 0)
        return { result: 'done', seen };
      if (Date.now() > deadline) throw new Error(`the regeneration did not end: ${JSON.stringify(seen)}`);
      await page.waitForTimeout(50);
    }
  }

  it('streams candidates into the REASONING card, lists them as alternatives, and saves the accepted one', async (t) => {
    const file = path.join(workspace, FILE);
    const original = fs.readFileSync(file, 'utf8').split('\n');
    const oldReasoning = reasoningOf(original[0] as string);
    const view = await openDataset();
    const regenerate = view.getByRole('button', { name: 'Regenerate REASONING', exact: true });
    const panel = view.locator('.segment-card[data-segment="2"] .regeneration');

    // The bigram model can miss </REASONING> in every candidate; each click draws another seed.
    let ended: Awaited<ReturnType<typeof outcome>> | undefined;
    for (let attempt = 1; attempt <= 3 && ended?.result !== 'done'; attempt++) {
      await regenerate.click();
      const busy = await view.evaluate(() => {
        const { document } = globalThis as unknown as {
          document: { querySelector(selector: string): { disabled?: boolean; getAttribute(name: string): string | null } | null };
        };
        const state = document.querySelector('.regeneration')?.getAttribute('data-state');
        return (
          document.querySelector('vscode-button[aria-label="Regenerate CONCLUSION"]')?.disabled === true ||
          state === 'done' ||
          state === 'failed' ||
          state === undefined
        );
      });
      assert.ok(busy, 'the Regenerate buttons wait while the run goes on');
      ended = await outcome(view);
      t.diagnostic(`attempt ${attempt}: ${ended.result} after ${JSON.stringify(ended.seen)}`);
      if (ended.result === 'failed') {
        const reason = await panel.locator('.regeneration-state').innerText();
        t.diagnostic(reason);
        assert.match(reason, /^Failed: /);
        assert.equal(await regenerate.isEnabled(), true, 'a failed run frees the buttons');
      }
    }
    assert.equal(ended?.result, 'done', 'one of three regenerations kept a candidate');
    for (const snapshot of ended.seen) if (snapshot.state === 'decoding') assert.equal(snapshot.blocks, CANDIDATES, 'one block per candidate');

    const alternatives = view.locator('.segment-card[data-segment="2"] .alternatives .alternative');
    assert.match(await alternatives.first().locator('.alternative-meta').innerText(), /^1\. model · \S+ · beam\b/);
    // The diff against the current text, less what it strikes out, is the candidate.
    const candidate = (await alternatives.first().locator('.word-diff > :not(del)').allTextContents()).join('');
    assert.notEqual(candidate.trim(), '');
    await view.getByRole('button', { name: 'Accept alternative 1 for REASONING', exact: true }).click();
    await view.locator('.segment-card[data-segment="3"].stale').waitFor({ timeout: 10_000 });
    await page.keyboard.press('Control+s');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });

    const saved = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(saved.length, original.length);
    for (let i = 1; i < original.length; i++) assert.equal(saved[i], original[i], `line ${i + 1} is untouched`);
    assert.equal(reasoningOf(saved[0] as string), candidate);
    const record = JSON.parse(saved[0] as string) as Saved;
    assert.deepEqual(
      record.cot_studio.preferencePairs.map(({ level, position, chosen, rejected, origin }) => ({ level, position, chosen, rejected, origin })),
      [{ level: 'segment', position: 2, chosen: candidate, rejected: oldReasoning, origin: 'accepted-alternative' }],
    );
    assert.equal(record.cot_studio.segments['3']?.stale, true, 'CONCLUSION is stale after REASONING changed');
    const kept = record.cot_studio.segments['2']?.alternatives ?? [];
    assert.deepEqual(
      kept[0] && { text: kept[0].text, source: kept[0].provenance.source },
      { text: oldReasoning, source: 'original' },
      'the replaced text stays as an alternative',
    );
    for (const alternative of kept.slice(1)) {
      assert.equal(alternative.provenance.source, 'model');
      assert.equal(alternative.provenance.method, 'beam');
    }
    // The other candidates follow, best first; one with the accepted text, or another's, is kept once.
    const ranks = kept.slice(1).map((alternative) => Number(alternative.provenance.parameters?.rank));
    assert.ok(ranks.length > 0 && ranks[0] >= 2, `ranks ${ranks.join(', ')}`);
    assert.deepEqual(
      ranks,
      [...new Set(ranks)].sort((a, b) => a - b),
      'the other candidates follow, best first',
    );
  });

  it('shows both exchanges of a conversation with their images; rates, edits and regenerates a segment of the second reply, and saves that line alone', async (t) => {
    const file = path.join(workspace, CONVERSATION);
    const original = fs.readFileSync(file, 'utf8').split('\n');
    await workbench.quickOpen(CONVERSATION);
    const view = await workbench.datasetView(CONVERSATION);
    await view.locator('.sample-title', { hasText: 'Line 1' }).waitFor({ timeout: 30_000 });
    const turns = view.locator('.conversation > .conversation-turn');
    assert.deepEqual(await turns.evaluateAll((nodes) => nodes.map((node) => node.className)), [
      'conversation-turn user',
      'conversation-turn assistant',
      'conversation-turn user',
      'conversation-turn assistant',
    ]);
    const record = JSON.parse(original[0] as string) as { images: string[]; messages: { content: string }[] };
    for (const [turn, image, placed] of [
      [0, record.images[0], 'first'],
      [2, record.images[1], 'last'],
    ] as const) {
      const question = turns.nth(turn).locator('.sample-question');
      const shown = question.locator('img.sample-image');
      assert.equal(await shown.count(), 1, `question ${turn / 2 + 1} shows its own image`);
      assert.equal(await shown.getAttribute('alt'), image);
      await shown.evaluate(
        (node) =>
          new Promise((resolve, reject) => {
            const img = node as unknown as { complete: boolean; naturalWidth: number; onload: (() => void) | null; onerror: (() => void) | null };
            if (img.complete) return img.naturalWidth > 0 ? resolve(true) : reject(new Error('the image did not load'));
            img.onload = () => resolve(true);
            img.onerror = () => reject(new Error('the image did not load'));
          }),
      );
      // Where its placeholder stands: before the question's text, or after it.
      // An image is drawn in a frame that holds the boxes over it.
      const order = await question.evaluate((node) =>
        [...(node as unknown as { children: { tagName: string; classList: { contains(name: string): boolean } }[] }).children].map((child) =>
          child.classList.contains('image-frame') ? 'IMG' : child.tagName,
        ),
      );
      assert.equal(placed === 'first' ? order[0] : order.at(-1), 'IMG', `the image of question ${turn / 2 + 1} stands where its <image> is`);
    }

    const second = view.locator('.conversation-turn.assistant[data-turn="1"]');
    await view.getByRole('button', { name: 'Rate REASONING of reply 2 incorrect', exact: true }).click();
    await second.locator('.segment-card[data-segment="2"][data-rating="-1"]').waitFor({ timeout: 10_000 });
    assert.equal(await view.locator('.conversation-turn.assistant[data-turn="0"] .segment-card[data-rating="-1"]').count(), 0, 'the first reply is not rated');

    await view.getByRole('button', { name: 'Edit CAPTION of reply 2', exact: true }).click();
    await view.getByRole('textbox', { name: 'Text of CAPTION of reply 2' }).fill(' The image shows a right triangle. ');
    await view.getByRole('button', { name: 'Save CAPTION of reply 2', exact: true }).click();
    await second.locator('.segment-card[data-segment="1"] .segment-text', { hasText: 'The image shows a right triangle.' }).waitFor({ timeout: 10_000 });

    const regenerate = view.getByRole('button', { name: 'Regenerate CONCLUSION of reply 2', exact: true });
    const alternatives = second.locator('.segment-card[data-segment="3"] .alternatives .alternative');
    for (let attempt = 1; attempt <= 4 && (await alternatives.count()) === 0; attempt++) {
      await regenerate.click();
      await view.waitForFunction(
        () => {
          const { document } = globalThis as unknown as { document: { querySelector(selector: string): { disabled?: boolean } | null } };
          return document.querySelector('vscode-button[aria-label="Regenerate CONCLUSION of reply 2"]')?.disabled === false;
        },
        undefined,
        { timeout: 60_000 },
      );
      const failed = await second.locator('.segment-card[data-segment="3"] .regeneration[data-state="failed"] .regeneration-state').allInnerTexts();
      t.diagnostic(`attempt ${attempt}: ${failed[0] ?? 'kept candidates'}`);
      if (failed.length === 0) await alternatives.first().waitFor({ timeout: 10_000 });
    }
    assert.ok((await alternatives.count()) > 0, 'one of four regenerations kept a candidate for the second reply');
    assert.equal(await view.locator('.conversation-turn.assistant[data-turn="0"] .alternatives').count(), 0, 'the first reply gets no alternatives');

    await page.keyboard.press('Control+s');
    await page.locator('.tab.active.dirty').waitFor({ state: 'detached', timeout: 10_000 });
    const saved = fs.readFileSync(file, 'utf8').split('\n');
    assert.equal(saved.length, original.length);
    for (let i = 1; i < original.length; i++) assert.equal(saved[i], original[i], `line ${i + 1} is untouched`);
    const after = JSON.parse(saved[0] as string) as typeof record & {
      cot_studio: { segments: Record<string, { rating: number | null; stale?: boolean; alternatives: { provenance: { source: string; method?: string } }[] }> };
    };
    assert.deepEqual(after.messages.slice(0, 3), record.messages.slice(0, 3), 'the first exchange and the second question are as they were');
    assert.equal(
      after.messages[3]?.content,
      record.messages[3]?.content.replace(/<CAPTION>[\s\S]*?<\/CAPTION>/, '<CAPTION> The image shows a right triangle. </CAPTION>'),
    );
    const { segments } = after.cot_studio;
    assert.deepEqual(Object.keys(segments).sort(), ['turn1:1', 'turn1:2', 'turn1:3']);
    assert.equal(segments['turn1:2']?.rating, -1);
    assert.equal(segments['turn1:2']?.stale, true, 'REASONING is stale after CAPTION changed');
    assert.ok(
      (segments['turn1:3']?.alternatives ?? []).every((alternative) => alternative.provenance.source === 'model' && alternative.provenance.method === 'beam'),
    );
  });

  it('regenerates the rest from the keyboard (G), the panel moving from card to card', async (t) => {
    const view = await openDataset();
    await view.locator('.segment-card[data-segment="2"] .segment-text').click();
    await view.locator('.segment-card.focused[data-segment="2"]').waitFor();
    await page.keyboard.press('Shift+G');
    const seen: string[] = [];
    const deadline = Date.now() + 90_000;
    for (;;) {
      const where = await view.evaluate(() => {
        const { document } = globalThis as unknown as {
          document: {
            querySelector(selector: string): {
              disabled?: boolean;
              getAttribute(name: string): string | null;
              closest(selector: string): { getAttribute(name: string): string | null } | null;
            } | null;
          };
        };
        const panel = document.querySelector('.regeneration');
        const card = panel?.closest('.segment-card')?.getAttribute('data-segment') ?? '-';
        const free = document.querySelector('vscode-button[aria-label="Regenerate REASONING"]')?.disabled === false;
        return `${card}:${panel?.getAttribute('data-state') ?? 'none'}:${free ? 'free' : 'busy'}`;
      });
      if (seen.at(-1) !== where) seen.push(where);
      if (where.endsWith(':free')) break;
      if (Date.now() > deadline) throw new Error(`the regeneration did not end: ${seen.join(' ')}`);
      await page.waitForTimeout(50);
    }
    t.diagnostic(seen.join(' '));
    assert.match(seen[0] ?? '', /^2:\w+:busy$/, 'the panel opens in the REASONING card');
    const cards = seen.map((entry) => entry.split(':')[0]).filter((card) => card !== '-');
    assert.deepEqual(cards, [...cards].sort(), 'the panel only moves down the response');
    // Between the stages the buttons stay disabled: the run ends only after CONCLUSION (or a stage that fails).
    if (seen.includes('2:done:busy')) assert.ok(cards.includes('3'), 'the panel moves on to CONCLUSION');
    assert.match(seen.at(-1) ?? '', /^(2:failed|3:done|3:failed|-:none):free$/);
  });

  it('regenerates a step of the rejected side of a preference pair into that side', async () => {
    await workbench.quickOpen('pairs.cot.jsonl');
    const view = await workbench.datasetView('pairs.cot.jsonl');
    const card = view.locator('.segment-card[data-side="rejected"][data-segment="1"]');
    await card.waitFor({ timeout: 30_000 });
    await view.getByRole('button', { name: 'Regenerate rejected Step 2', exact: true }).click();
    assert.ok((await card.locator('.regeneration, .alternative').count()) > 0, 'the panel opens in the rejected card');
    await view.waitForFunction(
      () => {
        const { document } = globalThis as unknown as { document: { querySelector(selector: string): { disabled?: boolean } | null } };
        return document.querySelector('vscode-button[aria-label="Regenerate rejected Step 2"]')?.disabled === false;
      },
      undefined,
      { timeout: 60_000 },
    );
    const failed = await card.locator('.regeneration[data-state="failed"]').count();
    if (failed === 0) await card.getByText(/^1\. model · /).waitFor({ timeout: 10_000 });
    assert.equal(await view.locator('.segment-card[data-side="primary"] .alternatives').count(), 0, 'the chosen side is left alone');
  });

  it('cancels a regeneration of the rest, looks right in every theme, and logs no console errors', async (t) => {
    const view = await openDataset();
    const card = view.locator('.segment-card[data-segment="2"]');
    await view.getByRole('button', { name: 'Regenerate REASONING and the rest', exact: true }).click();
    // From the keyboard: the progress notification can cover the button's corner of the view.
    await card.getByRole('button', { name: 'Cancel regeneration' }).press('Enter');
    // The tiny model may finish before the cancel lands: then the last stage is done and its panel gone.
    await view.waitForFunction(
      () => {
        const { document } = globalThis as unknown as {
          document: { querySelector(selector: string): { disabled?: boolean; getAttribute(name: string): string | null } | null };
        };
        const state = document.querySelector('.regeneration')?.getAttribute('data-state');
        const free = document.querySelector('vscode-button[aria-label="Regenerate REASONING"]')?.disabled === false;
        return free && (state === 'cancelled' || state === undefined);
      },
      undefined,
      { timeout: 60_000 },
    );
    const state = view.locator('.regeneration .regeneration-state');
    if ((await state.count()) > 0) {
      assert.equal(await state.innerText(), 'Cancelled');
      await view.locator('.regeneration').scrollIntoViewIfNeeded();
    } else t.diagnostic('the run ended before the cancel reached it');

    fs.mkdirSync(resultsDir, { recursive: true });
    await page.screenshot({ path: path.join(resultsDir, 'regenerate-light.png') });
    await workbench.runCommand('Preferences: Toggle between Light/Dark Themes');
    await page.locator('.monaco-workbench.vs-dark').waitFor({ timeout: 15_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(resultsDir, 'regenerate-dark.png') });
    const settings = path.join(workspace, '.vscode', 'settings.json');
    fs.writeFileSync(settings, JSON.stringify({ ...SETTINGS, 'workbench.colorTheme': 'Default High Contrast' }));
    await page.locator('.monaco-workbench.hc-black').waitFor({ timeout: 20_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(resultsDir, 'regenerate-high-contrast.png') });

    await view.locator('.sample-view').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('?');
    const shortcuts = view.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await shortcuts.waitFor();
    assert.match(await shortcuts.innerText(), /g \/ G\s+Regenerate the segment \/ the segment and the rest/);
    await page.keyboard.press('Escape');
    assert.deepEqual(product.consoleErrors, []);
  });

  it('regenerates the CAPTION of an image record with a local vision-language model chosen in the settings; the candidates name the image it saw', async (t) => {
    const vlm = path.join(workspace, '..', `qwen2-vl-bigram-${process.pid}`);
    const corpus = ['llava_cot.jsonl', 'mulberry.jsonl'].flatMap((name) => ['--corpus', path.join(workspace, name)]);
    execFileSync(
      process.execPath,
      [
        path.join(projectRoot, 'dist', 'cli.js'),
        'make-test-model',
        vlm,
        '--kind',
        'qwen2-vl',
        '--text',
        'bigram',
        '--hidden',
        '128',
        '--vocab',
        '1024',
        ...corpus,
      ],
      { stdio: 'ignore' },
    );
    const settings = path.join(workspace, '.vscode', 'settings.json');
    // A caption is a few dozen tokens: a lower limit ends a run whose candidates never close the stage sooner.
    fs.writeFileSync(
      settings,
      JSON.stringify({ ...SETTINGS, 'cotStudio.regenerate.candidates': 4, 'cotStudio.regenerate.maxTokens': 160, 'cotStudio.engine.model': vlm }),
    );
    try {
      const view = await openDataset();
      const image = (JSON.parse(fs.readFileSync(path.join(workspace, FILE), 'utf8').split('\n')[0] as string) as { image: string }).image;
      const regenerate = view.getByRole('button', { name: 'Regenerate CAPTION', exact: true });
      // Earlier runs of the bundled model may have left CAPTION alternatives: these are the vision-language model's.
      const metas = view.locator('.segment-card[data-side="primary"][data-segment="1"] .alternatives .alternative-meta', { hasText: 'qwen2-vl-bigram' });
      const allMetas = view.locator('.segment-card[data-side="primary"][data-segment="1"] .alternatives .alternative-meta');
      // A click that comes before the extension has read the new setting still runs the bundled model: the next one does not.
      for (let attempt = 1; attempt <= 4 && (await metas.count()) === 0; attempt++) {
        const before = await allMetas.count();
        await regenerate.click();
        // How the run ended, read in one go: more candidates listed, or the reason it failed.
        const ended = await view.waitForFunction(
          (listedBefore) => {
            const { document } = globalThis as unknown as {
              document: {
                querySelector(selector: string): { getAttribute(name: string): string | null; textContent: string | null } | null;
                querySelectorAll(selector: string): { length: number };
              };
            };
            const state = document.querySelector('.segment-card[data-segment="1"] .regeneration')?.getAttribute('data-state');
            if (state === 'failed') return `failed: ${document.querySelector('.segment-card[data-segment="1"] .regeneration-state')?.textContent ?? ''}`;
            const listed = document.querySelectorAll('.segment-card[data-side="primary"][data-segment="1"] .alternatives .alternative-meta').length;
            return listed > listedBefore ? `${listed - listedBefore} more listed` : false;
          },
          before,
          { timeout: 150_000 },
        );
        t.diagnostic(`attempt ${attempt}: ${String(await ended.jsonValue())}`);
      }
      assert.ok((await metas.count()) > 0, 'one of four regenerations kept a candidate');
      const meta = await metas.first().innerText();
      assert.match(meta, new RegExp(`^\\d+\\. model · qwen2-vl-bigram-${process.pid} · beam · .*images: ${image.replace('.', '\\.')}$`), meta);
      assert.doesNotMatch(meta, /not seen/);
    } finally {
      fs.writeFileSync(settings, JSON.stringify(SETTINGS));
      fs.rmSync(vlm, { recursive: true, force: true });
    }
  });

  it('scores the steps of a record by rollouts from the palette and shows each estimate as a bar on its card', async () => {
    await workbench.quickOpen(ANSWERED);
    const view = await workbench.datasetView(ANSWERED);
    await view.locator('.sample-title', { hasText: 'Line 1' }).waitFor({ timeout: 30_000 });
    await workbench.runCommand('CoT Studio: Score Steps by Rollouts');
    const bars = view.locator('.segment-card[data-side="primary"] .segment-mc meter');
    await bars.nth(3).waitFor({ timeout: 120_000 });
    assert.equal(await bars.count(), 4, 'one bar per stage');
    const values = await bars.evaluateAll((nodes) => nodes.map((node) => (node as unknown as { value: number }).value));
    for (const value of values) assert.ok(value >= 0 && value <= 1, `score ${value}`);
    assert.equal(values[3], 1, 'the conclusion states the ground truth');
    assert.match((await bars.nth(3).getAttribute('aria-label')) ?? '', /^Monte Carlo score 1\.00: 8 of 8 rollouts by tiny-bigram reached the answer$/);
    fs.mkdirSync(resultsDir, { recursive: true });
    await view.locator('.segment-card[data-segment="3"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(resultsDir, 'step-scores.png') });
  });
});
