import type { Segment, SegmentKind } from '../record';
import { allMatches } from './matches';
import { sliceSegment, type TextRef } from './segment';

/** One `<NAME>` or `</NAME>` tag in a response. */
export interface Tag {
  name: string;
  closing: boolean;
  start: number;
  end: number;
}

/** Finds one markup's tags; its patterns are built once, as every response of a file is scanned for them. */
export interface TagScanner {
  scan(text: string): Tag[];
  /** Whether any of the tags is opened: what makes a response carry this markup. */
  opens(text: string): boolean;
}

export function tagScanner(names: readonly string[]): TagScanner {
  const alternatives = names.join('|');
  const tag = new RegExp(`<(/?)(${alternatives})>`, 'g');
  const opening = new RegExp(`<(?:${alternatives})>`);
  return {
    scan: (text) =>
      allMatches(text, tag).map((match) => ({
        name: match[2],
        closing: match[1] === '/',
        start: match.index,
        end: match.index + match[0].length,
      })),
    opens: (text) => opening.test(text),
  };
}

/**
 * One segment per opening tag, holding exactly what stands inside the tags (inner spaces and line breaks
 * kept, so a replaced text keeps its tags' layout). A tag left open runs to the next opening tag or the end,
 * so an unfinished response still shows all its text; a stray closing tag starts nothing.
 */
export function tagSegments(ref: TextRef, tags: Tag[], kindOf: (name: string) => SegmentKind): Segment[] {
  const segments: Segment[] = [];
  tags.forEach((tag, index) => {
    if (tag.closing) return;
    const next = tags.find((later, laterIndex) => laterIndex > index && (!later.closing || later.name === tag.name));
    segments.push(sliceSegment(ref, kindOf(tag.name), tag.name, tag.end, next?.start ?? ref.text.length));
  });
  return segments;
}
