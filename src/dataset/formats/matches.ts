/**
 * The matches of a global pattern, as `text.matchAll(pattern)` gives them, without the copy of the pattern
 * that matchAll makes on every call: checking a large file scans every response several times.
 */
export function allMatches(text: string, pattern: RegExp): RegExpExecArray[] {
  const matches: RegExpExecArray[] = [];
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    matches.push(match);
    if (match[0] === '') pattern.lastIndex++;
  }
  return matches;
}
