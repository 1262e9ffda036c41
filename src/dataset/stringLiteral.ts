/**
 * The offset in `body`, a JSON string literal as the line spells it (without its quotes), of `decoded`, an
 * offset in UTF-16 code units of the string it decodes to. Each escape (`\n`, `\/`, `\u00e9`, either half
 * of `\ud83d\ude00`) decodes to one code unit, so the offsets differ wherever the literal holds escapes.
 */
export function rawOffset(body: string, decoded: number): number {
  let raw = 0;
  for (let units = 0; units < decoded; units++) {
    if (raw >= body.length) throw new RangeError(`offset ${decoded} is past the end of a string of ${units} code units`);
    raw += body[raw] !== '\\' ? 1 : body[raw + 1] === 'u' ? 6 : 2;
  }
  return raw;
}

/** `text` as it stands between the quotes of a JSON string literal. */
export function escapeForLiteral(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}
