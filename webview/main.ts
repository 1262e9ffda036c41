import '@vscode-elements/elements/dist/vscode-badge/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import { type HostMessage, hostMessageSchema } from '../src/protocol';
import { RecordList } from './recordList';
import { vscode } from './vscodeApi';

const app = document.getElementById('app');
if (!app) throw new Error('the dataset view has no #app element');

const header = document.createElement('header');
header.className = 'dataset-header';
const title = document.createElement('h1');
title.className = 'dataset-title';
const count = document.createElement('vscode-badge');
count.setAttribute('variant', 'counter');
const lines = document.createElement('span');
lines.className = 'dataset-lines';
const progress = document.createElement('vscode-progress-ring');
progress.setAttribute('aria-label', 'Reading the dataset');
header.append(title, count, lines, progress);

const status = document.createElement('p');
status.className = 'dataset-status';
status.setAttribute('role', 'status');

const saved = vscode.getState();
const list = new RecordList({
  requestPage: (start, size) => vscode.postMessage({ type: 'requestPage', start, count: size }),
  onSelect: (index) => {
    vscode.setState({ scrollTop: list.element.scrollTop, selectedIndex: index });
    vscode.postMessage({ type: 'select', index });
  },
});
list.element.addEventListener('scroll', () => vscode.setState({ scrollTop: list.element.scrollTop, selectedIndex: list.selectedIndex }));
app.append(header, status, list.element);

function onHostMessage(message: HostMessage): void {
  switch (message.type) {
    case 'dataset':
      progress.remove();
      title.textContent = message.fileName;
      count.textContent = String(message.recordCount);
      count.setAttribute('aria-label', `${message.recordCount} records`);
      lines.textContent = `${message.recordCount} records on ${message.lineCount} lines`;
      status.textContent = message.recordCount === 0 ? 'This file has no records.' : '';
      list.setRecordCount(message.recordCount);
      if (saved) {
        list.element.scrollTop = saved.scrollTop;
        list.select(saved.selectedIndex, false);
      }
      return;
    case 'page':
      list.addPage(message.start, message.records);
      return;
    case 'changed':
      list.invalidate(message.recordIndices, message.recordCount);
      return;
    case 'select':
      list.select(message.index);
      return;
    case 'error':
      progress.remove();
      status.textContent = message.message;
      status.classList.add('error');
      return;
  }
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const parsed = hostMessageSchema.safeParse(event.data);
  if (parsed.success) onHostMessage(parsed.data);
  else console.warn('CoT Studio: ignored an unexpected message', parsed.error.message);
});

vscode.postMessage({ type: 'ready' });
