import '@vscode-elements/elements/dist/vscode-button/index.js';
import { html, nothing, type TemplateResult } from 'lit';

export interface ActionOptions {
  /** The visible words; a crowded toolbar may show only the icon. */
  label: string;
  /** The name screen readers and tooltips give. */
  name: string;
  onClick: (event: Event) => void;
  /** A codicon. */
  icon?: string;
  className?: string;
  /** A toggle's state (`aria-pressed`). */
  pressed?: boolean;
  disabled?: boolean;
  /** The button that stands out (VS Code's primary style); the others are secondary. */
  primary?: boolean;
  rating?: number;
}

/** A codicon glyph; decorative, so screen readers skip it and read the control's name. */
export const icon = (name: string): TemplateResult => html`<span class="codicon codicon-${name}" aria-hidden="true"></span>`;

/** A `vscode-button`: VS Code's look and focus ring, named for screen readers, its label text never markup. */
export function action(options: ActionOptions): TemplateResult {
  const className = `action${options.className ? ` ${options.className}` : ''}`;
  return html`<vscode-button
    class=${className}
    ?secondary=${!options.primary}
    ?disabled=${options.disabled ?? false}
    aria-label=${options.name}
    title=${options.name}
    aria-pressed=${options.pressed === undefined ? nothing : String(options.pressed)}
    data-rating=${options.rating === undefined ? nothing : String(options.rating)}
    @click=${options.onClick}
    >${options.icon ? icon(options.icon) : nothing}<span class="action-label">${options.label}</span></vscode-button
  >`;
}
