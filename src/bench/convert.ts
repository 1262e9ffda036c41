import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { megabytes, type BenchRow, benchRow } from './report';

const execute = promisify(execFile);

/**
 * Loaded before the CLI in the child (node --require): prints the child's peak RSS as it exits, the high-water
 * mark of its own memory (`VmHWM`). Linux's `getrusage` maxRSS also counts the parent's memory at the fork, so
 * a child of a large bench process would report the parent's size; it serves only where `/proc` is missing.
 */
const PEAK_PROBE = `process.on('exit', () => {
  const fs = require('node:fs');
  let peak = process.resourceUsage().maxRSS * 1024;
  try {
    const hwm = /VmHWM:\\s*(\\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (hwm) peak = Number(hwm[1]) * 1024;
  } catch {}
  fs.writeSync(2, '\\npeak-rss ' + peak + '\\n');
});
`;

/** Writes the probe that `runCli` loads into `dir`, and gives its path. */
export function writePeakProbe(dir: string): string {
  const probe = path.join(dir, 'peak-rss.js');
  fs.writeFileSync(probe, PEAK_PROBE);
  return probe;
}

export interface CliRun {
  ms: number;
  peakRss: number;
  stdout: string;
}

/** One CLI run in a child process: its wall time, its own peak RSS and what it printed. */
export async function runCli(cli: string, probe: string, args: string[]): Promise<CliRun> {
  const start = performance.now();
  const { stdout, stderr } = await execute(process.execPath, ['--require', probe, cli, ...args], { maxBuffer: 1 << 20 });
  const ms = performance.now() - start;
  const peak = /peak-rss (\d+)/.exec(stderr);
  if (!peak) throw new Error(`cot-studio ${args.join(' ')} did not report its memory: ${stderr}`);
  return { ms, peakRss: Number(peak[1]), stdout };
}

/** `cot-studio convert` there and back (JSONL -> Parquet -> JSONL), each in a child process as a user runs it. */
export async function convertThereAndBack(file: string, cli: string, probe: string): Promise<{ there: CliRun; back: CliRun; parquetBytes: number }> {
  const dir = path.dirname(file);
  const parquet = path.join(dir, 'converted.parquet');
  const there = await runCli(cli, probe, ['convert', file, parquet]);
  const back = await runCli(cli, probe, ['convert', parquet, path.join(dir, 'converted.jsonl')]);
  return { there, back, parquetBytes: fs.statSync(parquet).size };
}

/**
 * `cot-studio convert` there and back against a bare read + JSON.parse of every line (`bareMs`); and the
 * larger of the two peak RSS figures against the file's size, which a streamed conversion does not follow.
 */
export async function measureConvert(file: string, cli: string, bareMs: number): Promise<BenchRow[]> {
  const { there, back, parquetBytes } = await convertThereAndBack(file, cli, writePeakProbe(path.dirname(file)));
  const bytes = fs.statSync(file).size;
  const peak = Math.max(there.peakRss, back.peakRss);
  return [
    benchRow(
      'convert',
      'convert: JSONL -> Parquet -> JSONL',
      'ms',
      there.ms + back.ms,
      bareMs,
      'read + JSON.parse every line',
      `two CLI runs (${Math.round(there.ms)} + ${Math.round(back.ms)} ms); Parquet ${megabytes(parquetBytes)}`,
    ),
    benchRow(
      'convert-rss',
      'convert: peak RSS',
      'MB',
      peak / 1e6,
      bytes / 1e6,
      'file size',
      `JSONL -> Parquet ${megabytes(there.peakRss)}, back ${megabytes(back.peakRss)}`,
    ),
  ];
}
