import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { flagBool, flagString, write, type Command } from '../command.js';
import { MissingKubeconfigError } from '../errors.js';

/**
 * `stratus kubeconfig [--data-dir D] [--print]`: the path of the kubeconfig a running cloud
 * wrote (or, with --print, its contents), for `export KUBECONFIG=$(stratus kubeconfig)`.
 */
export const kubeconfigCommand: Command = {
  name: 'kubeconfig',
  summary: "Print the path (or contents) of the cloud's admin kubeconfig",
  usage: `Usage: stratus kubeconfig [--data-dir DIR] [--print]

  --data-dir DIR   the cloud's data folder (default: ./.stratus)
  --print          print the file's contents instead of its path`,
  options: {
    'data-dir': { type: 'string' },
    print: { type: 'boolean' },
  },
  async run(ctx, values) {
    const path = resolve(ctx.io.cwd, flagString(values, 'data-dir') ?? '.stratus', 'kubeconfig');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch {
      throw new MissingKubeconfigError(path);
    }
    await write(ctx.io.stdout, flagBool(values, 'print') ? text : path + '\n');
    return 0;
  },
};
