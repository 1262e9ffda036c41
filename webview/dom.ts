/** Creates an element with a class and, optionally, text. Dataset text only ever goes in as text. */
export function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function button(label: string, accessibleName: string, onClick: () => void, className = 'action'): HTMLButtonElement {
  const node = element('button', className, label);
  node.type = 'button';
  node.setAttribute('aria-label', accessibleName);
  node.title = accessibleName;
  node.addEventListener('click', onClick);
  return node;
}
