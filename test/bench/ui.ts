// `npm run bench:ui`: the dataset editor of the installed VSIX in code-server, driven in Chromium, on a
// generated 100K-record file and, as the baseline in the same run, on the 10-record LLaVA-CoT sample.
// Every figure is reported next to its baseline; the ratio shows how much the file's size costs.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { Frame, Page } from 'playwright-core';
import { generateDataset } from '../../src/bench/generate';
import { datasetsDir } from '../harness/fixtures';
import { startInstalledProduct } from '../harness/installedProduct';
import type { Workbench } from '../harness/workbench';

/** The parent of a process, from /proc (Linux, where the bench runs). */
function parentPid(pid: number): number {
  // The command name in field 2 may hold spaces; the fields after its closing parenthesis do not.
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

function descendsFrom(pid: number, ancestor: number): boolean {
  for (let current = pid; current > 1; current = parentPid(current)) if (current === ancestor) return true;
  return false;
}

/** Resident bytes of the extension host that this bench's code-server started: the process holding the dataset. */
function extensionHostRss(serverPid: number): number {
  for (const entry of fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    const pid = Number(entry);
    let commandLine: string;
    try {
      commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!commandLine.includes('--type=extensionHost') || !descendsFrom(pid, serverPid)) continue;
    } catch {
      continue; // a process that ended while we looked
    }
    const kilobytes = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    if (kilobytes !== undefined) return Number(kilobytes) * 1024;
  }
  throw new Error(`no extension host process under code-server (pid ${serverPid})`);
}

interface Figures {
  firstSampleMs: number;
  nextSample: { driver: number[]; screen: number[] };
  /** Key to screen, per press. */
  focusMove: number[];
  rating: number[];
  scroll: number[];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Time from pressing Enter on the file in Quick Open to the first sample's title on screen. */
async function firstSample(page: Page, workbench: Workbench, name: string): Promise<{ ms: number; view: Frame }> {
  await page.keyboard.press('Control+p');
  const input = page.locator('.quick-input-widget input');
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row.focused', { hasText: name }).waitFor({ timeout: 60_000 });
  const started = performance.now();
  await input.press('Enter');
  const view = await workbench.datasetView(name, 120_000);
  await view.locator('.sample-title', { hasText: 'Line 1' }).waitFor({ timeout: 120_000 });
  return { ms: performance.now() - started, view };
}

interface ProbeGlobals {
  keyProbe: { keyAt: number; value: string; times: number[] };
  document: {
    body: unknown;
    querySelector(selector: string): { textContent: string | null; getAttribute(name: string): string | null } | null;
    addEventListener(type: 'keydown', listener: (event: { key: string; timeStamp: number }) => void, capture: boolean): void;
  };
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };
  requestAnimationFrame(callback: () => void): void;
}

/** What a key changes on screen: an element's text, or one of its attributes. */
interface Watched {
  keys: string[];
  selector: string;
  attribute?: string;
}

/**
 * Times inside the webview, for each press of one of `keys`, from the keydown event to the first animation frame
 * after what it changes is in the page: the latency a reviewer feels. The times are read with `probedTimes`.
 */
async function installKeyProbe(view: Frame, watched: Watched): Promise<void> {
  await view.evaluate(({ keys, selector, attribute }) => {
    // The bench is compiled without the DOM library; these are the few browser globals the probe uses.
    const browser = globalThis as unknown as ProbeGlobals;
    const read = () => {
      const node = browser.document.querySelector(selector);
      return (attribute === undefined ? node?.textContent : node?.getAttribute(attribute)) ?? '';
    };
    const state = { keyAt: -1, value: read(), times: [] as number[] };
    browser.keyProbe = state;
    browser.document.addEventListener(
      'keydown',
      (event) => {
        if (keys.includes(event.key)) state.keyAt = event.timeStamp;
      },
      true,
    );
    new browser.MutationObserver(() => {
      const value = read();
      if (state.keyAt < 0 || value === state.value) return;
      const keyAt = state.keyAt;
      state.keyAt = -1;
      state.value = value;
      browser.requestAnimationFrame(() => state.times.push(performance.now() - keyAt));
    }).observe(browser.document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  }, watched);
}

const probedTimes = (view: Frame): Promise<number[]> => view.evaluate(() => (globalThis as unknown as ProbeGlobals).keyProbe.times);

/**
 * Presses j and waits for the next sample's title. Two figures per press: the driver's round trip (key sent
 * over the DevTools protocol, title seen by polling) and the key-to-screen time inside the webview.
 */
async function nextSamples(page: Page, view: Frame, count: number): Promise<{ driver: number[]; screen: number[] }> {
  await view.locator('.sample-view').click({ position: { x: 5, y: 5 } });
  await installKeyProbe(view, { keys: ['j'], selector: '.sample-title' });
  const driver: number[] = [];
  let current = Number(/\d+/.exec(await view.locator('.sample-title').innerText())?.[0]);
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await page.keyboard.press('j');
    await view.locator('.sample-title', { hasText: new RegExp(`^Line ${current + 1}$`) }).waitFor({ timeout: 30_000 });
    driver.push(performance.now() - started);
    current++;
  }
  return { driver, screen: await probedTimes(view) };
}

/**
 * Presses keys that change one attribute of the focused card (the focus itself, its rating), timing each from key
 * to screen: what redrawing the sample for a focus move or a rating costs.
 */
async function cardChanges(page: Page, view: Frame, keys: string[], attribute: string): Promise<number[]> {
  await view.locator('.sample-view').click({ position: { x: 5, y: 5 } });
  await installKeyProbe(view, { keys: [...new Set(keys)], selector: '.segment-card.focused', attribute });
  for (const [i, key] of keys.entries()) {
    await page.keyboard.press(key);
    await view.waitForFunction((done) => (globalThis as unknown as ProbeGlobals).keyProbe.times.length >= done, i + 1, { timeout: 30_000 });
  }
  return probedTimes(view);
}

/** Jumps the sample list to far positions and times until rows with records are drawn there. */
async function scrolls(view: Frame, jumps: number): Promise<number[]> {
  const list = view.locator('.record-list');
  const height = await list.evaluate((node) => (node as unknown as { scrollHeight: number }).scrollHeight);
  const times: number[] = [];
  for (let i = 1; i <= jumps; i++) {
    const target = Math.floor((height * i * 7919) % height);
    const started = performance.now();
    await list.evaluate((node, top) => {
      (node as unknown as { scrollTop: number }).scrollTop = top;
    }, target);
    const row = Math.floor(target / 28);
    await view.locator(`.record-row[data-index="${row}"][data-line]`).waitFor({ state: 'attached', timeout: 30_000 });
    times.push(performance.now() - started);
  }
  return times;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { records: { type: 'string', default: '100000' }, json: { type: 'boolean', default: false } } });
  const records = Number(values.records);
  let bytes = 0;
  const product = await startInstalledProduct((workspace) => {
    const generated = generateDataset(datasetsDir, records, fs.mkdtempSync(path.join(os.tmpdir(), 'cot-studio-ui-gen-')));
    bytes = generated.bytes;
    fs.renameSync(generated.file, path.join(workspace, 'big.cot.jsonl'));
    fs.rmSync(path.dirname(generated.file), { recursive: true, force: true });
    fs.copyFileSync(path.join(workspace, 'llava_cot.jsonl'), path.join(workspace, 'small.cot.jsonl'));
  });
  const { page, workbench, serverPid } = product;
  if (serverPid === undefined) throw new Error('code-server started without a process id');
  try {
    const measure = async (name: string, samples: number): Promise<Figures> => {
      const { ms, view } = await firstSample(page, workbench, name);
      const nextSample = await nextSamples(page, view, samples);
      // Down and up between the first two segments; 1 twice rates the focused one correct and takes it back.
      const focusMove = await cardChanges(
        page,
        view,
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 'ArrowDown' : 'ArrowUp')),
        'data-segment',
      );
      const rating = await cardChanges(page, view, Array(20).fill('1'), 'data-rating');
      return { firstSampleMs: ms, nextSample, focusMove, rating, scroll: name === 'big.cot.jsonl' ? await scrolls(view, 20) : [] };
    };
    const small = await measure('small.cot.jsonl', 9);
    const hostBefore = extensionHostRss(serverPid);
    const big = await measure('big.cot.jsonl', 60);
    // After the background pass over every record has had time to finish, as a reviewer's session would be.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    const hostHeld = extensionHostRss(serverPid) - hostBefore;
    const rows = [
      ['time to first sample', big.firstSampleMs, small.firstSampleMs],
      ['next sample p50 (j, key to screen)', percentile(big.nextSample.screen, 50), percentile(small.nextSample.screen, 50)],
      ['next sample p95 (j, key to screen)', percentile(big.nextSample.screen, 95), percentile(small.nextSample.screen, 95)],
      ['next sample p50 (j, driver round trip)', percentile(big.nextSample.driver, 50), percentile(small.nextSample.driver, 50)],
      ['next sample p95 (j, driver round trip)', percentile(big.nextSample.driver, 95), percentile(small.nextSample.driver, 95)],
      ['focus move p95 (arrow, key to screen)', percentile(big.focusMove, 95), percentile(small.focusMove, 95)],
      ['rating p95 (1, key to screen)', percentile(big.rating, 95), percentile(small.rating, 95)],
      ['scroll jump to drawn rows p50', percentile(big.scroll, 50), percentile(small.nextSample.driver, 50)],
      ['scroll jump to drawn rows p95', percentile(big.scroll, 95), percentile(small.nextSample.driver, 95)],
    ] as const;
    const result = {
      records,
      bytes,
      extensionHost: { rssIncreaseBytes: hostHeld, ratioToFile: hostHeld / bytes },
      rows: rows.map(([measure, ours, baseline]) => ({ measure, ms: ours, baselineMs: baseline, ratio: ours / baseline })),
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } else {
      process.stdout.write(`UI in code-server: ${records} records (${(bytes / 1e6).toFixed(1)} MB) vs the 10-record sample\n\n`);
      process.stdout.write(`${'measure'.padEnd(40)}${'100K file'.padStart(12)}${'10 records'.padStart(12)}${'ratio'.padStart(9)}\n`);
      for (const row of result.rows) {
        process.stdout.write(
          `${row.measure.padEnd(40)}${`${row.ms.toFixed(0)} ms`.padStart(12)}${`${row.baselineMs.toFixed(0)} ms`.padStart(12)}${`${row.ratio.toFixed(2)}x`.padStart(9)}\n`,
        );
      }
      process.stdout.write(
        `${'extension host RSS increase, 100K file'.padEnd(40)}${`${(hostHeld / 1e6).toFixed(0)} MB`.padStart(12)}${`${(bytes / 1e6).toFixed(0)} MB`.padStart(12)}${`${(hostHeld / bytes).toFixed(2)}x`.padStart(9)}  (baseline: the file's size)\n`,
      );
      process.stdout.write("\nThe scroll baseline is the small file's next-sample latency: that file has nothing to scroll.\n");
    }
  } finally {
    await product.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
