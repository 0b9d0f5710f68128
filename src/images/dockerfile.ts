import { buildFailed } from './errors.js';

/** One Dockerfile instruction, as parsed: its keyword, raw arguments and source line. */
export interface Instruction {
  /** Upper-case keyword: FROM, COPY, RUN … */
  keyword: string;
  /** The arguments after the keyword, continuation lines joined. */
  args: string;
  /** The JSON (exec) form, when the arguments are a JSON array of strings. */
  json?: string[];
  /** The 1-based line the instruction starts on, for error messages. */
  line: number;
}

/** The keywords `stratus image build` understands. */
export const SUPPORTED = new Set([
  'FROM',
  'COPY',
  'ADD',
  'ENV',
  'WORKDIR',
  'USER',
  'EXPOSE',
  'CMD',
  'ENTRYPOINT',
  'LABEL',
  'RUN',
]);

/**
 * Splits a Dockerfile into instructions as Docker's parser does for the subset we build:
 * `#` comments, blank lines, backslash continuations (comment lines inside are dropped) and the
 * JSON form of arguments. An unknown keyword is an IMAGE_BUILD_FAILED naming its line.
 */
export function parseDockerfile(text: string): Instruction[] {
  const lines = text.split(/\r?\n/);
  const out: Instruction[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i] ?? '';
    if (/^\s*(#.*)?$/.test(first)) continue;
    const start = i + 1;
    let body = first.trim();
    while (body.endsWith('\\') && i + 1 < lines.length) {
      body = body.slice(0, -1);
      i++;
      let next = lines[i] ?? '';
      // Comment lines inside a continued instruction are dropped, as Docker does.
      while (/^\s*#/.test(next) && i + 1 < lines.length) next = lines[++i] ?? '';
      body = `${body.trimEnd()} ${next.trim()}`.trimEnd();
    }
    if (body.endsWith('\\')) body = body.slice(0, -1);
    const match = /^(\S+)\s*(.*)$/s.exec(body.trim());
    const keyword = (match?.[1] ?? '').toUpperCase();
    const args = (match?.[2] ?? '').trim();
    if (!SUPPORTED.has(keyword)) {
      throw buildFailed(
        `Dockerfile line ${start}: unknown or unsupported instruction "${match?.[1] ?? ''}"`,
        {
          line: start,
        },
      );
    }
    const instruction: Instruction = { keyword, args, line: start };
    if (args.startsWith('[')) {
      try {
        const parsed = JSON.parse(args) as unknown;
        if (Array.isArray(parsed) && parsed.every((s) => typeof s === 'string')) instruction.json = parsed;
      } catch {
        // Not JSON: Docker treats it as the shell form too.
      }
    }
    out.push(instruction);
  }
  return out;
}

/** Replaces `$NAME`, `${NAME}`, `${NAME:-default}` and `${NAME:+alt}` from `env`; `\$` stays `$`. */
export function expandVariables(text: string, env: ReadonlyMap<string, string>): string {
  return text.replace(
    /\\\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (
      whole,
      braced: string | undefined,
      op: string | undefined,
      word: string | undefined,
      bare: string | undefined,
    ) => {
      if (whole === '\\$') return '$';
      const name = braced ?? bare ?? '';
      const value = env.get(name);
      if (op === '-') return value === undefined || value === '' ? (word ?? '') : value;
      if (op === '+') return value === undefined || value === '' ? '' : (word ?? '');
      return value ?? '';
    },
  );
}

/**
 * Splits shell-like words: whitespace separates, double and single quotes group, backslash
 * escapes (as Docker's `ENV`, `LABEL` and `COPY` arguments are read).
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length) word += text[++i] ?? '';
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      word += text[++i] ?? '';
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * The KEY=VALUE pairs of `ENV` and `LABEL` (`ENV A=1 B="two words"`, or the old `ENV A 1`
 * form), or an IMAGE_BUILD_FAILED naming the line.
 */
export function parsePairs(instruction: Instruction, expand: (s: string) => string): [string, string][] {
  const words = splitWords(instruction.args);
  const first = words[0];
  if (first === undefined)
    throw buildFailed(`Dockerfile line ${instruction.line}: ${instruction.keyword} needs arguments`);
  if (!first.includes('=')) {
    const rest = instruction.args.slice(instruction.args.indexOf(first.charAt(0)) + first.length).trim();
    if (rest === '')
      throw buildFailed(`Dockerfile line ${instruction.line}: ${instruction.keyword} ${first} needs a value`);
    return [[first, expand(splitWords(rest).join(' '))]];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw buildFailed(`Dockerfile line ${instruction.line}: "${w}" is not KEY=VALUE`);
    return [w.slice(0, eq), expand(w.slice(eq + 1))];
  });
}

/** The command of CMD, ENTRYPOINT and RUN: the JSON form as is, the shell form under `/bin/sh -c`. */
export function commandOf(instruction: Instruction): string[] {
  return instruction.json ?? ['/bin/sh', '-c', instruction.args];
}
