import type { AgreementFigures, AgreementReport } from './compare';

const share = (value: number | null): string => (value === null ? 'n/a' : value.toFixed(3));

function figuresLine(title: string, figures: AgreementFigures): string {
  return `${title}: ${figures.items} items, ${figures.labels} labels; agreement ${share(figures.percentAgreement)}, Cohen's kappa ${share(
    figures.cohenKappa,
  )}, Fleiss' kappa ${share(figures.fleissKappa)}, Krippendorff's alpha ${share(figures.krippendorffAlpha)}`;
}

/** The report as text: what `cot-studio agreement` prints and "Compare Annotations With..." shows. */
export function formatAgreement(report: AgreementReport): string {
  return [
    `records: ${report.records.matched} in two or more copies, ${report.records.inOneOnly} in one only`,
    figuresLine('steps (alpha ordinal)', report.steps),
    figuresLine('review status (nominal)', report.review),
    ...report.annotators.map(
      (annotator) =>
        `  ${annotator.name}: ${annotator.records} records, ${annotator.steps} steps rated, ${annotator.reviews} reviewed; agrees with the others on ${share(
          annotator.stepAgreementWithOthers,
        )} of shared steps`,
    ),
    'steps by position:',
    ...report.byPosition.map((row) => `  ${row.position}: ${row.items} items, agreement ${share(row.percentAgreement)}, alpha ${share(row.krippendorffAlpha)}`),
    ...report.pairs.map((pair) => `  Cohen's kappa ${pair.annotators[0]} / ${pair.annotators[1]}: ${share(pair.cohenKappa)} over ${pair.items} steps`),
  ].join('\n');
}
