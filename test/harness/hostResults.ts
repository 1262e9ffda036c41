/** The extension host writes its mocha results to the file this variable names; the launcher reads them. */
export const HOST_RESULTS_ENV = 'COT_STUDIO_HOST_RESULTS';

export interface HostTestResult {
  title: string;
  passed: boolean;
  durationMs: number;
  error?: string;
}
