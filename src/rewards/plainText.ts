/** LaTeX commands that only wrap text: `\text{12 cm}` reads as `12 cm`. */
const WRAPPER = /\\(?:text|textbf|textit|textrm|mathrm|mathbf|mathit|operatorname|mbox)\s*\{([^{}]*)\}/g;

/**
 * An answer's LaTeX and Unicode spellings turned into plain text, so `\dfrac{1}{2}`, `½` and `1/2`, or `45^\circ`
 * and `45°`, or `１２` and `12` read alike. Math delimiters and dollar signs go (a currency sign is a unit, and
 * MPO's answer check strips units, methods.md §2).
 */
export function plainAnswerText(text: string): string {
  let plain = text
    .normalize('NFKC')
    .replace(/\u2044/g, '/')
    .replace(/\u2212/g, '-');
  for (let previous = ''; previous !== plain; ) {
    previous = plain;
    plain = plain.replace(WRAPPER, '$1');
  }
  return plain
    .replace(/\\[dt]frac/g, '\\frac')
    .replace(/\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, '$1/$2')
    .replace(/\\frac\s*(\d)\s*(\d)/g, '$1/$2')
    .replace(/\^\s*\{?\s*\\circ\s*\}?|\\circ|\\degree/g, '°')
    .replace(/\\%/g, '%')
    .replace(/\{,\}/g, ',')
    .replace(/\\left|\\right|\\[,!;:]/g, '')
    .replace(/\\(?:q?quad|\s)|~/g, ' ')
    .replace(/\\[()[\]]|\\?\$/g, '');
}
