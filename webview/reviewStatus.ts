import * as l10n from '@vscode/l10n';

/** A review status as people read it, in the display language: `needs_fix` is "needs fix". */
export function reviewStatusName(status: string): string {
  switch (status) {
    case 'accepted':
      return l10n.t('accepted');
    case 'rejected':
      return l10n.t('rejected');
    case 'needs_fix':
      return l10n.t('needs fix');
    case 'unreviewed':
      return l10n.t('unreviewed');
    default:
      return status.replace('_', ' ');
  }
}
