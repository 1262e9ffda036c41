import * as l10n from '@vscode/l10n';
import { html, nothing, svg, type TemplateResult } from 'lit';
import type { Sample, SampleSegment } from '../src/protocol';
import { action } from './controls';

type Prelabel = NonNullable<SampleSegment['prelabel']>;
type FirstError = NonNullable<SampleSegment['firstError']>;
export type ImageBox = NonNullable<FirstError['box']>;

const labelText = (label: -1 | 0 | 1): string => (label === 1 ? '+1' : String(label));

/**
 * A model's suggested label on a card: the label, how sure the labeller was and who it was; with a button to take it
 * as the rating while nobody has decided, and what the annotator did once they have.
 */
export function suggestionChip(prelabel: Prelabel, named: string, confirm: () => void): TemplateResult {
  const confidence = prelabel.confidence === null ? '' : ` · ${Math.round(prelabel.confidence * 100)}%`;
  const said = l10n.t('Suggested {0} by {1}', labelText(prelabel.label), prelabel.by);
  const decided =
    prelabel.decision === 'confirmed'
      ? l10n.t('confirmed')
      : prelabel.decision === 'overridden'
        ? l10n.t('overridden')
        : action({
            label: l10n.t('Confirm'),
            name: l10n.t('Confirm the suggested label of {0}', named),
            icon: 'check',
            className: 'confirm-suggestion',
            onClick: confirm,
          });
  return html`<span class="segment-prelabel" data-label=${String(prelabel.label)} data-decision=${prelabel.decision ?? 'none'} title=${said}
    ><span class="segment-prelabel-text">${l10n.t('suggested {0}', labelText(prelabel.label))}${confidence}</span>${
      typeof decided === 'string' ? html`<span class="segment-prelabel-decision">${decided}</span>` : decided
    }</span
  >`;
}

/** The index of a reply's first error: the step marked with a kind, else the first -1 after steps all rated +1. */
export function firstErrorIndex(segments: readonly SampleSegment[]): number | undefined {
  const typed = segments.find((segment) => segment.firstError !== null);
  if (typed) return typed.index;
  const wrong = segments.findIndex((segment) => segment.rating !== 1);
  return wrong >= 0 && segments[wrong]?.rating === -1 ? wrong : undefined;
}

export interface FirstErrorEdit {
  errorType: FirstError['type'];
  note?: string;
  box?: ImageBox;
}

/**
 * What kind of error the reply's first error is (VL-PRM300K: perception misreads the image, reasoning infers or
 * computes wrongly), a note, and for a perception error a box drawn on the image.
 */
export function firstErrorControls(
  firstError: FirstError | null,
  named: string,
  options: { hasImages: boolean; drawing: boolean; mark: (edit: FirstErrorEdit) => void; drawBox: () => void },
): TemplateResult {
  const kind = firstError?.type;
  const keep = (type: FirstError['type']): FirstErrorEdit => ({
    errorType: type,
    ...(firstError?.note ? { note: firstError.note } : {}),
    ...(type === 'perception' && firstError?.box ? { box: firstError.box } : {}),
  });
  const kinds = (['perception', 'reasoning'] as const).map((type) =>
    action({
      label: type === 'perception' ? l10n.t('Perception') : l10n.t('Reasoning'),
      name: type === 'perception' ? l10n.t('{0} misreads the image', named) : l10n.t('{0} reasons wrongly', named),
      className: `first-error-kind${kind === type ? ' selected' : ''}`,
      pressed: kind === type,
      onClick: () => options.mark(keep(type)),
    }),
  );
  const note =
    kind === undefined
      ? nothing
      : html`<vscode-textfield
          class="first-error-note"
          placeholder=${l10n.t('What is wrong')}
          .label=${l10n.t('Note on the first error')}
          .value=${firstError?.note ?? ''}
          @change=${(event: Event) => {
            const text = (event.currentTarget as HTMLInputElement).value.trim();
            const { note: _, ...rest } = keep(kind);
            options.mark(text === '' ? rest : { ...rest, note: text });
          }}
        ></vscode-textfield>`;
  const box =
    kind === 'perception' && options.hasImages
      ? action({
          label: options.drawing ? l10n.t('Drag on the image…') : firstError?.box ? l10n.t('Redraw box') : l10n.t('Box on image'),
          name: l10n.t('Draw where {0} misreads the image', named),
          icon: 'screen-full',
          pressed: options.drawing,
          onClick: options.drawBox,
        })
      : nothing;
  return html`<div class="first-error" role="group" aria-label=${l10n.t('Kind of the first error at {0}', named)}>
    <span class="first-error-title">${l10n.t('First error')}</span>${kinds}${note}${box}
  </div>`;
}

/** Every first-error box of the sample with the image it is on (its index among the record's images). */
export function sampleBoxes(sample: Sample): Array<ImageBox & { label: string }> {
  const replies = [...sample.responses, ...sample.laterReplies];
  return replies.flatMap((reply) =>
    reply.segments.flatMap((segment) => (segment.firstError?.box ? [{ ...segment.firstError.box, label: segment.label }] : [])),
  );
}

/** Boxes over an image, in the image's own pixels (the viewBox is its natural size, so they scale with it). */
export function boxOverlay(boxes: ReadonlyArray<ImageBox & { label: string }>, natural: { width: number; height: number }): TemplateResult {
  return html`<svg class="image-boxes" viewBox="0 0 ${natural.width} ${natural.height}" preserveAspectRatio="none" aria-hidden="true">
    ${boxes.map((box) => svg`<rect class="image-box" x=${box.x} y=${box.y} width=${box.width} height=${box.height}><title>${box.label}</title></rect>`)}
  </svg>`;
}

/** A box dragged from `start` to `end` (offsets in the drawn image) in the image's own pixels; undefined when too small to mean anything. */
export function draggedBox(
  start: { x: number; y: number },
  end: { x: number; y: number },
  image: { index: number; clientWidth: number; naturalWidth: number },
): ImageBox | undefined {
  const scale = image.naturalWidth / image.clientWidth;
  const round = (value: number) => Math.round(value * scale * 10) / 10;
  const x = Math.max(0, Math.min(start.x, end.x));
  const y = Math.max(0, Math.min(start.y, end.y));
  const width = round(Math.abs(end.x - start.x));
  const height = round(Math.abs(end.y - start.y));
  if (width < 2 || height < 2) return undefined;
  return { ...(image.index === 0 ? {} : { image: image.index }), x: round(x), y: round(y), width, height };
}
