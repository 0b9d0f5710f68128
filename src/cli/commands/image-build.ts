import { resolve } from 'node:path';
import { buildImage, parseReference, type BuildRunner, type ImageStore } from '../../images/index.js';
import { flagString, flagStrings, write, type CommandContext, type FlagValues } from '../command.js';
import { UsageError } from '../errors.js';

/** The usage line of `stratus image build`. */
export const BUILD_USAGE = `       stratus image build DIR [-t NAME:TAG]… [-f DOCKERFILE]`;

/** The help lines of `stratus image build`. */
export const BUILD_HELP = `  build       build an image from DIR and its Dockerfile (FROM, COPY, ADD, ENV, WORKDIR, USER,
              EXPOSE, CMD, ENTRYPOINT, LABEL; RUN needs the runc runtime)
  -t, --tag NAME:TAG   name the result (repeatable)
  -f, --file PATH      the Dockerfile (default: DIR/Dockerfile)`;

/**
 * `stratus image build DIR -t NAME:TAG`. The runner for RUN steps comes from the composition
 * root (the runc runtime) when there is one; without it RUN is refused with the line named.
 */
export async function buildVerb(
  ctx: CommandContext,
  values: FlagValues,
  store: ImageStore,
  args: string[],
  runner?: BuildRunner,
): Promise<number> {
  if (args.length !== 1)
    throw new UsageError('give one folder: stratus image build DIR -t NAME:TAG', 'image');
  const tags = flagStrings(values, 'tag');
  for (const tag of tags) parseReference(tag);
  const file = flagString(values, 'file');
  const result = await buildImage(store, {
    contextDir: resolve(ctx.io.cwd, args[0] ?? '.'),
    ...(file === undefined ? {} : { dockerfile: resolve(ctx.io.cwd, file) }),
    tags,
    ...(runner === undefined ? {} : { runner }),
    ...(values['quiet'] === true ? {} : { output: ctx.io.stdout }),
    ...(ctx.io.env['SOURCE_DATE_EPOCH']
      ? { created: new Date(Number(ctx.io.env['SOURCE_DATE_EPOCH']) * 1000) }
      : {}),
  });
  if (values['quiet'] === true) await write(ctx.io.stdout, `${result.id}\n`);
  return 0;
}
