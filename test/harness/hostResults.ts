/** The extension host writes its mocha results to the file this variable names; the launcher reads them. */
export const HOST_RESULTS_ENV = 'COT_STUDIO_HOST_RESULTS';

/** Set when running the host tier, runs only the host tests whose full title matches it (mocha's grep). */
export const HOST_GREP_ENV = 'COT_STUDIO_HOST_GREP';

export interface HostTestResult {
  title: string;
  passed: boolean;
  durationMs: number;
  error?: string;
  /** What the test measured, printed with its result (a figure a timed assertion would hide). */
  notes?: string[];
}
