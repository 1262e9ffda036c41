/** Whether two greedy runs chose the same tokens, and a note that says so, or where they part, in capitals. */
export function compareGreedy(ours: readonly number[], theirs: readonly number[], theirName: string): { matches: boolean; note: string } {
  const length = Math.max(ours.length, theirs.length);
  for (let index = 0; index < length; index++) {
    if (ours[index] !== theirs[index]) {
      return { matches: false, note: `GREEDY TOKENS DIFFER from ${theirName} at token ${index + 1} of ${length}` };
    }
  }
  return { matches: true, note: `same greedy tokens as ${theirName}` };
}
