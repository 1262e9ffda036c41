import type { Segment, SegmentKind } from '../record';
import { sliceSegment, type TextRef } from './segment';

/** One `<NAME>` or `</NAME>` tag in a response. */
export interface Tag {
  name: string;
  closing: boolean;
  start: number;
  end: number;
}

export function scanTags(text: string, names: readonly string[]): Tag[] {
  const pattern = new RegExp(`<(/?)(${names.join('|')})>`, 'g');
  return [...text.matchAll(pattern)].map((match) => ({
    name: match[2],
    closing: match[1] === '/',
    start: match.index,
    end: match.index + match[0].length,
  }));
}

/**
 * One segment per opening tag, holding exactly what stands inside the tags (inner spaces and line breaks
 * kept, so a replaced text keeps its tags' layout). A tag left open runs to the next opening tag or the end,
 * so an unfinished response still shows all its text; a stray closing tag starts nothing.
 */
export function tagSegments(ref: TextRef, tags: Tag[], kindOf: (name: string) => SegmentKind): Segment[] {
  return tags.flatMap((tag, index) => {
    if (tag.closing) return [];
    const next = tags.slice(index + 1).find((later) => !later.closing || later.name === tag.name);
    return [sliceSegment(ref, kindOf(tag.name), tag.name, tag.end, next?.start ?? ref.text.length)];
  });
}
