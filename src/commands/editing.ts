import * as vscode from 'vscode';
import { segmentAlternatives } from '../dataset/alternatives';
import { readRecordState, type RecordState } from '../dataset/operations';
import { annotatedReplies, replyKey, resolveReply } from '../dataset/replies';
import type { DatasetDocument, DatasetRegistry, SegmentFocus } from '../editor';
import { type Operation, type OperationKind, operationSchema } from '../protocol';
import { commandArguments, datasetArgument } from './arguments';
import { errorMessage } from '../errors/message';

/** Command id of each editing operation; the argument object of each is its operation schema minus `kind`. */
export const OPERATION_COMMANDS: Record<OperationKind, string> = {
  editSegment: 'cotStudio.editSegment',
  rateSegment: 'cotStudio.rateSegment',
  markFirstError: 'cotStudio.markFirstError',
  setReviewStatus: 'cotStudio.setReviewStatus',
  insertReflection: 'cotStudio.insertReflection',
  acceptAlternative: 'cotStudio.acceptAlternative',
  markPreference: 'cotStudio.markPreference',
  swapSides: 'cotStudio.swapSides',
  addAlternatives: 'cotStudio.addAlternatives',
  acceptReflectionProposal: 'cotStudio.acceptReflectionProposal',
  addPreferencePairs: 'cotStudio.addPreferencePairs',
  setStepScores: 'cotStudio.setStepScores',
  setPrelabels: 'cotStudio.setPrelabels',
  confirmPrelabels: 'cotStudio.confirmPrelabels',
  resolveConflict: 'cotStudio.resolveConflict',
};

/** Thrown when the user dismisses a prompt: the command ends quietly. */
class Cancelled extends Error {}

function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Cancelled();
  return value;
}

function selectedLine(datasets: DatasetRegistry, document: DatasetDocument): number {
  return document.dataset.recordLine(datasets.selectionOf(document)) + 1;
}

function stateOf(document: DatasetDocument, line: number): RecordState {
  return readRecordState(document.dataset.lineText(line - 1), document.dataset.format);
}

/** A segment the user picks among every reply's (each assistant turn of a conversation, each path of a search), as a focus. */
async function pickSegment(state: RecordState, title: string): Promise<SegmentFocus> {
  const replies = annotatedReplies(state.parsed).filter((reply) => reply.side === 'primary');
  const items = replies.flatMap((reply) =>
    reply.response.segments.map((segment, index) => ({
      label:
        replies.length === 1
          ? segment.label
          : reply.model === undefined
            ? vscode.l10n.t('{0} (turn {1})', segment.label, reply.turn)
            : `${segment.label} (${reply.model})`,
      description: `${state.annotations.segments[replyKey(reply, index)]?.rating ?? ''}`,
      detail: segment.text.trim().slice(0, 200),
      focus: { segment: index, turn: reply.turn, ...(reply.model === undefined ? {} : { model: reply.model }) },
    })),
  );
  if (items.length === 0) throw new Error(vscode.l10n.t('this {0} record has no segments', state.parsed.format));
  return required(await vscode.window.showQuickPick(items, { title, placeHolder: vscode.l10n.t('Choose a segment') })).focus;
}

async function pickRating(): Promise<-1 | 0 | 1 | null> {
  const options: { label: string; rating: -1 | 0 | 1 | null }[] = [
    { label: vscode.l10n.t('$(pass) Correct (+1)'), rating: 1 },
    { label: vscode.l10n.t('$(circle-large-outline) Neutral (0)'), rating: 0 },
    { label: vscode.l10n.t('$(error) Incorrect (-1)'), rating: -1 },
    { label: vscode.l10n.t('$(clear-all) Clear rating'), rating: null },
  ];
  return required(await vscode.window.showQuickPick(options, { title: vscode.l10n.t('Rate Segment') })).rating;
}

/** What kind of error the first error is (VL-PRM300K's split), with a note; nothing when the user leaves the kind out. */
async function pickErrorKind(): Promise<{ errorType?: 'perception' | 'reasoning'; note?: string }> {
  const kinds: { label: string; detail: string; type: 'perception' | 'reasoning' | undefined }[] = [
    {
      label: vscode.l10n.t('$(eye) Perception error'),
      detail: vscode.l10n.t('The step misreads the image: a wrong value, object or label'),
      type: 'perception',
    },
    { label: vscode.l10n.t('$(lightbulb) Reasoning error'), detail: vscode.l10n.t('A wrong inference or computation from what was read'), type: 'reasoning' },
    { label: vscode.l10n.t('$(dash) Kind not given'), detail: '', type: undefined },
  ];
  const type = required(await vscode.window.showQuickPick(kinds, { title: vscode.l10n.t('First error: what kind?') })).type;
  if (type === undefined) return {};
  const note = required(await vscode.window.showInputBox({ title: vscode.l10n.t('Note on the error (optional)') }));
  return note.trim() === '' ? { errorType: type } : { errorType: type, note: note.trim() };
}

/** Asks for what a palette invocation left out, using the active editor's selected sample. */
async function promptOperation(kind: OperationKind, datasets: DatasetRegistry, document: DatasetDocument): Promise<Operation> {
  const line = selectedLine(datasets, document);
  const uri = document.uri.toString();
  const title = `${document.dataset.fileName}:${line}`;
  switch (kind) {
    case 'setReviewStatus': {
      const statuses = [
        { label: vscode.l10n.t('$(check) Accepted'), status: 'accepted' as const },
        { label: vscode.l10n.t('$(close) Rejected'), status: 'rejected' as const },
        { label: vscode.l10n.t('$(wrench) Needs fix'), status: 'needs_fix' as const },
        { label: vscode.l10n.t('$(circle-outline) Unreviewed'), status: 'unreviewed' as const },
      ];
      const status = required(await vscode.window.showQuickPick(statuses, { title: vscode.l10n.t('Review {0}', title) })).status;
      const note = await vscode.window.showInputBox({
        title: vscode.l10n.t('Note for {0} (optional)', title),
        value: stateOf(document, line).annotations.review.note ?? '',
      });
      return { kind, uri, line, status, note: required(note) || undefined };
    }
    case 'markPreference':
      throw new Error('cotStudio.markPreference needs an argument object: {line, segment?, chosen, rejected}');
    case 'swapSides':
      return { kind, uri, line };
    case 'resolveConflict': {
      const conflicts = stateOf(document, line).annotations.conflicts ?? [];
      if (conflicts.length === 0) throw new Error(vscode.l10n.t('the sample at line {0} has no conflicts to adjudicate', line));
      const versions = conflicts.flatMap(({ path, ours, theirs, oursBy, theirsBy }, index) => [
        {
          label: vscode.l10n.t('Take {0} at {1}', oursBy ?? vscode.l10n.t('ours'), path),
          detail: JSON.stringify(ours)?.slice(0, 200),
          index,
          path,
          take: 'ours' as const,
        },
        {
          label: vscode.l10n.t('Take {0} at {1}', theirsBy ?? vscode.l10n.t('theirs'), path),
          detail: JSON.stringify(theirs)?.slice(0, 200),
          index,
          path,
          take: 'theirs' as const,
        },
      ]);
      const picked = required(await vscode.window.showQuickPick(versions, { title: vscode.l10n.t('Adjudicate {0}', title) }));
      return { kind, uri, line, conflict: picked.index, path: picked.path, take: picked.take };
    }
    case 'acceptReflectionProposal':
      throw new Error(
        'cotStudio.acceptReflectionProposal takes a proposal of the tree search: {line, segment, text, wrong, correction}; accept one in the sample view',
      );
    case 'addPreferencePairs':
      throw new Error('cotStudio.addPreferencePairs takes pairs a model made: {line, pairs}; run CoT Studio: Build Preference Pairs to make them');
    case 'setStepScores':
      throw new Error('cotStudio.setStepScores takes scores of a run: {line, steps, policy, rollouts}; run CoT Studio: Score Steps by Rollouts to make them');
    case 'setPrelabels':
      throw new Error("cotStudio.setPrelabels takes a labeller's suggestions: {line, steps, provenance}; run CoT Studio: Pre-label Steps to make them");
    default: {
      const state = stateOf(document, line);
      // The segment focused in the sample view, or one the user picks.
      const focus = datasets.focusOf(document) ?? (await pickSegment(state, title));
      const { segment } = focus;
      const reply = resolveReply(state.parsed, focus);
      const current = reply.response.segments[segment];
      if (!current) throw new Error(vscode.l10n.t('the focused reply has no segment {0}', segment));
      // The reply the focus is in: a turn of the conversation, or a search path by its model.
      const where = focus.model === undefined ? { turn: focus.turn } : { model: focus.model };
      switch (kind) {
        case 'rateSegment':
          return { kind, uri, line, segment, ...where, rating: await pickRating() };
        case 'markFirstError':
          return { kind, uri, line, segment, ...where, ...(await pickErrorKind()) };
        case 'confirmPrelabels': {
          const annotation = state.annotations.segments[replyKey(reply, segment)];
          // The focused step's suggestion when it has one; otherwise every suggestion on a step nobody rated.
          return annotation?.prelabel ? { kind, uri, line, ...where, segments: [segment] } : { kind, uri, line, ...where };
        }
        case 'editSegment':
          return {
            kind,
            uri,
            line,
            segment,
            ...where,
            text: required(await vscode.window.showInputBox({ title: vscode.l10n.t('Edit {0}', current.label), value: current.text })),
          };
        case 'insertReflection': {
          const correction = required(
            await vscode.window.showInputBox({
              title: vscode.l10n.t('Correction for {0}', current.label),
              prompt: vscode.l10n.t('The corrected step that follows the reflection phrase'),
            }),
          );
          return { kind, uri, line, segment, ...where, correction };
        }
        case 'acceptAlternative': {
          const alternatives = segmentAlternatives(current, state.annotations.segments[replyKey(reply, segment)]);
          if (alternatives.length === 0) throw new Error(vscode.l10n.t('{0} has no alternatives', current.label));
          const picked = await vscode.window.showQuickPick(
            alternatives.map((alternative, index) => ({
              label: alternative.text.trim().slice(0, 120),
              description: alternative.own?.provenance.source ?? alternative.source?.origin,
              index,
            })),
            { title: vscode.l10n.t('Accept an alternative for {0}', current.label) },
          );
          return { kind, uri, line, segment, ...where, alternative: required(picked).index };
        }
        case 'addAlternatives': {
          const text = required(
            await vscode.window.showInputBox({
              title: vscode.l10n.t('Alternative for {0}', current.label),
              prompt: vscode.l10n.t('Kept beside the segment until you accept it'),
              value: current.text,
            }),
          );
          return { kind, uri, line, segment, ...where, alternatives: [{ text }] };
        }
      }
    }
  }
}

/**
 * Runs an editing operation. With an argument object the arguments are validated and errors are thrown
 * to the caller (keybindings, tasks, tests); from the palette the missing parts are asked for.
 */
async function runOperation(kind: OperationKind, datasets: DatasetRegistry, args: unknown): Promise<{ label: string } | undefined> {
  if (args === undefined) {
    try {
      const document = datasets.documentFor();
      const operation = await promptOperation(kind, datasets, document);
      const label = document.applyOperation(operation);
      return label === undefined ? undefined : { label };
    } catch (error) {
      if (!(error instanceof Cancelled)) void vscode.window.showErrorMessage(errorMessage(error));
      return undefined;
    }
  }
  const operation = commandArguments(OPERATION_COMMANDS[kind], operationSchema, { ...(typeof args === 'object' && args !== null ? args : {}), kind });
  const document = datasetArgument(datasets, operation.uri);
  const label = document.applyOperation(operation);
  return label === undefined ? undefined : { label };
}

export function registerEditingCommands(context: vscode.ExtensionContext, datasets: DatasetRegistry): void {
  for (const [kind, command] of Object.entries(OPERATION_COMMANDS) as [OperationKind, string][]) {
    context.subscriptions.push(vscode.commands.registerCommand(command, (args?: unknown) => runOperation(kind, datasets, args)));
  }
}
