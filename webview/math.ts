import katex from 'katex';

/** `$$…$$`, `\[…\]`, `\(…\)` and `$…$` (not `$` followed by a space or digit-only prices like `$3.50`). */
const MATH = /\$\$([\s\S]+?)\$\$|\\\[([\s\S]+?)\\\]|\\\(([\s\S]+?)\\\)|\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)/g;

export function hasMath(text: string): boolean {
  MATH.lastIndex = 0;
  return MATH.test(text);
}

/**
 * Text with its LaTeX typeset. KaTeX builds the formula as DOM nodes (`render`, not an HTML string), and
 * everything around the formulas goes in as text, so dataset content never becomes markup.
 */
export function renderMath(text: string, className: string): HTMLElement {
  const container = document.createElement('div');
  container.className = className;
  let last = 0;
  MATH.lastIndex = 0;
  for (let match = MATH.exec(text); match; match = MATH.exec(text)) {
    if (match.index > last) container.append(document.createTextNode(text.slice(last, match.index)));
    const display = match[1] !== undefined || match[2] !== undefined;
    const formula = match[1] ?? match[2] ?? match[3] ?? match[4] ?? '';
    const holder = document.createElement('span');
    holder.className = display ? 'math display' : 'math';
    katex.render(formula, holder, { displayMode: display, throwOnError: false, trust: false, strict: 'ignore' });
    container.append(holder);
    last = match.index + match[0].length;
  }
  if (last < text.length) container.append(document.createTextNode(text.slice(last)));
  return container;
}
