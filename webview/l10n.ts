import * as l10n from '@vscode/l10n';

/**
 * Configures `@vscode/l10n` with the translations the host put in the page (`vscode.l10n.bundle`, absent in
 * English). Entry points import this module before any other of theirs, so every `l10n.t` finds them.
 */
const bundle = document.getElementById('l10n')?.textContent;
if (bundle) l10n.config({ contents: bundle });
