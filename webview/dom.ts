/** Creates an element with a class and, optionally, text. Dataset text only ever goes in as text. */
export function element<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A codicon glyph; decorative, so screen readers skip it and read the control's name. */
export function icon(name: string): HTMLSpanElement {
  const node = element('span', `codicon codicon-${name}`);
  node.setAttribute('aria-hidden', 'true');
  return node;
}
