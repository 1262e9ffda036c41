/** A command-line mistake: exit code 2 and a hint to read the usage. */
export class UsageError extends Error {}

/** Each command's lines of the usage, in the order the full help lists them; `COMMAND --help` prints its own. */
export const COMMAND_USAGE = {
  validate: `  validate FILE [--format F] [--image-root DIR]...
                    run every check; one line per problem as FILE:LINE:COLUMN`,
  stats: `  stats FILE [--json] [--format F] [--image-root DIR]...
                    records per format, review status, check failures, segments, annotations`,
  export: `  export FILE --format F -o OUT [--images relative|absolute|data-uri|copy [--images-dir DIR]] [--keep-incorrect]
         [--neutral-label true|false] [--include-rejected] [--source-format F] [--image-root DIR]...
         [--name NAME] [--shortest-correct] [--max-words N] [--cut-reflections [--reflection-marker TEXT]...]
         [--label-sources human,prelabel,mc] [--mc-threshold T] [--force]
                    write trl-sft, trl-dpo, trl-stepwise, trl-kto, llamafactory-sharegpt, openai-chat,
                    openai-dpo, prm800k, mmpr, mulberry, visualprm or visualprm-conversation data; OUT
                    must not be FILE, and a FIFO, device or symbolic link at OUT is replaced only with
                    --force. Images are found in FILE's folder, then in each --image-root (a root that is
                    not a folder is a usage error); a record with an image that is missing, outside those
                    folders or not an image by its bytes is refused with its line. --images: relative
                    (default; a path from OUT's folder, mmpr and visualprm-conversation: from meta.json's
                    root, FILE's folder), absolute, data-uri (the bytes inlined; the default of
                    openai-chat and openai-dpo, since OpenAI takes only URLs and data URLs), copy (each
                    image copied into --images-dir DIR, an existing file there never written over:
                    another name is taken, NAME-2.EXT, ...; paths from OUT's folder). trl-sft leaves out
                    a response with a step rated incorrect (-1, or 0 with --neutral-label false) unless
                    --keep-incorrect; trl-kto writes {prompt, completion, label}: accepted true, rejected
                    false, else false for a step rated incorrect and true when every step is rated
                    correct, and each preference pair a true (chosen) and a false (rejected) row.
                    visualprm writes VisualPRM400K's raw lines {image, question, answer, response,
                    steps_with_score: [{step, score, num_mc_correct, num_mc_total}], num_mc_sequences}
                    from the Monte Carlo scores (mc-score --write, or the record's own), refusing a
                    response with a step unscored; visualprm-conversation writes InternVL's training
                    conversation, each step a human turn answered + or -. The step formats (trl-stepwise,
                    prm800k, visualprm-conversation) label each step from the first of --label-sources
                    that has a label for it: human (the rating, or the record's own label), prelabel (a
                    model's suggestion) or mc (the Monte Carlo score: + above --mc-threshold T, default
                    0, as VisualPRM labels, else -); the steps end at the first one without. Default:
                    human, and mc,human for visualprm-conversation. The summary says how many labels came
                    from each. OpenVLThinker's filters: --shortest-correct keeps per question and images
                    the shortest response whose answer matches the ground truth (a question with none is
                    dropped), --max-words drops responses over N words, --cut-reflections cuts the
                    reasoning from the first "Wait,", "But wait", ... (or each --reflection-marker) to
                    the final answer`,
  rewards: `  rewards FILE [--json] [--format F]
                    score every record that has a ground truth with the rule rewards that fit its
                    format; a mean and count per reward`,
  reward: `  reward NAME --output TEXT [--gt TEXT] [--key-steps JSON]
                    print one reward of one output: format-think-answer, accuracy-discrete,
                    accuracy-math-cosine, accuracy-function, step-validity, step-accuracy (needs
                    --key-steps, R1-VL's {"Steps": [...]}), openvlthinker, stage-completeness; the
                    accuracy rewards, step-accuracy and openvlthinker need --gt`,
  regenerate: `  regenerate FILE --line N --segment K [--turn T] [--side primary|rejected] [--method beam|mcts] [--candidates N]
         [--seed S] [--rank knockout|logprob|step-judge|answer-judge|reward:NAME] [--temperature T]
         [--top-p P] [--max-tokens M] [--rest] [--json] [--write] [--format F]
         (--model DIR [--provider P] | --endpoint URL --endpoint-model NAME [--api-key-env VAR])
                    stage-level beam search for one segment of one record (--rest: and every later
                    one), ranked by the knockout judge unless --rank says otherwise; prints the
                    candidates best first; --write adds them to the line as alternatives; the
                    server's key is read from the variable --api-key-env names; --turn picks the
                    reply of a conversation (0-based among its assistant turns; default the last),
                    prompted with the conversation up to it
         [--judge-templates FILE]
                    the judges' prompts (Jinja) by name from a JSON file, as the editor's
                    cotStudio.judge.templates gives them
         --method mcts [--iterations N] [--samples K]
         [--judge-endpoint URL --judge-model NAME [--judge-weight W]]... [--answer-check rules|judge]
                    collective tree search (CoMCTS) instead: K continuations per expansion
                    (default 4, temperature 0.9), steps rated by the step judges (the weighted
                    mean of the servers given, else the generating model), a budget of N
                    iterations (default 20), stopping at a final answer the answer rules (or with
                    --answer-check judge, the first judge) find correct; candidates come from the best
                    leaves; --json adds
                    {tree: {nodes: [{id, parent, text, visits, value, scores}]}, bestPath,
                    reflections}
  regenerate FILE --all --segment K [--filter failing|unreviewed|all] [--concurrency C] [--output OUT]
         [--image-root DIR]... [the options above, without --line and --write]
                    the same for every selected record, into a copy (OUT, by default
                    FILE.regenerated.jsonl), each record seeded from --seed and its line; OUT.journal
                    keeps finished records, so running the same command again after an interruption
                    resumes; records that fail are copied unchanged and reported as FILE:LINE`,
  'mc-score': `  mc-score FILE --line N [--rollouts K] [--binary] [--temperature T] [--max-tokens M] [--seed S]
         [--side primary|rejected] [--turn T] [--format F] [--image-root DIR]... [--json] [--write]
         (--model DIR [--provider P] | --endpoint URL --endpoint-model NAME [--api-key-env VAR])
                    Monte Carlo step scores (Math-Shepherd, VisualPRM): for the response up to each
                    step, K completions (default 8) as one batch, checked against the record's ground
                    truth with the answer rules; a step's score is correct / K, the last step's its own
                    answer's; --binary finds the first step no completion recovers from (OmegaPRM) with
                    O(log n) prefixes; --json prints {steps: [{index, correct, total, score}], rollouts,
                    firstError, policy, tokensComputed, tokensGenerated}; --write stores each step's
                    {score, correct, total, policy, rollouts} in the line's annotations (the rating stays)
  mc-score FILE (--all | --lines 1,5-9) [--concurrency C] [--output OUT]
         [the options above, without --line and --write]
                    the same for every record (or those listed) into a copy (OUT, by default
                    FILE.scored.jsonl), each record seeded from --seed and its line; records without a
                    ground truth are skipped and counted; OUT.journal keeps finished records, so running
                    the same command again after an interruption resumes; --json prints a summary`,
  agreement: `  agreement FILE... [--names A,B,...] [--format F] [--json]
                    how much annotators agree, from their copies of one dataset (each FILE, or FILE@REF
                    as a git commit holds it; named by --names, else the one annotator its labels name,
                    else the ref or file name); records are matched by id, else by their prompt
                    (system, questions, images); for step ratings (alpha
                    ordinal) and review status (nominal): items, percent agreement, Cohen's kappa (two
                    copies), Fleiss' kappa, Krippendorff's alpha; per annotator, by step position and
                    per pair; --json prints them by name (cohenKappa, fleissKappa, krippendorffAlpha)`,
  split: `  split FILE --annotators N [--names A,B,...] [--overlap F] [--seed S] [--output-dir DIR] [--force] [--json]
                    one file per annotator (FILE-STEM.annotator1.jsonl ... or FILE-STEM.NAME.jsonl with --names,
                    which alone also sets N) in FILE's folder or DIR: the records shuffled by the seed (drawn and
                    printed when not given), the first round(F x records) go to every annotator (F: 0 to 1,
                    default 0.2; the common set agreement is measured on) and the rest one each in turn, so the
                    other shares are disjoint; each file keeps FILE's order and each line FILE's bytes; lines that
                    are no records (blank, not a JSON object) go to the first annotator. Existing files are
                    refused unless --force; prints records and shared records per annotator, --json as an object`,
  merge: `  merge ORIGINAL ANNOTATOR_FILE... [--names A,B,...] [--output OUT] [--json]
                    brings the annotators' files of a split back into one dataset (OUT, by default
                    ORIGINAL-STEM.merged.jsonl): records matched by id, else their prompt, as merge-driver matches
                    them; each file is merged in turn, three ways against ORIGINAL, so a record a file lacks
                    is unchanged, not deleted, and records it adds come after ORIGINAL's. Records nobody changed
                    keep their bytes and ORIGINAL's order; two annotators' different values of one thing (the
                    same step rated differently) are kept under "conflicts" in the record's annotation block,
                    each value named by who gave it (the record's ratedBy or review's by, else the annotator's
                    name: --names, or the file's, data.alice.jsonl of data.jsonl giving alice). Prints records
                    changed and conflicts; exits 0, or 1 when conflicts were kept, to adjudicate`,
  'merge-driver': `  merge-driver BASE OURS THEIRS
                    a git merge driver for JSONL datasets (git passes %O %A %B): records matched by id or
                    prompt; a record changed on one side takes that side; changed on both, its annotation
                    block is merged key by key and its text step by step, and a real conflict (two ratings
                    of one step, one step edited twice) is kept in the block under "conflicts", never as
                    text markers; writes OURS, exits 0 when all merged and 1 when conflicts were kept
  merge-driver --install [DIR]
                    registers the driver in the repository at DIR: git config merge.cot-studio.driver and
                    the line "*.jsonl merge=cot-studio" in .gitattributes`,
  prelabel: `  prelabel FILE --line N [--labeller step-judge|reward-model] [--seed S] [--side primary|rejected] [--turn T]
         [--format F] [--image-root DIR]... [--json] [--write]
         (--model DIR [--provider P] | --endpoint URL --endpoint-model NAME [--api-key-env VAR]) [--judge-templates FILE]
         or --labeller reward-model --reward-model DIR [--provider P] [--reward-template T] [--good-token G] [--bad-token B]
                    suggested labels for the steps of one reply: the step judge (the model or server
                    asked whether each step, shown with the response before it, is correct, neutral or
                    incorrect; --judge-templates as for regenerate) or a process reward model (+1 from
                    P(good) >= 0.5, else -1; the step tag of Math-Shepherd by default: --reward-template
                    "{{ question }} {{ prefix }}{{ step }} ки", --good-token +, --bad-token -); prints each
                    step's label and confidence, --json {steps: [{index, label, confidence}], missing,
                    calls, labeller}; --write stores them beside the steps as suggestions, which never
                    change a rating
  prelabel FILE (--all | --lines 1,5-9) [--filter unlabelled|unreviewed|all] [--concurrency C] [--output OUT]
         [the options above, without --line and --write]
                    the same for every selected record into a copy (OUT, by default
                    FILE.prelabelled.jsonl); unlabelled: a step has neither a rating nor a suggestion;
                    OUT.journal keeps finished records, so running the same command again after an
                    interruption resumes; a record with no verdict on any step is reported as FILE:LINE`,
  pairs: `  pairs FILE --format mmpr|trl-dpo -o OUT [--samples N] [--max-pairs K] [--temperature T] [--max-tokens M]
        [--seed S] [--without-image] [--lines 1,5-9] [--source-format F] [--image-root DIR]... [--json]
        (--model DIR [--provider P] | --endpoint URL --endpoint-model NAME [--api-key-env VAR])
                    MPO preference pairs: for each record with a ground truth, N responses (default
                    8; MPO used 32) sampled at T (0.7) split into correct, wrong and format negatives
                    (no stated answer); correct x rejected pairs, skipping those whose chosen answer
                    is part of the rejected one, at most K (15) per question picked by the seed;
                    --without-image also pairs each record without a ground truth: its response
                    against its first half of words continued without the image. Writes only these
                    pairs (mmpr adds meta.json) and a summary; FILE is not changed`,
  status: `  status [--json]   load onnxruntime-node and try each execution provider (CUDA, WebGPU, CPU)`,
  generate: `  generate --model DIR --prompt TEXT [--chat] [--image PATH]... [--n N] [--max-tokens N] [--temperature T]
           [--top-p P] [--top-k K] [--seed S] [--stop S]... [--ignore-eos] [--provider auto|cuda|webgpu|cpu] [--json]
                    decode candidates with a local ONNX model; --chat renders the prompt with the
                    model's chat template, the user message holding the --image files, then the text
                    (a vision-language model sees them; a text model reads the text alone); --json
                    prints tokens, log-probs, finish reasons, timing and imagesSeen`,
  serve: `  serve --model DIR [--port P] [--host H] [--name NAME] [--max-queue N] [--provider auto|cuda|webgpu|cpu]
        [--max-connections N] [--header-timeout S] [--request-timeout S] [--body-timeout S] [--image-root DIR]...
                    serve the local model with an OpenAI-compatible API (/v1/completions,
                    /v1/chat/completions, /v1/models) on 127.0.0.1:8000 by default; clients must send
                    the key in COT_STUDIO_API_KEY when that variable is set (a warning is printed when
                    another host is served without one); at most N connections (64); headers within S
                    seconds (10), the whole request within S (120), and a body silent for S (10) are
                    answered 408; a prompt that does not fit the context is answered 400
                    context_length_exceeded; image_url parts are data URIs, or file:// URLs of images
                    under an --image-root folder (vLLM's --allowed-local-media-path); a vision-language
                    model sees each image where the message places it`,
  bench: `  bench [--only dataset|stream|engine|bigfile] [--json] [--out FILE] [--records N] [--stream-records N]
        [--big-records N] [--keep] [--engine-model DIR] [--provider cpu|cuda|webgpu] [--quick]
                    time the dataset model on a generated file (100000 records by default), export and
                    convert with their peak RSS on a file of short records (1000000 by default), and the
                    generation engine on two built models (or the model in DIR), each figure as a
                    ratio to a baseline run alongside; --only bigfile (never run otherwise) opens,
                    samples, checks and saves a file of 5000000 records (about 9 GB; --big-records N)
                    with the CLI's peak RSS, its first page against that of the --records file;
                    --out also writes the JSON, --keep leaves the generated files in the temp folder,
                    --quick decodes fewer tokens once
  bench --open FILE time opening FILE and making its first page; prints JSON`,
  'make-test-model': `  make-test-model DIR --kind random|bigram|qwen2-vl|smolvlm [--corpus FILE]... [--layers N] [--hidden N]
         [--heads N] [--kv-heads N] [--vocab N] [--seed N] [--max-positions N] [--dtype fp32|fp16]
         [--external-data] [--smoothing K] [--init-std S] [--vision-hidden N] [--max-pixels N] [--text random|bigram]
                    write a small Hugging Face layout ONNX decoder folder (config, tokenizer trained on
                    the corpus, onnx/model.onnx); bigram models continue text like the corpus (.jsonl
                    files contribute every string of every record); qwen2-vl and smolvlm write a
                    vision-language model in the onnx-community Qwen2-VL or SmolVLM (Idefics3) layout
                    (preprocessor_config.json, onnx/vision_encoder, embed_tokens and
                    decoder_model_merged), its text random or, with --text bigram and a corpus,
                    continuing like the corpus`,
  convert: `  convert IN OUT [--images path|embed] [--image-root DIR]... [--force]
                    JSONL to Parquet or back, by the extensions (.jsonl, .parquet), a row group at a time;
                    objects and lists become Parquet structs and lists, values that disagree JSON text;
                    Parquet -> JSONL writes embedded images (Hugging Face {bytes, path} structs, binary
                    columns) as files in OUT_images/ beside OUT, or with --images embed as data URIs;
                    JSONL -> Parquet with --images embed stores the files of image, images and image_path
                    as {bytes, path} structs. export -o OUT.parquet writes its rows as Parquet, and
                    validate, stats and export read a FILE.parquet`,
} as const;

export type CommandName = keyof typeof COMMAND_USAGE;

/** What the commands that load a local model share. */
const ENGINE_NOTE = `Every command that loads a local model (--model DIR) runs it in an engine process of its own and takes
--engine-deadline S: a model step (rendering the chat template, tokenising, a model call) that makes no
progress for S seconds (120) stops the engine with an error naming the step.`;

/** What every command shares. */
const NOTES = `FILE may be - for standard input in commands that only read it. Every write goes through a temporary
file renamed into place once complete; writers of one file take a lock (.NAME.cot-studio.lock).

Exit codes: 0 ok, 1 the data or the environment has errors, 2 bad usage.`;

export const USAGE = `Usage: cot-studio <command> [options]

Commands:
${COMMAND_USAGE.validate}
${COMMAND_USAGE.stats}
${COMMAND_USAGE.export}
${COMMAND_USAGE.convert}
${COMMAND_USAGE.rewards}
${COMMAND_USAGE.reward}
${COMMAND_USAGE.regenerate}
${COMMAND_USAGE['mc-score']}
${COMMAND_USAGE.prelabel}
${COMMAND_USAGE.agreement}
${COMMAND_USAGE.split}
${COMMAND_USAGE.merge}
${COMMAND_USAGE['merge-driver']}
${COMMAND_USAGE.pairs}
${COMMAND_USAGE.status}
${COMMAND_USAGE.generate}

${ENGINE_NOTE}
${COMMAND_USAGE.serve}
${COMMAND_USAGE.bench}
${COMMAND_USAGE['make-test-model']}

Options:
  --help            show this help; COMMAND --help (or -h) shows that command's
  --version         print the version

${NOTES}`;

/**
 * `cot-studio COMMAND --help`: the command's lines of the usage (each form named in full), the note on the
 * engine process for commands that load a model, and the notes every command shares.
 */
export function commandUsage(command: CommandName): string {
  const section: string = COMMAND_USAGE[command];
  const forms = section.replace(/^ {2}(?=\S)/gm, '  cot-studio ');
  const engine = section.includes('--model DIR') ? `\n\n${ENGINE_NOTE}` : '';
  return `Usage:\n${forms}${engine}\n\n${NOTES}`;
}
