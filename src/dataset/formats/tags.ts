import type { Segment, SegmentKind } from '../record';
import { allMatches } from './matches';
import { sliceSegment, type TextRef } from './segment';

/** One `<NAME>` or `</NAME>` tag in a response. */
export interface Tag {
  readonly name: string;
  readonly closing: boolean;
  readonly start: number;
  readonly end: number;
}

/** Finds one markup's tags; its patterns are built once, as every response of a file is scanned for them. */
export interface TagScanner {
  scan(text: string): readonly Tag[];
  /** Whether any of the tags is opened: what makes a response carry this markup. */
  opens(text: string): boolean;
}

export function tagScanner(names: readonly string[]): TagScanner {
  const tag = new RegExp(`<(/?)(${names.join('|')})>`, 'g');
  const openings = names.map((name) => `<${name}>`);
  // A response is scanned when it is read and again when it is checked: the last scan is kept for the second.
  let last: { text: string; tags: readonly Tag[] } | undefined;
  return {
    scan: (text) => {
      if (last?.text !== text) {
        const tags = allMatches(text, tag).map((match) => ({
          name: match[2],
          closing: match[1] === '/',
          start: match.index,
          end: match.index + match[0].length,
        }));
        last = { text, tags };
      }
      return last.tags;
    },
    // indexOf finds a literal several times faster than a pattern of alternatives is tried along the text.
    opens: (text) => openings.some((opening) => text.includes(opening)),
  };
}

/**
 * One segment per opening tag, holding exactly what stands inside the tags (inner spaces and line breaks
 * kept, so a replaced text keeps its tags' layout). A tag left open runs to the next opening tag or the end,
 * so an unfinished response still shows all its text; a stray closing tag starts nothing.
 */
export function tagSegments(ref: TextRef, tags: readonly Tag[], kindOf: (name: string) => SegmentKind): Segment[] {
  const segments: Segment[] = [];
  tags.forEach((tag, index) => {
    if (tag.closing) return;
    const next = tags.find((later, laterIndex) => laterIndex > index && (!later.closing || later.name === tag.name));
    segments.push(sliceSegment(ref, kindOf(tag.name), tag.name, tag.end, next?.start ?? ref.text.length));
  });
  return segments;
}
