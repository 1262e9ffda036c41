import type { WebviewMessage } from '../src/protocol';

/** State kept by VS Code while the panel is hidden, so the view comes back where the user left it. */
export interface ViewState {
  scrollTop: number;
  selectedIndex: number;
}

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): ViewState | undefined;
  setState(state: ViewState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

export const vscode = acquireVsCodeApi();
