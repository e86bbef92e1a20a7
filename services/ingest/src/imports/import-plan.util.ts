import picomatch from 'picomatch';
import type { ImportedMetadata, ModelFramework, ModelType } from '@modelyard/contracts';
import { checkRepoFilePath, formatOfPath } from '@modelyard/model-formats';

/** A file as the Hub's tree listing gives it (directories already dropped). */
export interface HubFile {
  path: string;
  size: number;
  /** The git blob id (sha1); for LFS files, of the pointer. */
  oid: string;
  /** LFS files: the content's sha256 and size. */
  lfs?: { oid: string; size: number };
}

export interface ImportPlan {
  files: HubFile[];
  /** Files the listing offered that were refused for their names, with the reason. */
  refused: Array<{ path: string; reason: string }>;
}

/**
 * What an import fetches without include patterns: what it takes to run the model — ONNX weights
 * (and their external data), configs and tokenizer files. Other weights (safetensors, .bin) stay
 * on the Hub unless asked for.
 */
export function isDefaultImportFile(path: string): boolean {
  const format = formatOfPath(path);
  return format === 'onnx' || format === 'config' || format === 'tokenizer' || /\.onnx_data$|\.onnx\.data$/.test(path);
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Chooses the files to fetch: the include patterns (globs over the whole path) or the default choice. */
export function planImport(files: readonly HubFile[], include: readonly string[] | null): ImportPlan {
  const refused: ImportPlan['refused'] = [];
  const safe = files.filter((file) => {
    const reason = checkRepoFilePath(file.path);
    if (reason) refused.push({ path: file.path, reason });
    return !reason;
  });
  const wanted = include ? picomatch(include as string[], { dot: true }) : (path: string) => isDefaultImportFile(path);
  return { files: safe.filter((file) => wanted(file.path)).sort((a, b) => byCodePoint(a.path, b.path)), refused };
}

/**
 * The Hub's `pipeline_tag` → Modelyard type. Tasks not listed here (and repos without a tag)
 * leave the type as the user gave it, or `custom`.
 */
export const PIPELINE_TYPES: Record<string, ModelType> = {
  'text-generation': 'llm',
  'text2text-generation': 'llm',
  'conversational': 'llm',
  'summarization': 'llm',
  'translation': 'llm',
  'question-answering': 'llm',
  'fill-mask': 'llm',
  'text-classification': 'llm',
  'token-classification': 'llm',
  'zero-shot-classification': 'llm',
  'table-question-answering': 'llm',
  'feature-extraction': 'embedding',
  'sentence-similarity': 'embedding',
  'image-classification': 'vision',
  'object-detection': 'vision',
  'image-segmentation': 'vision',
  'depth-estimation': 'vision',
  'image-to-image': 'vision',
  'text-to-image': 'vision',
  'unconditional-image-generation': 'vision',
  'zero-shot-image-classification': 'vision',
  'zero-shot-object-detection': 'vision',
  'mask-generation': 'vision',
  'image-feature-extraction': 'embedding',
  'automatic-speech-recognition': 'audio',
  'audio-classification': 'audio',
  'text-to-speech': 'audio',
  'text-to-audio': 'audio',
  'audio-to-audio': 'audio',
  'voice-activity-detection': 'audio',
  'image-to-text': 'multimodal',
  'image-text-to-text': 'multimodal',
  'visual-question-answering': 'multimodal',
  'document-question-answering': 'multimodal',
  'video-text-to-text': 'multimodal',
  'any-to-any': 'multimodal',
};

/** The Hub's `library_name` → framework, when the imported files do not settle it (ONNX files do). */
const LIBRARY_FRAMEWORKS: Record<string, ModelFramework> = {
  onnx: 'onnx',
  'transformers.js': 'onnx',
  optimum: 'onnx',
  pytorch: 'pytorch',
  transformers: 'pytorch',
  'sentence-transformers': 'pytorch',
  diffusers: 'pytorch',
  timm: 'pytorch',
  tensorflow: 'tensorflow',
  keras: 'tensorflow',
  'tf-keras': 'tensorflow',
  openvino: 'openvino',
};

export interface HubModelFacts {
  pipelineTag?: string | undefined;
  libraryName?: string | undefined;
  tags?: readonly string[] | undefined;
  cardData?: Record<string, unknown> | undefined;
  readme?: string | undefined;
}

/** The metadata an import offers for the fields the user left empty (the registry decides which apply). */
export function importedMetadata(facts: HubModelFacts, stored: readonly HubFile[]): ImportedMetadata {
  const hasOnnx = stored.some((file) => formatOfPath(file.path) === 'onnx');
  const type = ownValue(PIPELINE_TYPES, facts.pipelineTag);
  const framework = hasOnnx ? 'onnx' : ownValue(LIBRARY_FRAMEWORKS, facts.libraryName);
  const license = licenseOf(facts);
  const description = facts.readme ? describeFromCard(facts.readme) : undefined;
  return {
    ...(type && { type }),
    ...(framework && { framework }),
    // Keyed tags (license:…, region:…, arxiv:…) are Hub bookkeeping, not labels a person chose.
    tags: (facts.tags ?? []).filter((tag) => !tag.includes(':') && tag.length <= 64).slice(0, 20),
    license: license ?? null,
    ...(description && { description }),
  };
}

/** `map[key]` for the map's own keys only: the Hub's names are free text, and `constructor` or `toString` must not find Object's. */
function ownValue<V>(map: Record<string, V>, key: string | undefined): V | undefined {
  return key !== undefined && Object.hasOwn(map, key) ? map[key] : undefined;
}

function licenseOf({ cardData, tags }: HubModelFacts): string | undefined {
  const declared = cardData?.['license'];
  if (typeof declared === 'string') return declared;
  if (Array.isArray(declared) && typeof declared[0] === 'string') return declared[0];
  return tags?.find((tag) => tag.startsWith('license:'))?.slice('license:'.length);
}

/** A fenced code block (``` or ~~~, closed by a fence of the same kind at least as long, or by the end); a ``` line holding more backticks is inline code. */
const FENCED_CODE =
  /^ {0,3}(?:(`{3,})[^`\n]*\n[\s\S]*?(?:^ {0,3}\1`*[ \t]*\r?$|(?![\s\S]))|(~{3,})[^\n]*\n[\s\S]*?(?:^ {0,3}\2~*[ \t]*\r?$|(?![\s\S])))/gm;

/** The card's first paragraph of prose: no front matter, headings, badges, tables or code. */
export function describeFromCard(readme: string): string | undefined {
  // Fences go before the split into paragraphs: code often holds blank lines, and the lines after
  // one would otherwise read as prose. An unclosed fence runs to the end, as in CommonMark.
  const body = readme.replace(/^---\r?\n[\s\S]*?\r?\n---\r?\n?/, '').replace(FENCED_CODE, '\n');
  const paragraphs = body.split(/\r?\n\s*\r?\n/).map((block) => block.trim());
  const prose = paragraphs.find(
    (block) => block.length > 0 && !/^(#|!\[|\[!\[|<|\||```|>|-{3,}|\* ?\*)/.test(block) && /[A-Za-z\p{L}]{3}/u.test(block),
  );
  if (!prose) return undefined;
  const text = prose.replace(/\s+/g, ' ');
  return text.length > 1_000 ? `${text.slice(0, 997)}...` : text;
}
